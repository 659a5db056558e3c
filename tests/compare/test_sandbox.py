"""Broken implementations: what cannot load exits 2 with one line; hangs, crashes and exits are errors."""

import json
import time

import pytest

from support import BROKEN, HONEST, compare


@pytest.mark.parametrize("name,words", [
    ("no_api.py", ["none of the API's functions"]),
    ("syntax_error.py", ["syntax error", "syntax_error.py:3"]),
    ("raises_at_import.py", ["RuntimeError at import", "no data file"]),
    ("exits_at_import.py", ["exit(3)"]),
    ("hangs_at_import.py", ["did not finish within"]),
])
def test_unloadable_implementation_exits_2_with_one_line(name, words):
    start = time.monotonic()
    out = compare("--impl", str(BROKEN / name), "--timeout", "3")
    assert out.returncode == 2
    assert time.monotonic() - start < 30
    line = out.stderr.strip()
    assert "\n" not in line and "Traceback" not in line and name in line
    for w in words:
        assert w in line


def test_unloadable_implementation_still_writes_gradescope_results(tmp_path):
    path = tmp_path / "results.json"
    out = compare("--impl", str(BROKEN / "syntax_error.py"), "--format", "gradescope", "--output", str(path))
    assert out.returncode == 2
    data = json.loads(path.read_text())
    assert data["score"] == 0 and "syntax error" in data["output"]


def test_hang_in_a_call_is_an_error_and_the_run_goes_on():
    start = time.monotonic()
    out = compare("--impl", str(BROKEN / "hangs_in_call.py"), "--timeout", "2", "--examples", "5", "--sweep", "50",
                  "--property", "B13", "--property", "B4", "--format", "json")
    assert out.returncode == 1
    assert time.monotonic() - start < 60
    props = {p["id"]: p for p in json.loads(out.stdout)["properties"]}
    assert props["B13"]["status"] == "error" and "did not return within 2 s" in props["B13"]["message"]
    assert props["B4"]["status"] == "pass"


def test_crash_and_exit_in_a_call_are_errors():
    out = compare("--impl", str(BROKEN / "crashes_in_call.py"), "--examples", "5", "--sweep", "50",
                  "--property", "B4", "--property", "B5-risk", "--property", "B7", "--format", "json")
    assert out.returncode == 1
    props = {p["id"]: p for p in json.loads(out.stdout)["properties"]}
    assert props["B5-risk"]["status"] == "error" and "exited with status 7" in props["B5-risk"]["message"]
    assert props["B4"]["status"] == "error" and "exit('giving up')" in props["B4"]["message"]
    assert props["B7"]["status"] == "pass"


def test_child_process_calls_in_every_form():
    """call, call_many, call_each (also empty, as B6 makes it with steps = 0) through the child process."""
    import numpy as np

    from reference.compare.sandbox import SubprocessImpl
    with SubprocessImpl("handgrad") as impl:
        assert impl.call_each([]) == [] and impl.call_many("d_rect", []) == []
        each = impl.call_each([("d_rect", (np.zeros(2),), {}), ("sign", (np.array([-2.0]),), {})])
        assert each[0].value.tolist() == [0.0, 0.0] and each[1].value.tolist() == [-1.0]
        many = impl.call_many("d_abs", [(np.array([0.0]),), (np.array([-3.0]),)])
        assert [m.value.tolist() for m in many] == [[0.0], [-1.0]]


def test_a_submission_missing_names_is_graded_on_what_it_has(tmp_path):
    out = tmp_path / "report.json"
    done = compare("--impl", str(BROKEN / "missing_names.py"), "--examples", "2", "--sweep", "0",
                   "--format", "json", "--output", str(out))
    props = {p["id"]: p for p in json.loads(out.read_text())["properties"]}
    assert done.returncode == 1, done.stderr
    # its lone sigmoid (return x) is judged at its own property; what needs a function it lacks is missing
    assert props.pop("A1-sigmoid")["status"] == "fail"
    assert {p["status"] for p in props.values()} == {"missing"}
    assert "backprop" in props["B7"]["message"] and "tanh" in props["A1-tanh"]["message"]


def test_requests_go_pickled_each_argument_its_own_and_replies_stay_data():
    # the grader pickles its requests (the worker unpickles; never the reverse); an array met twice arrives as
    # two arrays, so one call that writes into its input cannot change the next call's; what does not pickle
    # (a named tuple rebuilt by decode) goes as a data frame
    import socket

    import numpy as np

    from handgrad.types import Params
    from reference.compare.sandbox import wire

    grader, worker = socket.socketpair()
    with grader, worker:
        shared = np.arange(3.0)
        p = Params(shared, shared, shared, shared)
        wire.send_pickled(grader, {"calls": [["forward", (p, shared), {}], ["loss", (p, shared, -0.0), {}]]})
        got = wire.receive_request(worker)
        (_, (p1, x1), _), (_, (p2, x2, z), _) = got["calls"]
        arrays = [*p1, x1, *p2, x2]
        assert type(p1) is Params and all(np.array_equal(a, shared) for a in arrays)
        assert len({id(a) for a in arrays}) == len(arrays) and str(z) == "-0.0"
        rebuilt = wire.decode(wire.encode(p))  # no importable class: a frame, read the same way
        wire.send_pickled(grader, {"args": rebuilt})
        assert np.array_equal(wire.receive_request(worker, types={"Params": Params})["args"].W1, shared)
        wire.send(worker, {"status": "ok", "value": shared})  # a reply: a frame; a pickle is refused
        assert np.array_equal(wire.receive(grader, deadline=time.monotonic() + 5, limit=1 << 20)["value"], shared)
        worker.sendall(wire.PICKLED + b"\0" * 16)
        with pytest.raises(wire.WireError):
            wire.receive(grader, deadline=time.monotonic() + 5, limit=1 << 20)


def test_a_worker_started_early_says_at_ready_whether_it_loaded(tmp_path):
    # a single run starts the submission's process before loading the catalog; its import is waited for later
    import numpy as np

    from reference.compare.grade_one import Settings, ready, start_sandboxed
    from reference.compare.sandbox import LoadError
    from support import standalone_submission

    broken = ready(start_sandboxed(str(BROKEN / "syntax_error.py"), Settings()))
    assert isinstance(broken, LoadError) and "syntax error" in str(broken)
    (tmp_path / "mlp.py").write_text(standalone_submission())
    impl = start_sandboxed(str(tmp_path / "mlp.py"), Settings())
    try:
        assert ready(impl) is impl and impl.missing == frozenset()
        assert impl.call("d_rect", np.array([0.0, 2.0])).value.tolist() == [0.0, 1.0]
    finally:
        impl.close()


def test_one_exchange_at_a_time_a_request_sent_meanwhile_reads_the_one_in_flight_first(tmp_path):
    # the replay sends the next property's calls while it checks this one; a call made meanwhile must not take
    # their reply for its own: it reads that reply first, kept for its collector
    import numpy as np

    from reference.compare.sandbox import SubprocessImpl
    from support import standalone_submission

    (tmp_path / "mlp.py").write_text(standalone_submission())
    with SubprocessImpl(str(tmp_path / "mlp.py")) as impl:
        x = np.array([-1.0, 0.0, 3.0])
        ahead = impl.submit_each([("d_rect", (x,), {}), ("abs", (x,), {})])
        assert impl.call("rect", x).value.tolist() == [0.0, 0.0, 3.0]
        first, second = ahead()
        assert first.value.tolist() == [0.0, 0.0, 1.0] and second.value.tolist() == [1.0, 0.0, 3.0]
        assert ahead() == [first, second]  # its reply is read once


def test_what_calls_print_is_their_askers_though_their_reply_is_read_during_anothers(tmp_path):
    # the calls of B sent ahead while A is checked: what they print is B's, and none of A's; B's batch has a
    # call that kills the worker, so its calls are made again one at a time, during A's call: still B's
    import numpy as np

    from reference.compare.sandbox import ImplCrashed, SubprocessImpl, asking

    (tmp_path / "loud.py").write_text(HONEST + "import os, sys\n"
                                      "def d_rect(x):\n"
                                      "    print('d_rect on', len(x), end=';')\n"
                                      "    return _h.d_rect(x)\n"
                                      "def rect(x):\n"
                                      "    sys.stderr.write('rect on %d\\n' % len(x))\n"
                                      "    return _h.rect(x)\n"
                                      "def sign(x):\n"
                                      "    print('exiting', flush=True)\n"
                                      "    os._exit(3)\n"
                                      "print('imported')\n")
    with SubprocessImpl(str(tmp_path / "loud.py")) as impl:
        with asking(impl, "B"):
            ahead = impl.submit_each([("d_rect", (np.zeros(3),), {}), ("sign", (np.zeros(1),), {})])
        with asking(impl, "A"):
            assert impl.call("rect", np.zeros(2)).value.tolist() == [0.0, 0.0]  # reads B's reply first
            impl.call("abs", np.zeros(2))
        first, second = ahead()
        assert first.value.tolist() == [0.0] * 3 and isinstance(second, ImplCrashed)
        assert impl.printed("B").split("\\n") == ["d_rect on 3;exiting", "d_rect on 3;exiting"]
        assert impl.printed("A") == "rect on 2" and impl.printed("C") == ""
        with asking(impl, "B"):
            impl.call("d_rect", np.zeros(4))
        assert impl.printed("B").endswith("exiting\\nd_rect on 4;") and impl.asker is None
        with asking(impl, "B"):  # a crash whose output is read well before its reply: still in its message
            lone = impl.submit_each([("sign", (np.zeros(1),), {})])
        for _ in range(3000):
            if impl.output.total > impl.output.heard_at:
                break
            time.sleep(0.01)
        impl.call("rect", np.zeros(3))
        (crashed,) = lone()
        assert isinstance(crashed, ImplCrashed) and str(crashed).endswith("exited with status 3; output: exiting")


def test_the_output_is_read_to_its_end_before_it_is_shown():
    """What the worker printed before it replied is shown, however late the thread that reads its pipe runs."""
    import os
    import threading

    from reference.compare.sandbox.child import OutputTail

    go = threading.Event()

    class Late(OutputTail):  # its reading thread starts only when told (a busy machine)
        def _read(self):
            go.wait(10)
            super()._read()

    r, w = os.pipe()
    tail = Late(os.fdopen(r, "rb"))
    os.write(w, b"printed before the reply\n")
    tail.settle()
    assert tail.since(0) == "printed before the reply"
    go.set()
    os.write(w, b"and after it\n")
    os.close(w)
    for _ in range(3000):  # the thread reads the rest and closes the pipe at its end (30 s at most)
        if not tail._open:
            break
        time.sleep(0.01)
    assert tail.since(0) == "printed before the reply\\nand after it"  # shown escaped
    assert tail.since(len(b"printed before the reply\n")) == "and after it"


def test_a_worker_whose_grader_dropped_the_connection_exits_without_a_word():
    """The grader drops a worker whose reply breaks the protocol; the broken pipe is not the submission's output."""
    import socket
    import subprocess
    import sys

    from reference.compare.sandbox import worker_side
    from reference.compare.sandbox.interface import TABLE
    from support import ROOT

    mine, theirs = socket.socketpair()
    mine.close()  # the grader's end, dropped: the worker's first reply (its hello) meets a broken pipe
    fd = theirs.fileno()
    done = subprocess.run([sys.executable, worker_side.__file__, str(fd), "handgrad", *TABLE.start_arguments()],
                          pass_fds=[fd],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, env={"PYTHONPATH": str(ROOT)})
    theirs.close()
    assert done.returncode == 0 and done.stdout == done.stderr == "", done.stderr


#: A table of an API of another exercise, one function of one array: what the worker serves is the table it is
#: started with, whatever the grader's own exercise is.
_OTHER_API = """API = ("twice",)
ARGUMENTS = {"twice": ("x",)}
DIMS = ()
SHAPES = {}
TYPES = ()
"""


def test_the_worker_serves_the_api_it_is_started_with(tmp_path):
    """The worker names no exercise: started with another API's module (``--api``) and another answer key
    (``--answer-key``), it imports that module before the submission, says the submission lacks none of its
    names (not one of the grader's exercise), calls its function, refuses the grader's exercise's names, and
    reports the answer key's module the submission imported, not one of the grader's."""
    import socket
    import subprocess
    import sys
    import time

    import numpy as np

    from reference.compare.sandbox import wire, worker_side
    from reference.compare.sandbox.interface import TABLE
    from support import ROOT

    (tmp_path / "other_api.py").write_text(_OTHER_API)
    (tmp_path / "other_key.py").write_text("")
    sub = tmp_path / "sub.py"
    sub.write_text("import sys\nimport other_key  # noqa: F401\n"
                   "assert 'other_api' in sys.modules, 'the table is imported before the submission'\n"
                   "def twice(x):\n    return 2 * x\n")
    mine, theirs = socket.socketpair()
    fd = theirs.fileno()
    proc = subprocess.Popen([sys.executable, worker_side.__file__, str(fd), str(sub), "--api", "other_api",
                             "--answer-key", "other_key,elsewhere"], pass_fds=[fd], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=tmp_path,
                            env={"PYTHONPATH": f"{ROOT}:{tmp_path}"})
    theirs.close()
    try:
        hello = wire.receive(mine, deadline=time.monotonic() + 60, limit=1 << 16)
        assert hello == {"loaded": True, "missing": [], "modules": ["other_key"]}, hello
        ours = TABLE.names[0]  # a function of the grader's own exercise: not in the other API
        wire.send_pickled(mine, {"op": "each", "id": 1, "checked": True,
                                 "calls": [["twice", (np.array([1.5]),), {}], [ours, (np.array([1.5]),), {}]]})
        reply = wire.receive(mine, deadline=time.monotonic() + 60, limit=1 << 16)
        doubled, refused = reply["replies"]
        assert doubled["status"] == "ok" and doubled["value"].tolist() == [3.0], doubled
        assert refused["status"] == "raised" and refused["message"] == f"{ours} is not in the API", refused
        wire.send_pickled(mine, {"op": "quit"})
        assert proc.wait(timeout=60) == 0
    finally:
        mine.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def test_every_worker_is_started_with_the_exercises_table_and_answer_key():
    """The grader's side builds the worker's start arguments from the exercise's description, in one place."""
    from reference.compare.exercise import EXERCISE
    from reference.compare.sandbox import worker_side
    from reference.compare.sandbox.interface import TABLE

    args = TABLE.start_arguments()
    assert args == ["--api", EXERCISE.api.__name__, "--answer-key", ",".join(EXERCISE.answer_key)]
    options = worker_side.options_of([*args, "--run-all-cells"])
    assert (options["api"], options["answer_key"], options["run_all_cells"]) == \
        (EXERCISE.api.__name__, EXERCISE.answer_key, True)
    assert set(TABLE.watched) == set(EXERCISE.answer_key) | set(worker_side.AUTODIFF)


def test_a_reply_sent_in_time_is_read_however_late_its_reader_comes_within_a_grace():
    """Past the deadline the grader still takes a reply already there (it was busy, not the worker), for
    wire.GRACE seconds; none there, a time-out at once; one fed without end, a time-out after the grace."""
    import socket
    import threading

    import numpy as np

    from reference.compare.sandbox import wire

    mine, theirs = socket.socketpair()
    with mine, theirs:
        values = np.arange(10_000.0)  # 80 kB: in the socket's buffer at once
        wire.send(theirs, {"loaded": True, "values": values})
        late = time.monotonic() - wire.GRACE / 2
        assert wire.receive(mine, deadline=late, limit=1 << 20)["values"].tobytes() == values.tobytes()
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            wire.receive(mine, deadline=late, limit=1 << 20)
        assert time.monotonic() - start < 0.5
        frame, stop = wire.encode({"values": np.arange(1e6)}), threading.Event()

        def trickle():  # a byte at a time, never letting up (8 MB would take minutes)
            theirs.settimeout(0.05)
            sent = 0
            while sent < len(frame) and not stop.is_set():
                try:
                    sent += theirs.send(frame[sent:sent + 1])
                except TimeoutError:
                    pass
        feeder = threading.Thread(target=trickle)
        feeder.start()
        try:
            start = time.monotonic()
            with pytest.raises(TimeoutError):
                wire.receive(mine, deadline=start + 0.2, limit=1 << 24)
            assert time.monotonic() - start < 0.2 + wire.GRACE + 2
        finally:
            stop.set()
            feeder.join()


def test_an_import_slower_than_a_calls_limit_is_given_the_floor(tmp_path):
    """Starting Python and NumPy is the grader's part: a submission is not failed for an import under
    IMPORT_FLOOR, whatever a call's limit; a hang at import still is, after the floor."""
    from reference.compare.sandbox import LoadError, SubprocessImpl
    from reference.compare.sandbox.child import IMPORT_FLOOR

    (tmp_path / "slow.py").write_text(HONEST + "import time\ntime.sleep(1.5)\n")
    (tmp_path / "hangs.py").write_text("import time\ntime.sleep(60)\n")
    with SubprocessImpl(str(tmp_path / "slow.py"), timeout=0.5) as impl:
        assert impl.call("rect", [-1.0, 2.0]).value.tolist() == [0.0, 2.0]
    start = time.monotonic()
    with pytest.raises(LoadError, match=f"did not finish within {IMPORT_FLOOR:g} s"):
        SubprocessImpl(str(tmp_path / "hangs.py"), timeout=0.5)
    assert IMPORT_FLOOR <= time.monotonic() - start < IMPORT_FLOOR + 10


def test_a_worker_that_cannot_be_restarted_three_times_is_not_started_again(tmp_path, monkeypatch):
    """Each restart costs an import's time (5 s at least for a hang): after 3 that failed, calls fail at once."""
    import numpy as np

    from reference.compare.sandbox import ImplCrashed, SubprocessImpl, isolation

    (tmp_path / "once.py").write_text(
        HONEST + "import os\n"
        "if os.path.exists('imported'):\n"
        "    raise RuntimeError('imported once already')\n"
        "open('imported', 'w').close()\n"
        "def rect(x):\n"
        "    os._exit(1)\n")
    # a restart that fails needs a folder kept from one start to the next: in the namespace mode each start
    # gets a fresh one (nothing carries over), so this runs in the same-user mode
    monkeypatch.setenv("HANDGRAD_ISOLATION", "same-user")
    isolation.probe.cache_clear()
    try:
        with SubprocessImpl(str(tmp_path / "once.py")) as impl:
            said = []
            for _ in range(6):
                with pytest.raises(ImplCrashed) as raised:
                    impl.call("rect", np.zeros(2))
                said.append(str(raised.value))
    finally:
        monkeypatch.undo()
        isolation.probe.cache_clear()
    assert "exited with status 1" in said[0]
    assert all("could not be restarted: " in s and "imported once already" in s for s in said[1:4]), said
    assert said[4:] == ["the process could not be restarted 3 times; it is not started again"] * 2
