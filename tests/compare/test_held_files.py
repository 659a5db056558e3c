"""folders.held: the bytes of files unlinked from a folder that a process keeps open or mapped (the disk
watcher's count, beside the folder's own walk). Measured here on this test's own process."""

import mmap
import os

import pytest

from reference.compare.sandbox import folders

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="Linux's /proc")

UNKNOWN = 64 << 20  # what a mapping the process may not stat counts (the watcher passes Limits.file_size)


def _tasks() -> list[int]:
    return [int(t) for t in os.listdir("/proc/self/task")]


def _unlinked(folder, name: str, data: bytes, *, size: int | None = None):
    f = open(folder / name, "w+b")
    if size is not None:
        f.truncate(size)
    f.write(data)
    f.flush()
    os.fsync(f.fileno())
    os.unlink(folder / name)
    return f


def test_an_unlinked_open_file_counts_its_blocks_once(tmp_path):
    assert folders.held(str(tmp_path), _tasks(), unknown=UNKNOWN) == 0
    f = _unlinked(tmp_path, "a", bytes(2 << 20))
    again = os.fdopen(os.dup(f.fileno()), "rb")  # two descriptors, one file
    named = open(tmp_path / "b", "wb")  # in the folder: its walk counts it, not this
    named.write(bytes(1 << 20))
    try:
        blocks = os.fstat(f.fileno()).st_blocks * 512
        assert blocks >= 2 << 20
        assert folders.held(str(tmp_path), _tasks(), unknown=UNKNOWN) == blocks
    finally:
        f.close(), again.close(), named.close()
    assert folders.held(str(tmp_path), _tasks(), unknown=UNKNOWN) == 0


def test_a_sparse_file_counts_what_it_holds_not_its_size(tmp_path):
    f = _unlinked(tmp_path, "sparse", b"x" * 4096, size=1 << 30)  # 1 GiB long, one block written
    try:
        held = folders.held(str(tmp_path), _tasks(), unknown=UNKNOWN)
        assert held == os.fstat(f.fileno()).st_blocks * 512 and held < 1 << 20, held
    finally:
        f.close()


def test_a_mapped_file_whose_descriptor_is_closed_counts(tmp_path):
    f = _unlinked(tmp_path, "mapped", bytes(1 << 20))
    blocks = os.fstat(f.fileno()).st_blocks * 512
    view = mmap.mmap(f.fileno(), 4096)
    f.close()
    try:
        # its blocks where the process may stat /proc/PID/map_files (CAP_SYS_ADMIN), else the most one file holds
        assert folders.held(str(tmp_path), _tasks(), unknown=UNKNOWN) in (blocks, UNKNOWN)
    finally:
        view.close()
    assert folders.held(str(tmp_path), _tasks(), unknown=UNKNOWN) == 0


def test_a_memory_file_is_not_the_folders_disk(tmp_path):
    (tmp_path / "mine").mkdir()
    fd = os.memfd_create("held") if hasattr(os, "memfd_create") else None
    # beside the folder, on its file system: counted (a jailed worker can write nowhere else on it)
    other = _unlinked(tmp_path, "beside", bytes(1 << 20))
    try:
        if fd is not None:
            os.write(fd, bytes(1 << 20))
        # a memfd is memory (a control group counts it), not the folder's disk
        assert folders.held(str(tmp_path / "mine"), _tasks(), unknown=UNKNOWN) \
            == os.fstat(other.fileno()).st_blocks * 512
    finally:
        other.close()
        if fd is not None:
            os.close(fd)
