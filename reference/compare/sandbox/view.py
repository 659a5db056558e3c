"""What the worker's file system holds: an allow-list, built once per grading process.

A submission runs in a mount namespace of its own (:mod:`.isolation`) whose
file system is built from nothing but these, each read-only:

- the Python interpreter, its standard library (its ``site-packages`` left
  out, an empty folder in their place) and the shared libraries they load;
- NumPy, and the packages the course allows (:data:`DEFAULT_PACKAGES`, or
  ``--allow-package``), each with the packages it requires;
- cloudpickle, which the worker needs to load what ``reference.check`` sends;
- the worker's own modules (the protocol, the adapters, the notebook loader)
  and ``handgrad.types``, so that a student may still import the API's named
  tuples: copies in a folder of their own,
  without ``handgrad``'s functions or the reference.

The answer key (``handgrad``'s functions, ``reference``), JAX, Hypothesis, the
grader's caches, the user's home and every other path of the host are not in it:
the worker cannot open what its file system does not hold.

>>> "numpy" in packages(DEFAULT_PACKAGES)
True
>>> packages(("handgrad",))
Traceback (most recent call last):
...
ValueError: --allow-package handgrad: the answer key stays out of the worker's view
"""

from __future__ import annotations

import atexit
import functools
import glob
import importlib.metadata
import os
import pathlib
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile

from reference.compare.exercise import EXERCISE

__all__ = ["refuse_key", "DEFAULT_PACKAGES", "WORKER_FILES", "SITE", "WORKER", "packages", "worker_site", "interpreter",
           "shared_libraries", "mounts", "jail", "HOST_STATE", "host_state"]

#: Packages a course may expect a submission to import, put in view when installed (NumPy always is).
DEFAULT_PACKAGES = ("numpy", "scipy", "matplotlib", "pandas")
#: Never put in view: the grader (``reference``, with its reference twin) and the exercise's answer key's
#: packages (JAX and the others are simply not in view unless allowed).
_KEY = frozenset({"reference", *(name.split(".")[0] for name in EXERCISE.answer_key)})


def _api_files() -> tuple[str, ...]:
    """The exercise's API table and the ``__init__.py`` of each package above it, relative to the tree."""
    parts = EXERCISE.api.__name__.split(".")
    return (*("/".join(parts[:k]) + "/__init__.py" for k in range(1, len(parts))), "/".join(parts) + ".py")


#: The worker's own modules, relative to the tree that holds ``reference``: the API's table (so that a student
#: may import its named tuples), the protocol, the adapters, the notebook loader.
WORKER_FILES = (
    *_api_files(), "reference/__init__.py", "reference/compare/__init__.py",
    *(f"reference/compare/sandbox/{m}.py" for m in ("__init__", "wire", "worker_side", "syscall_filter")),
    *(f"reference/compare/submissions/{m}.py" for m in (
        "__init__", "adapter", "adapting", "declaration", "layouts", "load_errors", "notebook", "self_checks")),
    "reference/compare/submissions/templates/*.toml",
)
#: Programs the worker's start needs in view: setpriv drops it to a host user of its own (as root), env
#: enters its folder in a jail (:func:`jail`).
TOOLS = ("setpriv", "env")
#: Where the worker finds the allowed packages, and its own modules, inside its namespace.
SITE, WORKER = "/opt/handgrad/site", "/opt/handgrad/worker"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requires(dist: importlib.metadata.Distribution) -> list[str]:
    """The distributions ``dist`` requires, extras left out (a marker we cannot judge keeps the requirement)."""
    out = []
    for line in dist.requires or ():
        if "extra ==" in line.replace("'", '"').replace(" ", " "):
            continue
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
        if match:
            out.append(match.group(1))
    return out


def _top_levels(dist: importlib.metadata.Distribution) -> dict[str, str]:
    """What ``dist`` installed at the top of its site folder (packages, modules, ``.libs`` folders): name → path."""
    out = {}
    for file in dist.files or ():
        first = pathlib.PurePath(file).parts[0] if file.parts else ""
        if not first or first in ("..", "__pycache__") or first.endswith((".dist-info", ".egg-info", ".pth")) \
                or first.endswith(".data"):
            continue
        path = pathlib.Path(dist.locate_file(first))
        if path.exists():
            out[first] = str(path.resolve())
    return out


def refuse_key(allowed: tuple[str, ...], option: str = "--allow-package") -> None:
    """ValueError naming a package of ``allowed`` (given with ``option``) that must stay out of view: the key."""
    for name in allowed:
        if _canonical(name) in _KEY:
            raise ValueError(f"{option} {name}: the answer key stays out of the worker's view")


@functools.lru_cache(maxsize=None)
def packages(allowed: tuple[str, ...]) -> dict[str, str]:
    """The folders and modules to put in view: NumPy, cloudpickle, and ``allowed`` with what they require, each
    as installed: top-level name → host path. ValueError names a package that must stay out.
    """
    refuse_key(allowed)
    wanted = ["numpy", "cloudpickle", *allowed]
    seen: set[str] = set()
    out: dict[str, str] = {}
    while wanted:
        name = _canonical(wanted.pop())
        if name in seen or name in _KEY:
            continue
        seen.add(name)
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # not installed: a submission that imports it fails as it would without the grader
        out.update(_top_levels(dist))
        wanted += _requires(dist)
    return out


@functools.lru_cache(maxsize=None)
def worker_site(tree: str) -> str:
    """A folder (made once per process) holding copies of :data:`WORKER_FILES` from ``tree``."""
    folder = tempfile.mkdtemp(prefix="handgrad-worker-site-")
    atexit.register(shutil.rmtree, folder, True)  # the grading process's own copy, gone with it
    for pattern in WORKER_FILES:
        for source in glob.glob(os.path.join(tree, pattern)):
            dest = os.path.join(folder, os.path.relpath(source, tree))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(source, dest)
    os.chmod(folder, 0o755)
    for root, dirs, files in os.walk(folder):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    return folder


#: Files of ``/proc`` that tell the machine's state (memory, load, processor time, paging, interrupts, disks):
#: two workers of a submission, running at once, could signal each other through them (attack round 10: one
#: held 3 GB, the other read MemAvailable). The worker sees stand-ins that never change (:func:`host_state`).
HOST_STATE = ("meminfo", "loadavg", "stat", "vmstat", "zoneinfo", "buddyinfo", "pagetypeinfo", "schedstat",
              "interrupts", "softirqs", "diskstats", "slabinfo", "swaps")


def _stand_in(name: str, memory: int) -> str:
    """What ``/proc/<name>`` says in the worker: its own memory limit as the machine's memory, free; no load."""
    if name == "meminfo":
        kb = memory // 1024
        return "".join(f"{key}: {value:>8} kB\n" for key, value in (
            ("MemTotal", kb), ("MemFree", kb), ("MemAvailable", kb), ("Buffers", 0), ("Cached", 0),
            ("SwapCached", 0), ("SwapTotal", 0), ("SwapFree", 0)))
    if name == "loadavg":
        return "0.00 0.00 0.00 1/1 1\n"
    if name == "stat":
        return ("cpu  0 0 0 0 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\nintr 0\nctxt 0\nbtime 0\nprocesses 1\n"
                "procs_running 1\nprocs_blocked 0\n")
    return ""


@functools.lru_cache(maxsize=None)
def host_state(memory: int) -> tuple[str, ...]:
    """bubblewrap's words that put a stand-in over each of :data:`HOST_STATE` and an empty ``/proc/pressure``
    (after ``--proc /proc``); the stand-ins are made once per process, for a worker of ``memory`` bytes."""
    folder = tempfile.mkdtemp(prefix="handgrad-host-state-")
    atexit.register(shutil.rmtree, folder, True)
    os.chmod(folder, 0o755)
    words: list[str] = []
    for name in HOST_STATE:
        path = os.path.join(folder, name)
        with open(path, "w") as f:
            f.write(_stand_in(name, memory))
        os.chmod(path, 0o444)
        if os.path.exists(f"/proc/{name}"):  # bubblewrap mounts over a file that is there
            words += ["--ro-bind", path, f"/proc/{name}"]
    if os.path.isdir("/proc/pressure"):
        words += ["--tmpfs", "/proc/pressure"]
    return tuple(words)


@functools.lru_cache(maxsize=None)
def interpreter() -> tuple[str, str, tuple[str, ...]]:
    """The base interpreter (not a virtual environment's), its standard library, and the site folders inside it
    (left out of view)."""
    executable = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    stdlib = os.path.realpath(sysconfig.get_path("stdlib", vars={"installed_base": sys.base_prefix,
                                                                 "base": sys.base_prefix}))
    inside = tuple(sorted(p for p in glob.glob(os.path.join(stdlib, "*-packages")) if os.path.isdir(p)))
    return executable, stdlib, inside


_LDD = re.compile(r"(?:=>\s*)?(/\S+)\s+\(0x")
_CACHED = re.compile(r"^\s*(\S+) \(([^)]*)\) => (/\S+)$", re.M)
#: What a package's binary wheel may load from the system (the manylinux policy): packages bring the rest.
MANYLINUX = ("libgcc_s.so.1", "libstdc++.so.6", "libm.so.6", "libdl.so.2", "librt.so.1", "libc.so.6",
             "libnsl.so.1", "libutil.so.1", "libpthread.so.0", "libresolv.so.2", "libX11.so.6", "libXext.so.6",
             "libXrender.so.1", "libICE.so.6", "libSM.so.6", "libGL.so.1", "libgobject-2.0.so.0",
             "libgthread-2.0.so.0", "libglib-2.0.so.0", "libz.so.1", "libexpat.so.1")


@functools.lru_cache(maxsize=None)
def shared_libraries(binaries: tuple[str, ...]) -> tuple[str, ...]:
    """The shared libraries ``binaries`` load (by ``ldd``), and those a wheel may load (:data:`MANYLINUX`, by
    the loader's cache), as the paths the dynamic loader uses."""
    found: set[str] = set()
    ldd = shutil.which("ldd")
    if ldd is not None and binaries:
        try:
            done = subprocess.run([ldd, *binaries], capture_output=True, text=True, timeout=60,
                                  stdin=subprocess.DEVNULL)
            found.update(m.group(1) for m in _LDD.finditer(done.stdout))
        except (OSError, subprocess.SubprocessError):
            pass
    ldconfig = shutil.which("ldconfig") or ("/sbin/ldconfig" if os.path.exists("/sbin/ldconfig") else None)
    if ldconfig is not None:
        try:
            cache = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, timeout=30,
                                   stdin=subprocess.DEVNULL).stdout
        except (OSError, subprocess.SubprocessError):
            cache = ""
        wanted = set(MANYLINUX)
        machine = "x86-64" if sys.maxsize > 2 ** 32 else ""
        for name, kind, path in _CACHED.findall(cache):
            if name in wanted and (not machine or machine in kind or "64" in kind):
                found.add(path)
                wanted.discard(name)
    return tuple(sorted(found))


def _dynload(stdlib: str) -> tuple[str, ...]:
    """The interpreter's own extension modules."""
    return tuple(sorted(glob.glob(os.path.join(stdlib, "lib-dynload", "*.so"))))


def _created_folders(destinations: list[str]) -> list[str]:
    """The folders bubblewrap creates to hold ``destinations`` (not themselves mounted): they must be readable
    by the worker's user, whatever the host's own folders of that name allow (``/root`` is 0700)."""
    mounted = set(destinations)
    out: set[str] = set()
    for dest in destinations:
        parent = os.path.dirname(dest)
        while parent not in ("/", "") and parent not in mounted \
                and not any(parent.startswith(m + "/") for m in mounted):
            out.add(parent)
            parent = os.path.dirname(parent)
    return sorted(out, key=lambda p: p.count("/"))


def _kept(allowed: tuple[str, ...], compute) -> tuple[dict[str, str], tuple[str, ...]]:
    """``compute()`` (the packages in view and the libraries they load: ~0.5 s), kept in the cache folder under
    a key that changes with the interpreter, every folder on the path and ``allowed`` (an install changes a
    folder's time); a check names a package that must stay out before anything is read."""
    import hashlib
    import json

    from reference.compare.cache_folders import cache_root

    refuse_key(allowed)
    stamp = [sys.executable, sys.version, list(allowed), *TOOLS]
    for folder in sys.path:
        try:
            stamp.append([folder, os.stat(folder or ".").st_mtime_ns])
        except OSError:
            stamp.append([folder, None])
    path = cache_root() / "view" / (hashlib.sha256(json.dumps(stamp).encode()).hexdigest()[:32] + ".json")
    try:
        kept = json.loads(path.read_text())
        if all(os.path.exists(p) for p in [*kept["packages"].values(), *kept["libraries"]]):
            return kept["packages"], tuple(kept["libraries"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    chosen, libraries = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(f".{os.getpid()}.tmp")
        temp.write_text(json.dumps({"packages": chosen, "libraries": list(libraries)}))
        os.replace(temp, path)
    except OSError:
        pass  # a read-only cache: computed again next time
    return chosen, libraries


@functools.lru_cache(maxsize=None)
def _binds(tree: str, allowed: tuple[str, ...]) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """What the view holds, as (host path, path in view) pairs, and the standard library's site folders (left
    empty)."""
    executable, stdlib, inside = interpreter()
    site = worker_site(tree)
    tools = [os.path.realpath(t) for t in map(shutil.which, TOOLS) if t]
    chosen, libraries = _kept(allowed, lambda: (packages(allowed),
                                                shared_libraries((executable, *tools, *_dynload(stdlib)))))
    binds: list[tuple[str, str]] = [(executable, executable), (stdlib, stdlib), *((t, t) for t in tools)]
    binds += [(path, f"{SITE}/{name}") for name, path in sorted(chosen.items())]
    binds.append((site, WORKER))
    covered = [b[0] for b in binds]
    for lib in libraries:
        real = os.path.realpath(lib)
        if not any(real == c or real.startswith(c + "/") for c in covered):
            binds.append((lib, lib))
    if os.path.exists("/etc/ld.so.cache"):
        binds.append(("/etc/ld.so.cache", "/etc/ld.so.cache"))
    return tuple(binds), inside


@functools.lru_cache(maxsize=None)
def mounts(tree: str, allowed: tuple[str, ...] = ()) -> tuple[tuple[str, ...], str]:
    """bubblewrap's words that build the view (read-only binds, empty folders over the standard library's
    site folders), and the folders to put on the worker's ``sys.path`` (``os.pathsep``-joined)."""
    binds, inside = _binds(tree, allowed)
    words: list[str] = []
    for source, dest in binds:
        words += ["--ro-bind", source, dest]
    for folder in inside:
        words += ["--tmpfs", folder, "--remount-ro", folder]
    for folder in _created_folders([d for _, d in binds]):
        words += ["--chmod", "0755", folder]
    return tuple(words), os.pathsep.join([WORKER, SITE])


#: Device files a jail holds (character devices: major, minor), made where the grader may (CAP_MKNOD).
DEVICES = {"null": (1, 3), "zero": (1, 5), "urandom": (1, 9)}


@functools.lru_cache(maxsize=None)
def jail(tree: str, allowed: tuple[str, ...] = ()) -> str:
    """The view as a folder of its own, for ``chroot`` where bubblewrap cannot run (a root grader without
    namespaces): hard links to the same files (copies across file systems), kept in the cache folder under a
    key that changes with every path in it and the worker's modules. Its ``tmp`` (0711) holds the workers'
    folders; nothing else in it is writable. The path it has on the host never shows inside.
    """
    import hashlib

    from reference.compare.cache_folders import cache_root

    binds, inside = _binds(tree, allowed)
    stamp = hashlib.sha256(repr((binds, inside)).encode())
    for dest in sorted(glob.glob(os.path.join(worker_site(tree), "**", "*"), recursive=True)):
        if os.path.isfile(dest):
            stamp.update(dest.encode() + pathlib.Path(dest).read_bytes())
    home = cache_root() / "jail" / stamp.hexdigest()[:32]
    if home.is_dir():
        return str(home)
    home.parent.mkdir(parents=True, exist_ok=True)
    build = pathlib.Path(tempfile.mkdtemp(prefix=".build-", dir=home.parent))
    try:
        for source, dest in binds:
            _fill(source, build / dest.lstrip("/"), skip=inside)
        for folder in inside:
            (build / folder.lstrip("/")).mkdir(parents=True, exist_ok=True)
        (build / "tmp").mkdir(mode=0o711)
        (build / "dev").mkdir()
        for name, (major, minor) in DEVICES.items():
            try:
                os.mknod(build / "dev" / name, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
                os.chmod(build / "dev" / name, 0o666)
            except OSError:  # no CAP_MKNOD: a submission opening /dev/null fails as it would without one
                pass
        for root, dirs, _ in os.walk(build):
            for d in dirs:
                if os.path.join(root, d) != str(build / "tmp") and not os.path.islink(os.path.join(root, d)):
                    os.chmod(os.path.join(root, d), 0o755)
        os.chmod(build, 0o755)
        os.chmod(build / "tmp", 0o711)
        os.rename(build, home)
    except OSError:
        shutil.rmtree(build, ignore_errors=True)
        if not home.is_dir():  # another grading process did not build it either
            raise
    return str(home)


def _fill(source: str, dest: pathlib.Path, *, skip: tuple[str, ...]) -> None:
    """``dest`` made to hold what ``source`` holds (a file or a folder): hard links, or copies across file
    systems; links are kept as links; ``skip``: folders left out."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not os.path.isdir(source):
        _link(os.path.realpath(source), dest)
        return
    for root, dirs, files in os.walk(source):
        dirs[:] = [d for d in dirs if os.path.join(root, d) not in skip]
        here = dest / os.path.relpath(root, source)
        here.mkdir(parents=True, exist_ok=True)
        for name in [*files, *(d for d in dirs if os.path.islink(os.path.join(root, d)))]:
            path = os.path.join(root, name)
            if os.path.islink(path):
                os.symlink(os.readlink(path), here / name)
            elif os.path.isfile(path):
                _link(path, here / name)


def _link(source: str, dest: pathlib.Path) -> None:
    try:
        os.link(source, dest)
    except OSError:
        shutil.copy2(source, dest)
