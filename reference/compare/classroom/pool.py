"""The batch's grading processes: each grades one submission at a time; a death or a hang costs only that row.

A grading process (:mod:`reference.compare.classroom.grading_process`) is started once and
kept: it loads JAX, the catalog and the shared examples once, then takes
submissions one by one on its standard input and answers a row a line. Each
submission it grades runs in a contained worker of its own (per-call time-outs,
``--total-timeout``, ``--memory-limit``: :mod:`reference.compare.sandbox`), so a
submission that hangs, crashes or eats memory costs its own row. Should the
grading process itself die or overrun the submission's deadline (the overall
deadline and a margin), it is killed with everything it started, the row says
``internal``, and a fresh process takes the next submission.

Not ``concurrent.futures.ProcessPoolExecutor``: one dead process there breaks
the whole pool, and a hung one cannot be killed alone.
"""

from __future__ import annotations

import json
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from typing import Callable

from reference.compare.reports.summary import internal_row

__all__ = ["Pool", "MARGIN", "COMMAND"]

#: Seconds a grading process may take beyond a submission's own deadline (start-up, reports).
MARGIN = 120.0
#: A grading process.
COMMAND = [sys.executable, "-m", "reference.compare.classroom.grading_process"]


class _Process:
    """One grading process and its line-by-line conversation."""

    def __init__(self, init: dict, log: str | None, command: list[str]) -> None:
        prefix = [shutil.which("setpriv"), "--pdeathsig", "KILL"] if shutil.which("setpriv") else []
        self.log = open(log, "ab") if log else subprocess.DEVNULL
        self.proc = subprocess.Popen(prefix + command,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                     start_new_session=True)
        self.buf = b""
        self.send(init)

    def send(self, message: dict) -> bool:
        try:
            self.proc.stdin.write(json.dumps(message).encode() + b"\n")
            self.proc.stdin.flush()
            return True
        except (OSError, ValueError):
            return False

    def line(self, deadline: float) -> bytes | None:
        """The next line it writes by ``deadline`` (time.monotonic), or None (it died, or is late)."""
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:  # it closed its output: it is dying
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
                return None
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line

    def ask(self, job: dict, seconds: float) -> tuple[dict | None, str]:
        """Its answer to ``job`` within ``seconds``: (row, "") or (None, why not)."""
        if not self.send(job):
            return None, "the grading process does not take work"
        line = self.line(time.monotonic() + seconds)
        if line is None:
            code = self.proc.poll()
            if code is None:
                return None, f"the grader did not finish this submission within {seconds:g} s"
            how = f"signal {signal.Signals(-code).name}" if code < 0 else f"status {code}"
            return None, f"the grading process died ({how})"
        try:
            return json.loads(line)["row"], ""
        except (ValueError, KeyError, TypeError):
            return None, "the grading process answered out of turn"

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        self.proc.wait()
        self._close_log()

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()

    def _close_log(self) -> None:
        if self.log is not subprocess.DEVNULL:
            self.log.close()


class Pool:
    """``jobs`` grading processes started with ``init``; each job may take ``seconds`` before it is given up.

    ``log``: a path prefix; process k writes what it prints to ``<log>-<k>.log``.
    ``command`` starts a grading process (default: :data:`COMMAND`).
    """

    def __init__(self, jobs: int, init: dict, *, seconds: float, log: str | None = None,
                 command: list[str] | None = None) -> None:
        self.jobs, self.init, self.seconds, self.log = jobs, init, seconds, log
        self.command = command or COMMAND
        self.stopping = threading.Event()
        self._live: set[_Process] = set()
        self._ready: list[_Process] = []
        self._lock = threading.Lock()

    def start(self, count: int) -> None:
        """Start the processes for ``count`` jobs now (they load while the caller prepares)."""
        for k in range(min(self.jobs, count)):
            self._ready.append(self._start(k))

    def run(self, jobs: list[dict], done: Callable[[dict], None]) -> None:
        """Every job graded; ``done(row)`` is called (under a lock) as each ends, in whatever order."""
        todo: queue.Queue = queue.Queue()
        for job in jobs:
            todo.put(job)
        threads = [threading.Thread(target=self._slot, args=(todo, done, k), daemon=True)
                   for k in range(min(self.jobs, len(jobs)))]
        for process in self._ready[len(threads):]:  # started for jobs that turned out fewer
            process.close()
        for t in threads:
            t.start()
        try:
            for t in threads:
                while t.is_alive():
                    t.join(0.2)
        except BaseException:
            self.stopping.set()
            with self._lock:
                for p in list(self._live):
                    p.kill()
            raise

    def _slot(self, todo: queue.Queue, done: Callable[[dict], None], k: int) -> None:
        process = self._ready[k] if k < len(self._ready) else None
        try:
            while not self.stopping.is_set():
                try:
                    job = todo.get_nowait()
                except queue.Empty:
                    return
                if process is None:
                    process = self._start(k)
                start = time.monotonic()
                row, why = process.ask(job, self.seconds)
                if row is None:
                    process.kill()
                    with self._lock:
                        self._live.discard(process)
                    process = None
                    row = internal_row(job["id"], why, time.monotonic() - start)
                if not self.stopping.is_set():
                    with self._lock:
                        done(row)
        finally:
            if process is not None:
                process.close()

    def _start(self, k: int) -> _Process:
        log = f"{self.log}-{k}.log" if self.log else None
        process = _Process(self.init, log, self.command)
        with self._lock:
            self._live.add(process)
        return process
