"""No new sockets in the worker: a seccomp filter set before the submission's first line runs.

The namespace mode gives the worker a network of its own, with nothing in it.
Without namespaces (the ``unprivileged`` and ``same-user`` modes) the worker
would share the host's network: it could fetch an answer from the web, or
reach the host's services. So the worker, before it imports the submission,
asks the kernel to refuse it (and every process it starts, for ever) the
``socket`` and ``io_uring_setup`` system calls: the socket it already holds, its
line to the grader, still works, and ``socketpair`` (``multiprocessing``)
still does. The filter cannot be lifted, by the submission or by root.

On an architecture the filter does not know, or a kernel without seccomp,
:func:`refuse_sockets` returns False and the report's protection line says the
network is shared.
"""

from __future__ import annotations

import ctypes
import platform
import struct

__all__ = ["refuse_sockets", "supported"]

#: Per architecture: the kernel's audit value, and the numbers of ``socket`` and ``io_uring_setup``.
_CALLS = {"x86_64": (0xC000003E, 41, 425), "aarch64": (0xC00000B7, 198, 425)}
_X32 = 0x40000000  # x86_64's x32 system calls: refused whole
_LOAD, _JEQ, _JGE, _RET = 0x20, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_JMP|JGE|K, BPF_RET|K
_ALLOW, _EPERM = 0x7FFF0000, 0x00050000 | 1  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EPERM
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2


def _program(arch: int, socket: int, io_uring: int) -> list[tuple[int, int, int, int]]:
    """The filter (code, jump if true, jump if false, constant): seccomp_data is (nr, arch, ...)."""
    return [
        (_LOAD, 0, 0, 4),            # the architecture
        (_JEQ, 1, 0, arch),
        (_RET, 0, 0, _EPERM),        # another architecture's calls (a 32-bit entry): refused
        (_LOAD, 0, 0, 0),            # the call's number
        (_JGE, 3, 0, _X32),
        (_JEQ, 2, 0, socket),
        (_JEQ, 1, 0, io_uring),
        (_RET, 0, 0, _ALLOW),
        (_RET, 0, 0, _EPERM),
    ]


def supported() -> bool:
    """Whether :func:`refuse_sockets` knows this machine's architecture (the grader's word, for its report)."""
    return platform.machine() in _CALLS


def refuse_sockets() -> bool:
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
