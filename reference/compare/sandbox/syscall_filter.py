"""System calls the worker may not make: a seccomp filter set before the submission's first line runs.

The namespace mode gives the worker a network and a System V IPC namespace of
its own, with nothing in them. Without namespaces (the ``unprivileged`` and
``same-user`` modes) the worker would share the host's: it could fetch an
answer from the web or reach the host's services, read the host's System V
shared memory segments, and leave segments of its own behind, filled, when it
is killed (neither the control group nor the removal of its folder frees
them). So the worker, before it imports the submission, asks the kernel to
refuse it (and every process it starts, for ever):

- ``socket`` and ``io_uring_setup``: the socket it already holds, its line to
  the grader, still works, and ``socketpair`` (``multiprocessing``) still does;
- System V IPC: ``shmget``, ``shmat``, ``shmdt``, ``shmctl``, ``msgget``,
  ``msgsnd``, ``msgrcv``, ``msgctl``, ``semget``, ``semop``, ``semtimedop``,
  ``semctl`` (POSIX shared memory, ``/dev/shm``, is a file: not in the
  jail, and in the worker's own tmpfs in the namespace mode);
- POSIX message queues, which need no file: ``mq_open``, ``mq_unlink``,
  ``mq_timedsend``, ``mq_timedreceive``, ``mq_notify``, ``mq_getsetattr``;
- the kernel's keyrings, shared by a user's processes: ``add_key``,
  ``request_key``, ``keyctl``;
- ``sendmsg`` and ``sendmmsg``: a file descriptor sent on a socket and closed
  lives in the socket's queue, seen in no process's ``/proc``, where the disk
  it holds escaped the ``unprivileged`` mode's measure (``send``/``recv`` on a
  ``socketpair`` still work);
- ``sysinfo``: the machine's free memory and load, which two workers of a
  submission running at once could signal each other through (``/proc``'s
  files of them are stand-ins in the namespace mode: :func:`.view.host_state`);
- ``mincore``, ``cachestat``, ``fadvise64`` and ``readahead``: which pages of a file are in memory, and
  dropping or reading them in, would be such a channel too, through the files both workers map (the
  standard library, NumPy), with no timing needed.

They are refused in every mode (EPERM). The filter cannot be lifted, by the
submission or by root. A 32-bit entry into the kernel (the ``ipc``
multiplexer, the x32 calls) is refused whole.

On an architecture the filter does not know, or a kernel without seccomp,
:func:`refuse_calls` returns False and the report's protection line says the
network and the System V IPC are shared.
"""

from __future__ import annotations

import ctypes
import platform
import struct

__all__ = ["refuse_calls", "supported", "REFUSED"]

#: The calls refused, by name (the numbers per architecture are in ``_CALLS``).
REFUSED = ("socket", "io_uring_setup", "shmget", "shmat", "shmdt", "shmctl", "msgget", "msgsnd", "msgrcv", "msgctl",
           "semget", "semop", "semtimedop", "semctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive",
           "mq_notify", "mq_getsetattr", "add_key", "request_key", "keyctl", "sendmsg", "sendmmsg", "sysinfo",
           "mincore", "fadvise64", "readahead", "cachestat")
#: Per architecture: the kernel's audit value, and the numbers of the calls in ``REFUSED``, in that order
#: (x86_64: arch/x86/entry/syscalls/syscall_64.tbl; aarch64: include/uapi/asm-generic/unistd.h).
_CALLS = {
    "x86_64": (0xC000003E, (41, 425, 29, 30, 67, 31, 68, 69, 70, 71, 64, 65, 220, 66,
                            240, 241, 242, 243, 244, 245, 248, 249, 250, 46, 307, 99, 27, 221, 187, 451)),
    "aarch64": (0xC00000B7, (198, 425, 194, 196, 197, 195, 186, 189, 188, 187, 190, 193, 192, 191,
                             180, 181, 182, 183, 184, 185, 217, 218, 219, 211, 269, 179, 232, 223, 213, 451)),
}
_X32 = 0x40000000  # x86_64's x32 system calls: refused whole
_LOAD, _JEQ, _JGE, _RET = 0x20, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_JMP|JGE|K, BPF_RET|K
_ALLOW, _EPERM = 0x7FFF0000, 0x00050000 | 1  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EPERM
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2


def _program(arch: int, numbers: tuple[int, ...]) -> list[tuple[int, int, int, int]]:
    """The filter (code, jump if true, jump if false, constant): seccomp_data is (nr, arch, ...)."""
    n = len(numbers)
    return [
        (_LOAD, 0, 0, 4),            # the architecture
        (_JEQ, 1, 0, arch),
        (_RET, 0, 0, _EPERM),        # another architecture's calls (a 32-bit entry): refused
        (_LOAD, 0, 0, 0),            # the call's number
        (_JGE, n + 1, 0, _X32),
        *((_JEQ, n - k, 0, number) for k, number in enumerate(numbers)),
        (_RET, 0, 0, _ALLOW),
        (_RET, 0, 0, _EPERM),
    ]


def supported() -> bool:
    """Whether :func:`refuse_calls` knows this machine's architecture (the grader's word, for its report)."""
    return platform.machine() in _CALLS


def refuse_calls() -> bool:
    """Set the filter on this process (inherited by its children); whether it is set."""
    known = _CALLS.get(platform.machine())
    if known is None:
        return False
    code = b"".join(struct.pack("HBBI", *line) for line in _program(*known))
    lines = ctypes.create_string_buffer(code, len(code))

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    program = Program(len(code) // 8, ctypes.addressof(lines))
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return False
        return libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0) == 0
    except (OSError, AttributeError):
        return False
