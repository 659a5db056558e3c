"""Grade one implementation: the catalog run on it in its sandbox, as a report and an exit status.

The one place a single run is put together: ``handgrad-compare`` calls it, and so
do batch grading and the Python API. :class:`Settings` holds every option of a
run (the command line's, validated there).

>>> settings = Settings(examples=2, sweep=0, properties=("A5",))
>>> report, status = grade("handgrad", settings)   # doctest: +SKIP
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from handgrad.types import PART_A, PART_B

__all__ = ["Settings", "grade", "open_sandboxed", "start_sandboxed", "ready", "DEFAULT_EXAMPLES", "DEFAULT_SWEEP",
           "DEFAULT_TOTAL_TIMEOUT"]

DEFAULT_EXAMPLES = 40
DEFAULT_SWEEP = 2000
DEFAULT_TOTAL_TIMEOUT = 900.0


@dataclass(frozen=True)
class Settings:
    """Everything a run depends on but the implementation."""

    convention: str = "seed"
    seed: int = 0
    examples: int | None = None        # None: the profile's, else DEFAULT_EXAMPLES
    sweep: int | None = None           # None: the profile's, else DEFAULT_SWEEP
    profile: str | None = None         # dev, ci, thorough
    timeout: float = 10.0              # seconds a call
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT
    memory_limit: int = 4 << 30        # bytes of address space for the worker
    allow_import: tuple[str, ...] = ()
    allow_packages: tuple[str, ...] | None = None  # in the worker's view; None: view.DEFAULT_PACKAGES
    properties: tuple[str, ...] = ()   # ids or questions; empty: all
    hide: tuple[str, ...] = field(default=())  # folders the worker must not see
    adapter: str | None = None         # a TOML file or a bundled template's name
    run_all_cells: bool = False        # a notebook's top-level work too, not only its definitions
    whole_folder: bool = False         # the file's folder is the submission's own: its worker gets all of it
    trusted: bool = False              # installed code the caller vouches for: its worker sees the whole disk

    def view_packages(self) -> tuple[str, ...]:
        """The packages a submission's worker sees: those allowed (or the defaults), and the allowed imports."""
        from reference.compare.sandbox.view import DEFAULT_PACKAGES

        chosen = DEFAULT_PACKAGES if self.allow_packages is None else self.allow_packages
        return tuple(dict.fromkeys((*chosen, *self.allow_import)))

    def resolved(self) -> tuple[int, int, bool]:
        """(examples per property, sweep problems, targeted) after the profile."""
        from reference.compare.running.runner import PROFILES

        profile = PROFILES[self.profile] if self.profile else None
        examples = self.examples or (profile["max_examples"] if profile else DEFAULT_EXAMPLES)
        sweep = self.sweep if self.sweep is not None else (profile["sweep"] if profile else DEFAULT_SWEEP)
        return examples, sweep, bool(profile and profile["target"])

    def replay(self, spec: str, prop_id: str) -> str:
        """The command line that reruns one property with these settings, each word quoted for a shell and shown
        on one line (:func:`reference.compare.sandbox.interface.shell_word`: a file name may hold a newline)."""
        from reference.compare.sandbox.interface import shell_word

        examples, sweep, _ = self.resolved()
        words = ["handgrad-compare", "--impl", spec, "--seed", str(self.seed), "--examples", str(examples),
                 "--sweep", str(sweep), "--property", prop_id]
        words += (["--adapter", self.adapter] if self.adapter else []) + (
            ["--run-all-cells"] if self.run_all_cells else []) + (["--whole-folder"] if self.whole_folder else [])
        if self.convention != "seed":
            words += ["--convention", self.convention]
        return " ".join(shell_word(w) for w in words)


def _judge_opener(impl, spec: str, settings: Settings, deadline: float):
    """How to open the second worker the calls judging a failure go to (:attr:`Context.judging`): a contained
    process of its own, read through the same adapter; None for code run in this process (trusted)."""
    from reference.compare.sandbox import SubprocessImpl

    if not isinstance(impl, SubprocessImpl):
        return None

    def open_judge():
        judge = open_sandboxed(spec, settings, deadline)
        if not isinstance(judge, BaseException):
            judge.declared = impl.declared  # the adapter as the grader read it, whoever staged it
        return judge
    return open_judge


def open_sandboxed(spec: str, settings: Settings, deadline: float):
    """The implementation in its contained process, or the LoadError that says why not (``grade``'s default)."""
    return ready(start_sandboxed(spec, settings, deadline))


def start_sandboxed(spec: str, settings: Settings, deadline: float | None = None):
    """:func:`open_sandboxed`'s first half: the contained process started, its import not waited for (or a
    LoadError); :func:`ready` is the second half. The submission imports while the caller goes on."""
    from reference.compare.sandbox import LoadError, StartFailed, SubprocessImpl
    from reference.compare.sandbox.isolation import Limits

    try:
        return SubprocessImpl(spec, timeout=settings.timeout, deadline=deadline,
                              limits=Limits(memory=settings.memory_limit), hide=settings.hide,
                              adapter=settings.adapter, run_all_cells=settings.run_all_cells, allow_missing=True,
                              wait=False, allow_packages=settings.view_packages(),
                              trusted=settings.trusted, whole_folder=settings.whole_folder)
    except (LoadError, StartFailed) as exc:
        return exc


def ready(impl):
    """A started implementation once imported, or the LoadError that says why not (the process then closed), or
    the StartFailed that says the grader could not start it."""
    from reference.compare.sandbox import LoadError, StartFailed

    if isinstance(impl, Exception):
        return impl
    try:
        impl.ready()
    except (LoadError, StartFailed) as exc:
        impl.close()
        return exc
    spec = impl.spec
    functions = set(PART_A) | set(PART_B)
    if functions <= set(impl.missing):  # what loads is graded; with nothing to call, there is nothing to grade
        impl.close()
        return LoadError(f"{spec}: none of the API's functions is there ({', '.join(sorted(functions)[:4])}…)"
                         + getattr(impl, "left_out_note", str)())
    return impl


def _attach_output(result, impl):
    """``result``, with what the submission printed computing its calls (``Impl.printed``) added once if it
    did not pass."""
    if result.status not in ("pass", "not-run") and "output" not in result.details:
        text = impl.printed(result.id)
        if text:
            result.message += f"; its output: {text}"
            result.details = {**result.details, "output": text}
    return result


def _integrity(spec: str, modules: set[str], settings: Settings) -> tuple[dict, str]:
    """The integrity entry, and the grader's own failure to make it ("" when none): the report is written
    whatever the submission's files hold."""
    from reference.compare.submissions.integrity import integrity

    try:
        return integrity(spec, modules, allow=settings.allow_import), ""
    except Exception as exc:  # noqa: BLE001 - the grader's own fault: said, never blamed on the submission
        return {}, f"the integrity check: {type(exc).__name__}: {exc}"


def grade(spec: str, settings: Settings = Settings(), *, progress: Callable | None = None,
          opener: Callable | None = None, catalog: Callable | None = None) -> tuple[object, int]:
    """Check ``spec`` (a module name or a path); returns (Report, exit status 0/1/2/3/130).

    ``progress(result, i, total)`` is called after each property. ``opener(spec,
    settings, deadline)`` returns the Impl to check, or the LoadError saying why
    not (default :func:`open_sandboxed`); ``catalog`` stands for ``run_catalog``
    (:mod:`reference.compare.reuse.shared`). What the submission printed computing a failing
    property's calls is added to its message. A run interrupted (KeyboardInterrupt) or
    broken by the grader's own error still returns the report of what was done.
    """
    from reference.compare.exercise.catalog import Context, select
    from reference.compare.reports.formats import Report, load_error_report
    from reference.compare.running.runner import PropertyResult, run_catalog
    from reference.compare.sandbox import StartFailed

    start = time.perf_counter()
    props = select(list(settings.properties) or None)
    examples, sweep, target = settings.resolved()
    deadline = time.monotonic() + settings.total_timeout
    impl = (opener or open_sandboxed)(spec, settings, deadline)
    if isinstance(impl, StartFailed):  # the grader's own failure, not the submission's: internal, graded again
        report = Report(spec, settings.convention, settings.seed, None, 0, [], time.perf_counter() - start,
                        internal_error=str(impl))
        return report, 3
    if isinstance(impl, Exception):
        report = load_error_report(spec, settings.convention, settings.seed, str(impl), time.perf_counter() - start)
        report.integrity, report.internal_error = _integrity(spec, set(), settings)  # what its source shows
        return report, 2
    done: list = []

    def collect(result, i, total):
        done.append(result)
        _attach_output(result, impl)
        if progress:
            progress(result, i, total)
    figures, internal, status = {}, "", 0
    # the calls that judge a failure go to a second worker of the submission, opened on the first one
    ctx = Context(impl, convention=settings.convention,
                  open_judge=_judge_opener(impl, spec, settings, deadline))
    judge_modules: set = set()
    with impl:
        try:
            _, figures = (catalog or run_catalog)(
                ctx, props, max_examples=examples, sweep=sweep,
                seed=settings.seed, target=target, progress=collect,
                replay=lambda p: settings.replay(spec, p.id), deadline=deadline)
        except KeyboardInterrupt:
            internal, status = "interrupted (a signal to the grader): the properties not reached were not run", 130
        except Exception as exc:  # noqa: BLE001 - the grader's own fault: reported, never blamed on the submission
            internal, status = f"{type(exc).__name__}: {exc}", 3
        finally:
            judge_modules = ctx.close_judge()
    results = [_attach_output(r, impl) for r in done]  # the output of a property the bulk sweep failed, too
    results += [PropertyResult(p.id, p.question, p.title, status="not-run", message="not run")
                for p in props if p.id not in {r.id for r in done}]
    report = Report(spec, settings.convention, settings.seed, examples, sweep, results, time.perf_counter() - start,
                    figures, isolation=impl.isolation, protection=getattr(impl, "protection", ""),
                    internal_error=internal)
    report.integrity, trouble = _integrity(spec, set(impl.modules) | judge_modules, settings)
    report.internal_error = report.internal_error or trouble
    status = status or (3 if any(r.status == "internal" for r in results) else 0)
    return report, status or (0 if report.ok else 1)
