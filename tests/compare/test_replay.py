"""Examples drawn once and replayed: the results of a run under Hypothesis, on any implementation."""

import dataclasses
import hashlib
import json
import pickle
import time

import pytest
from hypothesis import settings
from test_verdicts import BAD

from reference.compare.exercise.catalog import CATALOG, Context, select
from reference.compare.grade_one import Settings, grade, open_sandboxed
from reference.compare.reuse.prefetch import same
from reference.compare.reuse.seeded_draws import import_all, without_explain
from reference.compare.reuse.shared import Recording, Shared, SharedCatalog, recording
from reference.compare.reuse.store import Store
from reference.compare.running.runner import run_catalog, run_property
from reference.compare.sandbox import InProcessImpl, SubprocessImpl
from support import HONEST, compare, implementation, standalone_submission

EXAMPLES, SWEEP = 5, 100


@pytest.fixture(scope="module")
def no_explain():
    """Hypothesis without its explain phase, as handgrad-compare runs it; the suite's profile restored after."""
    saved = settings.default
    without_explain()
    yield
    settings.register_profile("restored-after-test-replay", saved)
    settings.load_profile("restored-after-test-replay")


@pytest.fixture(scope="module")
def shared(no_explain):
    """Every property recorded once on handgrad, as a batch does."""
    s = Shared()
    assert s.prepare(CATALOG, max_examples=EXAMPLES, seed=0) == []
    return s


def _drawn(spec: str, props, contained: bool = False) -> dict:
    """What each property's run draws on ``spec``, as digests, with its verdict."""
    out = {}
    with (SubprocessImpl(spec) if contained else InProcessImpl(spec)) as impl:
        ctx = Context(impl)
        for prop in props:
            sink = Recording()
            r = run_property(recording(prop, sink), ctx, max_examples=EXAMPLES, seed=0)
            out[prop.id] = (r.status, [hashlib.sha256(pickle.dumps(e)).hexdigest() for e in sink.examples])
    return out


def test_a_passing_runs_examples_do_not_depend_on_the_implementation():
    # handgrad in this process and a rewrite in a contained process on every property; the reference
    # (JAX, call by call: slow) on some of each kind. Hypothesis's local constants: all of the project's.
    import_all()
    a = _drawn("handgrad", CATALOG)
    b = _drawn(str(implementation("equivalent_einsum")), CATALOG, contained=True)
    some = select(["A1-sigmoid", "A6", "B3", "B6", "B15-W1", "B18-all", "X1", "X5"])
    c = _drawn("reference", some)
    assert {v[0] for v in a.values()} == {"pass"}
    assert a == b and c == {p.id: a[p.id] for p in some}


def test_a_targeted_run_is_never_replayed(shared):
    catalog = SharedCatalog(shared, learn=False)
    with InProcessImpl("handgrad") as impl:
        results, _ = catalog(Context(impl), select(["A5", "B7"]), max_examples=EXAMPLES, seed=0, target=True)
    assert catalog.replayed == 0 and [r.status for r in results] == ["pass", "pass"]


def _strip(results) -> list[dict]:
    return [{k: v for k, v in r.to_dict().items() if k != "seconds"} for r in results]


def _both(spec: str, shared: Shared, props=CATALOG, contained: bool = False, **kwargs):
    """(a run under Hypothesis, the replay) on ``spec``, each with a fresh implementation."""
    runs = []
    for run in (run_catalog, SharedCatalog(shared, learn=False)):
        with (SubprocessImpl(spec, **kwargs) if contained else InProcessImpl(spec)) as impl:
            results, figures = run(Context(impl), props, max_examples=EXAMPLES, sweep=SWEEP, seed=0)
        runs.append((_strip(results), figures.get("problems")))
    return runs


@pytest.mark.parametrize("name", ["equivalent_einsum", "seed_000_literal", "bug_mutates_input", "bug_rect_ge"])
def test_a_replay_gives_the_results_of_a_run(shared, name):
    live, replayed = _both(str(implementation(name)), shared)
    assert live == replayed


def test_inherited_failures_are_replayed_and_shrunk_as_a_run_shrinks_them(shared):
    # rect'(0) = 1: B15–B18 are right on their own inputs; a replay reaches that verdict without Hypothesis
    catalog = SharedCatalog(shared, learn=False)
    props = select(["B13", "B15-W1", "B16", "B18-all"])
    with InProcessImpl(str(implementation("bug_rect_ge"))) as impl:
        replayed, _ = catalog(Context(impl), props, max_examples=EXAMPLES, seed=0)
    with InProcessImpl(str(implementation("bug_rect_ge"))) as impl:
        live, _ = run_catalog(Context(impl), props, max_examples=EXAMPLES, seed=0)
    assert [r.status for r in replayed] == ["fail", "inherited", "inherited", "inherited"]
    assert catalog.live == 1 and catalog.replayed == 3  # B13 fails on its own: run under Hypothesis
    assert _strip(replayed) == _strip(live)


def test_a_replay_asks_the_reference_nothing_its_record_does_not_answer(shared, monkeypatch):
    # every answer a passing example's check needs (its evaluation, part A's values, B6's steps) is in the
    # record: a correct implementation replayed asks JAX nothing, even with the process's memo empty
    import reference.functions
    from reference.compare.exercise import reference_memo
    from reference.compare.exercise.catalog import context

    asked = []
    monkeypatch.setattr(context, "evaluate_many", lambda *a, **k: asked.append("evaluate_many"))
    for name in reference.functions.__all__:
        monkeypatch.setattr(reference.functions, name, lambda *a, name=name, **k: asked.append(name))
    monkeypatch.setattr(reference_memo, "MEMO", reference_memo.Memo(10))
    catalog = SharedCatalog(shared, learn=False)
    with InProcessImpl("handgrad") as impl:
        results, _ = catalog(Context(impl), CATALOG, max_examples=EXAMPLES, seed=0)
    assert {r.status for r in results} == {"pass"} and catalog.replayed == len(CATALOG)
    assert asked == []


@pytest.mark.parametrize("first, second, contained", [
    ("bug_sum_not_mean", "bug_sum_not_mean", False),  # the same mistake: followed, not run again
    ("bug_l1_penalty_sum", "bug_l1_penalty_sum", False),  # examples rejected before the failure: followed too
    ("seed_000_literal", "seed_000_literal", True),   # in a contained process: the calls fetched ahead
    ("bug_rect_ge", "bug_sum_not_mean", False),       # another mistake: its own journals
])
def test_a_failure_followed_from_an_earlier_submissions_run_is_the_run_of_its_own(shared, first, second, contained):
    catalog = SharedCatalog(shared, learn=False)
    for name in (first, second):
        with (SubprocessImpl if contained else InProcessImpl)(str(implementation(name))) as impl:
            followed, _ = catalog(Context(impl), CATALOG, max_examples=EXAMPLES, seed=0)
        if name == first:
            live_first = catalog.live
    with InProcessImpl(str(implementation(second))) as impl:
        live, _ = run_catalog(Context(impl), CATALOG, max_examples=EXAMPLES, seed=0)
    assert _strip(followed) == _strip(live)
    if first == second:
        assert catalog.followed == live_first > 0 and catalog.live == live_first


def test_a_failure_whose_calls_end_otherwise_than_the_journal_says_is_run_under_hypothesis(shared, tmp_path):
    # two mistakes that fail first at the same example, the same way (W2's gradient doubled from n = 2, and
    # from n = 2 or m = 3): the second's shrinking parts from the first's at a call the first passed; it is run
    # under Hypothesis, and its counterexamples are its own. A property whose calls end as the journal says
    # all the way (its judging asks the same calls of both) may be followed: its results are the live run's
    def doubled(when: str):
        path = tmp_path / f"w2_{len(list(tmp_path.iterdir()))}.py"
        path.write_text(standalone_submission(
            f"\n\n_own_backprop = backprop\n\n\ndef backprop(params, X, y, lambdas=Lambdas()):\n"
            f"    g = _own_backprop(params, X, y, lambdas)\n    return g._replace(W2=g.W2 * 2) if {when} else g\n"))
        return str(path)
    first, second = doubled("len(X) >= 2"), doubled("len(X) >= 2 or params.W2.shape[0] >= 3")
    catalog = SharedCatalog(shared, learn=False)
    for spec in (first, second):
        with InProcessImpl(spec) as impl:
            followed, _ = catalog(Context(impl), CATALOG, max_examples=EXAMPLES, seed=0)
    with InProcessImpl(second) as impl:
        live, _ = run_catalog(Context(impl), CATALOG, max_examples=EXAMPLES, seed=0)
    assert catalog.diverged > 0, (catalog.diverged, catalog.followed)
    assert _strip(followed) == _strip(live)


def test_a_replay_in_a_contained_process_gives_the_results_of_a_run(shared):
    # calls fetched ahead in one round trip; crashes and exits are errors at the same example
    live, replayed = _both(str(implementation("crashes_in_call")), shared, contained=True)
    assert live == replayed
    assert {r["id"] for r in replayed[0] if r["status"] == "error"} >= {"B4", "B5-risk", "X4"}


def test_a_hang_is_the_same_error_replayed(shared):
    props = select(["B7", "B9", "B13", "X1", "A5"])
    live, replayed = _both(str(implementation("hangs_in_call")), shared, props, contained=True, timeout=1.0)
    assert live == replayed
    assert [r["status"] for r in replayed[0]] == ["pass", "error", "error", "error", "error"]


#: What the sweep adds to test_verdicts' table (a default run reports it too): forward on an input it
#: modified itself is off by a rounding.
SWEPT = {"bug_mutates_input": {"B1"}}


@pytest.fixture(scope="module")
def verdict_records(no_explain):
    s = Shared()
    s.prepare(CATALOG, max_examples=8, seed=0, shrink=False)
    return s


@pytest.mark.parametrize("name", sorted(BAD))
def test_every_bundled_bad_fixture_is_caught_with_replayed_examples(verdict_records, name):
    # as test_verdicts, with the bulk sweep as a run has it: with every module of the project loaded
    # (import_all), 8 examples miss bug_rect_ge's B17 (a kink of ∂L/∂x), which the sweep catches
    must, may = BAD[name]
    may = may | SWEPT.get(name, set())
    with InProcessImpl(str(implementation(name))) as impl:
        results, _ = SharedCatalog(verdict_records, learn=False)(Context(impl), CATALOG, max_examples=8, seed=0,
                                                                 shrink=False, sweep=500)
    failing = {r.question for r in results if r.status not in ("pass", "inherited")}
    assert must <= failing <= must | may, sorted(failing)


#: prints on its first call only: the one fetched ahead for A7 while A5 is checked
TELLS_ONCE = HONEST + """
import numpy as np

told = []


def d_rect(x):
    if not told:
        told.append(print("d_rect first called on", np.size(x), "entries"))
    return (np.asarray(x, dtype=np.float64) >= 0).astype(np.float64)
"""


def test_a_failing_propertys_output_is_what_its_calls_printed_though_fetched_during_the_one_before(shared, tmp_path):
    (tmp_path / "student.py").write_text(TELLS_ONCE)
    catalog, opened = SharedCatalog(shared, learn=False), []

    def opener(spec, settings, deadline):
        opened.append(open_sandboxed(spec, settings, deadline))
        return opened[-1]

    def held(ctx, props, *, progress, **options):
        def after_rect(result, i, total):  # A7-rect ends once A7's calls, fetched ahead, printed and were read
            for _ in range(3000):
                if result.id != "A7-rect" or opened[0].output.total:
                    break
                time.sleep(0.01)
            progress(result, i, total)
        return catalog(ctx, props, progress=after_rect, **options)
    report, status = grade(str(tmp_path / "student.py"), Settings(examples=EXAMPLES, sweep=0, properties=("A7",)),
                           opener=opener, catalog=held)
    rect, a7 = report.results
    assert status == 1 and (rect.id, rect.status, a7.id, a7.status) == ("A7-rect", "pass", "A7", "fail")
    assert a7.details["output"].startswith("d_rect first called on") and "its output: d_rect" in a7.message
    assert "output" not in rect.details and catalog.replayed == 1


def test_a_property_failed_by_the_bulk_sweep_shows_what_its_recheck_printed(tmp_path):
    # as a property that passed under Hypothesis (B17 here, told passed), then failed by the sweep
    from reference.compare.running.runner import PropertyResult
    from reference.compare.running.sweep import run_sweep

    (tmp_path / "student.py").write_text(
        HONEST + "import numpy as np\n\n\n"
        "def backprop(params, X, y, lambdas=Lambdas()):\n"
        "    print('backprop on', np.shape(X))\n"
        "    g = _h.backprop(params, X, y, lambdas)\n"
        "    return g._replace(x=g.x * 2)\n")

    def sweep_only(ctx, props, *, progress, sweep, seed, **options):
        results = {p.id: PropertyResult(p.id, p.question, p.title) for p in props}
        for i, r in enumerate(results.values()):
            progress(r, i + 1, len(props))
        return list(results.values()), run_sweep(results, props, ctx, count=sweep, seed=seed)
    report, status = grade(str(tmp_path / "student.py"), Settings(sweep=40, properties=("B17",)),
                           catalog=sweep_only)
    (b17,) = report.results
    assert status == 1 and b17.status == "fail"
    assert "; its output: backprop on (" in b17.message  # the recheck's and its shrinking's calls
    assert b17.details["output"].startswith("backprop on (")


def test_records_read_back_from_disk_as_they_were(shared, tmp_path):
    store = Store(tmp_path)
    names = [n for n in shared.records if n.split(".")[0] in ("A1-identity", "B3", "B6", "X1", "X5", "B18-all")]
    for name in names:
        store.save_record(name, shared.records[name])
    for name in names:
        got, want = store.load_record(name), shared.records[name]
        assert same(got.examples, want.examples) and same(got.calls, want.calls), name
        assert all(type(a) is type(b) for a, b in zip(got.examples, want.examples))
        assert same(list(got.evaluations), list(want.evaluations)), name
    (tmp_path / f"{names[0]}.rec").write_bytes(b"not a frame")
    assert store.load_record(names[0]) is None  # a file that does not read is a miss


def test_a_replay_from_disk_gives_the_results_of_a_run(shared, tmp_path):
    store = Store(tmp_path)
    for name, rec in shared.records.items():
        store.save_record(name, rec)
    live, _ = _both(str(implementation("bug_l1_constant")), shared)
    catalog = SharedCatalog(Shared(store), learn=False)
    with InProcessImpl(str(implementation("bug_l1_constant"))) as impl:
        results, _ = catalog(Context(impl), CATALOG, max_examples=EXAMPLES, sweep=SWEEP, seed=0)
    assert _strip(results) == live[0] and catalog.replayed > 40


def test_a_second_run_of_the_command_replays_and_reports_the_same(tmp_path):
    args = ["--impl", str(implementation("seed_000_literal")), "--examples", "4", "--sweep", "60", "--format", "json",
            "--property", "A5", "--property", "B18-l21"]
    reports = []
    for extra in (["--no-cache"], [], []):
        out = compare(*args, *extra)
        assert out.returncode == 1, out.stderr
        data = json.loads(out.stdout)
        data["summary"].pop("seconds"), data["summary"].pop("sweep")
        reports.append([dict(p, seconds=0) for p in data["properties"]] + [data["summary"], data["questions"]])
    assert reports[0] == reports[1] == reports[2]


def test_the_cache_settings_hide_it_from_the_submission():
    from reference.compare.cache_folders import examples_dir
    from reference.compare.grade_one import Settings
    from reference.compare.reuse.store import for_run

    settings_, catalog = for_run(Settings())
    assert catalog is not None and str(examples_dir()) in settings_.hide
    assert for_run(Settings(), enabled=False) == (Settings(), None)
    assert for_run(Settings(profile="thorough"))[1] is None  # targeted: its examples depend on the implementation
    assert dataclasses.replace(settings_, hide=()) == Settings()
