"""The grader's side of the sandbox: the implementation under test in a contained child process.

An implementation under check is untrusted code: it may hang, crash, exit, print,
modify its inputs, or attack the grader. :class:`SubprocessImpl` runs it in a
worker (:mod:`reference.compare.sandbox.worker_side`) contained as
:mod:`reference.compare.sandbox.isolation` allows, with a time limit per call;
what comes back is data (:mod:`reference.compare.sandbox.wire`), capped in size
from the shapes the calls must return. A hang, crash, exit or malformed reply
becomes an :class:`~reference.compare.call_outcomes.ImplProblem` for the
property concerned and the worker is restarted for the next call. Its output is
read into a bounded buffer (the last 64 kB): shown escaped, the first 8 kB of what
each property's calls printed (:meth:`SubprocessImpl.printed`), and what it wrote
before a crash.
"""

from __future__ import annotations

import collections
import math
import os
import re
import signal
import socket
import subprocess
import threading
import time
from typing import Any, Callable, Sequence

from reference.compare.sandbox import cgroup, child, folders, isolation, view, wire, worker_side
from reference.compare.sandbox.call_memo import CallMemo
from reference.compare.sandbox.child import OutputTail, loaded
from reference.compare.sandbox.interface import (
    TABLE,
    Call,
    Impl,
    ImplCrashed,
    ImplProblem,
    ImplTimeout,
    LoadError,
    Replay,
    StartFailed,
    as_calls,
    asking,
    check_sweep,
    escape,
)
from reference.compare.sandbox.staging import stage
from reference.compare.submissions.adapter import read_adapter

__all__ = ["SubprocessImpl", "DeadlineReached", "OutputTail", "WATCH_EVERY"]

#: What the tools that start a worker print, first, when the grader's user cannot have one more process or the
#: memory for it (bubblewrap's "Can't fork for pid 1: Resource temporarily unavailable"): before any of the
#: submission's code ran, the grader's failure.
_STARTER_FAILED = re.compile(r"(bwrap|setpriv|prlimit|chroot|env): [^\n]*(Resource temporarily unavailable|"
                             r"Cannot allocate memory|Can't fork|fork failed)")

#: Seconds between two measures of a worker's folder on the grader's disk (at least: twice a measure's own time).
WATCH_EVERY = 0.2

def _grader_folders() -> tuple[str, ...]:
    """The grader's caches (the reference's answers among them): never staged, wherever they lie."""
    from reference.compare import cache_folders

    return tuple(str(f()) for f in (cache_folders.cache_root, cache_folders.jax_cache_dir,
                                    cache_folders.hypothesis_dir, cache_folders.examples_dir))


class DeadlineReached(ImplTimeout):
    """The run's overall deadline passed: no more calls."""


class SubprocessImpl(Impl):
    """An untrusted implementation in a contained child process, ``timeout`` seconds a call.

    ``deadline`` (a ``time.monotonic()`` value) ends every call after it with
    :class:`DeadlineReached`. ``hide`` names folders the worker must not see
    (in the namespace mode). The submission (a .py file or a notebook, with the
    other files of its folder) is copied into the worker's own folder; a module
    name is imported as installed.

    ``adapter``: an adapter file (or a bundled template's name, ``"mlp_class"``),
    read and validated here first (``ValueError`` naming the file and the key),
    then copied beside the submission and applied by the worker right after the
    import. ``run_all_cells``: a notebook runs every top-level statement, not only
    its definitions. ``allow_missing``: a submission lacking API names still loads;
    :attr:`missing` names them, and a call of one is answered as raised
    ``NotImplementedError`` (without it, :class:`LoadError`).

    What the worker sees (namespace mode, :mod:`.view`): for a submission file,
    Python, NumPy, ``allow_packages`` and its own folder; for a module name, or
    with ``trusted`` (installed code the caller vouches for), the whole file
    system, read-only. ValueError names an ``allow_packages`` entry that must
    stay out (the answer key).
    """

    def __init__(self, spec: str, *, timeout: float = 10.0, deadline: float | None = None,
                 limits: isolation.Limits | None = None, hide: tuple[str, ...] = (),
                 adapter: str | os.PathLike | None = None, run_all_cells: bool = False,
                 allow_missing: bool = False, wait: bool = True,
                 allow_packages: tuple[str, ...] = view.DEFAULT_PACKAGES, trusted: bool = False,
                 whole_folder: bool = False) -> None:
        if not (math.isfinite(timeout) and timeout > 0):
            raise ValueError(f"timeout must be a finite number of seconds > 0; got {timeout!r}")
        self.adapter, self.declared = read_adapter(adapter) if adapter is not None else (None, None)
        self.spec, self.timeout, self.deadline = spec, float(timeout), deadline
        self.limits, self.hide = limits or isolation.Limits(), tuple(hide)
        self.run_all_cells, self.allow_missing = bool(run_all_cells), bool(allow_missing)
        self.whole_folder = bool(whole_folder)
        self.isolation = isolation.probe()
        # what the worker sees: the allow-list for a submission file, the whole file system for installed code
        self.view: tuple[str, ...] | None = None
        if not trusted and worker_side.is_path(spec):
            view.refuse_key(tuple(allow_packages))  # ValueError names a package that must stay out of view
            self.view = tuple(allow_packages)
        self.group = cgroup.open_tree_limits(self.limits.memory, self.limits.processes)
        self.protection = isolation.protection(self.isolation, trusted=self.view is None, tree=self.group is not None,
                                               processes=self.limits.processes)
        self.timeouts: collections.Counter[str] = collections.Counter()
        self.memo = CallMemo()  # a call already answered is not sent again
        self.modules: set[str] = set()  # watched modules the submission's process imported
        self.said: dict[str, bytearray] = {}  # per asker, what its calls printed (OutputTail.heard)
        self._proc: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self._ids, self._unstarted = 0, 0  # requests sent; restarts that failed
        self._pending: Callable[[], Any] | None = None  # the collector of the request in flight
        self._workdir = isolation.new_workdir(self.isolation, self.view)
        self._seen = isolation.seen_as(self._workdir, isolation.jail_of(self.isolation, self.view))
        self.uid = isolation.fresh_uid()  # a root grader's workers: a host user each, none another's folder
        # a submission's folder on the grader's disk (not a sized tmpfs): measured while it runs, Limits.disk
        self._watched = self.view is not None and self.isolation != "namespace"
        self._over_disk = ""  # why the watcher stopped the worker (its folder past Limits.disk), once it did
        self._tail = ""  # what the worker printed before it last died
        try:
            self._stage()
            self._spawn()
            if wait:
                self._greet()
        except BaseException as exc:
            folders.remove(self._workdir)
            if self.group is not None:
                self.group.close()
            if isinstance(exc, (ValueError, OSError)) and not isinstance(exc, LoadError):
                raise LoadError(f"{spec}: cannot copy it for its worker: {exc}") from None
            raise

    # -- process management ------------------------------------------------
    def _stage(self) -> None:
        """The worker's folder (0700, its own user's when the grader is root) with the submission copied in."""
        if os.geteuid() == 0 and (self.view is not None or self.isolation == "unprivileged"):
            os.chown(self._workdir, self.uid, self.uid)  # its own folder, 0700: no other worker enters it
        self._staged = stage(self._workdir, self.spec, adapter=self.adapter, run_all_cells=self.run_all_cells,
                             exclude=_grader_folders(), seen_as=self._seen, whole_folder=self.whole_folder)

    def _watch(self, proc: subprocess.Popen) -> None:
        """While ``proc`` runs: its folder measured, with the files it unlinked but keeps open (a worker of its
        own host user: :func:`.folders.unlinked`); past ``Limits.disk`` (or nested past what is measured, or
        its open files hidden from the grader), the worker is stopped, the reason kept for the call that was
        waiting (:meth:`_receive`)."""
        limit = self.limits.disk
        own = self.isolation == "unprivileged" and os.geteuid() == 0 and self.uid != isolation.NOBODY \
            and folders.reads_fds()  # else its folder alone (the grader cannot see what its processes hold)
        hidden: set[int] = set()
        while proc.poll() is None:
            start = time.monotonic()
            try:
                used = folders.usage(self._workdir, stop_at=limit)
                over = f"its folder reached the disk limit ({limit / (1 << 20):g} MiB)" if used > limit else ""
                if own and not over:
                    over, hidden = folders.past_limit(self._workdir, self.uid, self.group, self.limits, used, hidden)
            except folders.TooMany as exc:
                over = f"its folder holds {exc} (the limit on what it may leave to be removed)"
            except folders.TooDeep as exc:
                over = f"its folder has {exc} (the disk limit is measured to that depth)"
            except OSError:
                over = ""
            if over:
                self._over_disk = over
                if proc.poll() is None:
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        proc.kill()
                if self.group is not None:
                    self.group.kill()
                elif own:  # its processes that left its session
                    folders.kill_user(self.uid)
                return
            time.sleep(max(WATCH_EVERY, 2 * (time.monotonic() - start)))

    def _shown_text(self, text: str) -> str:
        """A message with the worker's copies (the submission's folder, the adapter) named as the user named them."""
        return self._staged.shown(text)

    def left_out_note(self) -> str:
        """What a load error adds when .py files beside a submission file were not given to its worker (a helper
        imported by a computed name is not found): how many, not their names (a classmate's?), or ""."""
        n = len(self._staged.left_out)
        return (f" (its worker had this file and the local modules it imports, not the {n} other .py "
                f"file{'s' if n > 1 else ''} beside it; a folder that is the submission's own: --whole-folder)"
                if n else "")

    def ready(self) -> None:
        """Wait for the worker's import (``wait=False`` started it without waiting); LoadError if it did not load.

        The caller then closes it. Started early, the submission imports while
        the grader loads its own modules.
        """
        if not self._greeted:
            self._greet()

    def _start(self) -> None:
        self._spawn()
        self._greet()

    def _spawn(self) -> None:
        self._greeted, self._spawned, self._tail = False, time.monotonic(), ""
        self._ooms = self.group.oom_kills() if self.group is not None else 0
        self._refusals = self.group.process_refusals() if self.group is not None else 0
        parent, theirs = socket.socketpair()
        tail = [str(theirs.fileno()), self._staged.target, *self._staged.options, *TABLE.start_arguments()]
        line, preexec = isolation.command(tail, workdir=self._workdir, mode=self.isolation, limits=self.limits,
                                          allowed=self.view, group=self.group, hide=self.hide, uid=self.uid)
        try:
            self._proc = subprocess.Popen(
                line, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, cwd=self._workdir, env=isolation.environment(self._seen),
                start_new_session=True, preexec_fn=preexec)
        except OSError as exc:  # the grader's own fork or exec failed (EAGAIN, ENOMEM...): nothing of theirs ran
            parent.close()
            theirs.close()
            raise StartFailed(f"the grader could not start a worker for {self.spec}: {exc}") from None
        theirs.close()
        self._sock = parent
        self.output = OutputTail(self._proc.stdout, self.said)
        if self._watched:
            threading.Thread(target=self._watch, args=(self._proc,), name="handgrad-disk-watch", daemon=True).start()

    def _greet(self) -> None:
        """The worker's hello: the submission imported (within a call's time limit of its start, IMPORT_FLOOR
        at least), or LoadError."""
        limit = max(self.timeout, child.IMPORT_FLOOR)
        try:
            left = max(0.05, self._spawned + limit - time.monotonic())
            hello = self._receive(min(self._left(limit), left), "import", 1 << 16)
            self.missing = loaded(hello, self.spec, limit, self.allow_missing, self._shown_text)
        except (ImplProblem, LoadError) as exc:
            self._kill()
            text = (str(exc) if isinstance(exc, LoadError) else self._shown_text(f"{self.spec}: {exc}")) \
                + self.left_out_note()
            if isinstance(exc, LoadError) and text == str(exc):
                raise
            if _STARTER_FAILED.match(self._tail):
                raise StartFailed(f"the grader could not start a worker for {self.spec}: "
                                  f"{escape(self._tail.splitlines()[0], 300)}") from None
            raise LoadError(text) from None
        self.modules |= child.watched(hello)
        self.output.heard(None)  # what it printed at import is no property's
        self._greeted = True

    def _left(self, timeout: float) -> float:
        """This call's time: ``timeout``, cut to the overall deadline."""
        if self.deadline is None:
            return timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise DeadlineReached("not called: the overall deadline (--total-timeout) was reached")
        return min(timeout, left)

    def _receive(self, timeout: float, what: str, limit: int) -> Any:
        """The worker's next frame; None on time-out; ImplCrashed if it died or broke the protocol."""
        assert self._sock is not None and self._proc is not None
        mark = self.output.heard_at  # a crash shows what came since the last reply, however late this one is read
        try:
            return wire.receive(self._sock, deadline=time.monotonic() + timeout, limit=limit)
        except TimeoutError:
            return None
        except (EOFError, OSError, wire.WireError) as exc:
            detail = child.broken(self._proc, exc)
            if self._over_disk:
                detail = f"the process was killed: {self._over_disk}"
            elif self.group is not None and self.group.oom_kills() > self._ooms:
                detail = (f"the process was killed: its processes together reached the memory limit "
                          f"({self.limits.memory / (1 << 30):g} GiB, --memory-limit)")
            self._kill()
            self.output.settle()  # what it wrote before it died, read to the end
            tail = self._tail = self.output.since(mark)
            raise ImplCrashed(self._shown_text(f"{what}: {detail}" + (f"; output: {tail}" if tail else ""))) from None

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)  # the worker's session: it and what it started
            except (ProcessLookupError, PermissionError):
                self._proc.kill()
            self._proc.wait()
        if self.group is not None:
            self.group.kill()  # what left the worker's session, in the modes without a PID namespace
        if self._sock is not None:
            self._sock.close()
        self._proc = self._sock = None
        if self._over_disk:  # what filled its folder goes; the next worker starts from the submission's copy
            self._over_disk = ""
            try:
                if folders.remove(self._workdir):
                    os.mkdir(self._workdir, 0o700)
                    self._stage()
            except (OSError, ValueError):  # the next start fails to load: "could not be restarted"
                pass

    def _ensure(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            self._kill()
            if self._unstarted >= 3:  # as a function that timed out 3 times: each try costs an import's time
                raise ImplCrashed("the process could not be restarted 3 times; it is not started again")
            try:
                self._start()
            except LoadError as exc:
                self._unstarted += 1
                raise ImplCrashed(f"the process could not be restarted: {exc}") from None

    def in_flight(self, collect: Callable[[], Any]) -> Callable[[], Any]:
        """``collect`` (of the request just sent) run at most once: by its caller, or before the next request.

        One exchange at a time: a request sent while another is in flight first reads that one's reply,
        which its collector then returns. It is collected for its sender (:func:`asking`), calls made again too.
        """
        done, asker = [], self.asker

        def once() -> Any:
            if not done:
                if self._pending is once:
                    self._pending = None
                with asking(self, asker):
                    done.append(collect())
            return done[0]
        self._pending = once
        return once

    def _settle(self) -> None:
        if self._pending is not None:
            self._pending()

    def _send(self, message: dict, name: str, timeout: float) -> None:
        self._settle()
        if not self._greeted and self._proc is not None and self._proc.poll() is None:
            try:
                self.ready()
            except LoadError as exc:
                raise ImplCrashed(str(exc)) from None
        self._ensure()
        assert self._sock is not None
        try:
            self._sock.settimeout(timeout)
            wire.send_pickled(self._sock, message)
        except OSError:  # a worker that does not read, or died
            self._kill()
            raise ImplCrashed(f"{name}: the process does not take its calls") from None

    def _reply(self, name: str, timeout: float, limit: int, key: str, rid: int) -> Any:
        """The reply to the request just sent: its ``key`` part; a time-out stops the worker."""
        tail = self.output
        try:
            reply = self._receive(timeout, name, limit)
        finally:
            tail.heard(self.asker)  # what the worker printed computing it (in_flight: the asker who sent it)
        if reply is None:
            self._kill()
            self.timeouts[name] += 1
            raise ImplTimeout(f"{name} did not return within {timeout:g} s (the process was stopped)")
        if not isinstance(reply, dict) or reply.get("id") != rid or key not in reply:
            self._kill()
            raise ImplCrashed(f"{name}: a reply that does not answer the call")
        return reply[key]

    # -- the interface -------------------------------------------------------
    def printed(self, asker: str) -> str:
        return child.printed(self.said, asker)

    def call(self, name: str, *args, **kwargs) -> Call:
        result = self.call_each([(name, args, kwargs)])[0]
        if isinstance(result, ImplProblem):
            raise result
        return result

    def call_many(self, name: str, arg_list: Sequence[tuple], **kwargs) -> list[Call | ImplProblem]:
        return self.call_each([(name, tuple(args), kwargs) for args in arg_list])

    def call_each(self, calls: Sequence[tuple[str, tuple, dict]]) -> list[Call | ImplProblem]:
        return self.submit_each(calls)()

    def submit_each(self, calls: Sequence[tuple[str, tuple, dict]], *, checked: bool = True):
        refused = [self.refused(name, tuple(args)) for name, args, _ in calls]
        if any(r is not None for r in refused):  # the grader's decision: those are not sent
            sent = self.submit_each([c for c, r in zip(calls, refused) if r is None], checked=checked)

            def merged() -> list[Call | ImplProblem]:
                got = iter(sent())
                return [r if r is not None else next(got) for r in refused]
            return merged
        if checked and calls:
            return self.memo.submit(calls, self._submit_each)
        return self._submit_each(calls, checked=checked)

    def call_shared(self, calls: Sequence[tuple[str, tuple, dict]]) -> list[Call | ImplProblem]:
        refused = [self.refused(name, tuple(args)) for name, args, _ in calls]
        if any(r is not None for r in refused):
            return [r if r is not None else ImplCrashed("not called: a call before it was not sent") for r in refused]
        return self._submit_each(calls, checked=False, shared=True)()

    def _submit_each(self, calls: Sequence[tuple[str, tuple, dict]], *, checked: bool = True, shared: bool = False):
        if not calls:
            return lambda: []
        names = [name for name, _, _ in calls]
        try:
            timeout = self._left(self.timeout)
            if any(self.timeouts[n] >= 3 for n in names):
                raise ImplTimeout(f"{names[0]} timed out 3 times already; not called again")
            self._settle()  # one exchange at a time: the reply in flight is read before this request is sent
            self._ids += 1
            rid = self._ids
            self._send({"op": "each", "id": rid, "calls": [list(c) for c in calls], "checked": checked,
                        "shared": shared}, names[0], timeout)
        except ImplProblem as exc:
            problem = exc
            if isinstance(problem, ImplTimeout) or shared:  # deadline, timed out too often, or in sequence
                return lambda: [problem] * len(calls)
            return (lambda: [problem]) if len(calls) == 1 else (lambda: Impl.call_each(self, calls))
        limit = child.each_limit(calls)

        def collect() -> list[Call | ImplProblem]:
            try:
                replies = self._reply(names[0], timeout, limit, "replies", rid)
            except ImplProblem as exc:
                if len(calls) == 1 or shared:  # a sequence on shared inputs is not called again one by one
                    return [exc] * len(calls)
                return Impl.call_each(self, calls)  # a hang or a crash somewhere: one at a time, to find it
            return [self._shown_call(r) for r in as_calls(replies, names)]
        return self.in_flight(collect)

    def _shown_call(self, r):
        if isinstance(r, ImplProblem):
            r.args = (self._shown_text(str(r)) + self._limit_reached(str(r)),)
        return r

    def _limit_reached(self, message: str) -> str:
        """A note naming the limit a problem hit, as the grader sees it (the control group's own count), or ""."""
        refused = self.group.process_refusals() if self.group is not None else 0
        if refused > self._refusals:
            self._refusals = refused
            return f" (its processes reached the limit of {self.limits.processes} processes and threads)"
        if "No space left on device" in message and self.view is not None:
            return f" (its folder and /tmp hold {self.limits.disk >> 20} MiB each)"
        return ""

    def submit_sweep(self, batch: dict, calls: list[tuple[str, int]]):
        """Sent at once; the worker cuts the problems and computes while the grader evaluates the reference."""
        names = [n for n, _ in calls]
        try:
            timeout = self._left(self.timeout)
            if not calls or any(self.timeouts[n] >= 3 for n in set(names)):
                raise ImplTimeout("one at a time")
            self._settle()
            self._ids += 1
            rid = self._ids
            self._send({"op": "sweep", "id": rid, "batch": batch, "calls": [list(c) for c in calls]},
                       names[0], timeout)
        except ImplProblem:
            return self._sweep_one_by_one(batch, calls)
        limit = child.sweep_limit(batch)

        def collect():
            try:
                return check_sweep(self._reply(names[0], timeout, limit, "sweep", rid), batch, calls)
            except ImplProblem:
                return self._sweep_one_by_one(batch, calls)()
        return self.in_flight(collect)

    def _sweep_one_by_one(self, batch: dict, calls: list[tuple[str, int]]):
        """After a hang or crash in a batch: each call alone, with the time limit, to find the culprit."""
        results = Impl.call_each(self, [(n, TABLE.cut(batch, n, i), {}) for n, i in calls])
        out = check_sweep(TABLE.sweep_calls(Replay(results), batch, calls), batch, calls)
        return lambda: out

    def close(self) -> None:
        try:
            self._settle()
        except ImplProblem:
            pass
        if self._sock is not None and self._proc is not None and self._proc.poll() is None:
            self.modules |= child.last_word(self._sock)
        self._kill()
        if self.group is not None:
            self.group.close()
        folders.remove(self._workdir)  # any depth (a folder nested past the recursion limit); never raises
