"""Which pages of a file are in memory is no channel between a submission's workers.

Two workers of a submission run at once (the second answers the calls that judge a failure), and both map
the same read-only files (the standard library, NumPy). One could drop a file's pages from memory
(``posix_fadvise(DONTNEED)``) or read them in (``readahead``), and the other ask which are there
(``mincore``): a channel of many bits that needs no timing. Those calls are refused in every mode."""

import json

from support import HONEST, attack

#: sign answers only when mincore, posix_fadvise and readahead are all refused; else it raises what answered,
#: so A5 passes only when none did.
PROBING = HONEST + '''
import ctypes, os

def what_answers():
    import numpy
    found = []
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(numpy.__file__, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            found.append("posix_fadvise answered")
        except OSError:
            pass
        libc.readahead.argtypes = (ctypes.c_int, ctypes.c_longlong, ctypes.c_size_t)
        if libc.readahead(fd, 0, size) == 0:
            found.append("readahead answered")
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                              ctypes.c_long)
        addr = libc.mmap(None, size, 1, 1, fd, 0)  # PROT_READ, MAP_SHARED
        if addr not in (None, ctypes.c_void_p(-1).value):
            pages = ctypes.create_string_buffer((size + 4095) // 4096)
            libc.mincore.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p)
            if libc.mincore(addr, size, pages) == 0:
                found.append("mincore answered")
    finally:
        os.close(fd)
    return found

def sign(x):
    found = what_answers()
    if found:
        raise RuntimeError("; ".join(found))
    return _h.sign(x)
'''


def test_a_worker_can_neither_drop_nor_ask_for_a_file_s_pages_in_memory(tmp_path):
    done, report = attack(tmp_path, PROBING, "--property", "A5", "--examples", "3", "--sweep", "0")
    data = json.loads(report)
    assert data["questions"]["A5"] == "pass", data["properties"][0]["message"][:500]
