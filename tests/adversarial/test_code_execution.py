"""Code execution in the grader: through a pickled reply, through the connection. A marker must not appear."""

from support import HONEST, attack, strict_json


def test_an_ndarray_subclass_that_pickles_to_exec_runs_nothing_in_the_grader(tmp_path):
    marker = tmp_path / "MARKER"
    source = HONEST + f'''
import numpy as np

class E(np.ndarray):
    def __reduce_ex__(self, protocol):
        return (exec, ("open({str(marker)!r}, 'w').write('pwned')",))

def sigmoid(x):
    return _h.sigmoid(x).view(E)
'''
    done, report = attack(tmp_path, source, "--property", "A1-sigmoid", "--examples", "5", "--sweep", "0")
    assert not marker.exists()
    prop = strict_json(report)["properties"][0]
    assert prop["status"] == "pass", prop  # its values are right: a plain array of them is what was read


def test_a_crafted_message_on_the_connection_runs_nothing_in_the_grader(tmp_path):
    marker = tmp_path / "MARKER"
    source = HONEST + f'''
import os, pickle, struct, sys

class Bomb:
    def __reduce__(self):
        return (os.system, ("touch {marker}",))

payload = pickle.dumps(Bomb())
fd = int(sys.argv[1])
os.write(fd, struct.pack("<Q", len(payload)) + payload)     # an old-protocol message
os.write(fd, struct.pack("<Q", 10**12))                       # then a header that claims a terabyte
'''
    done, report = attack(tmp_path, source, "--examples", "3", "--sweep", "0", fmt="gradescope")
    assert not marker.exists()
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert strict_json(report)["score"] == 0


def test_garbage_on_the_connection_is_an_error_of_that_call(tmp_path):
    source = HONEST + '''
import os, sys

def d_rect(x):
    os.write(int(sys.argv[1]), b"\\xff" * 64 + b"not a frame")
    return _h.d_rect(x)
'''
    done, report = attack(tmp_path, source, "--property", "A7", "--property", "A5", "--examples", "3",
                          "--sweep", "0")
    assert done.returncode == 1, done.stderr
    props = {p["id"]: p for p in strict_json(report)["properties"]}
    assert props["A7"]["status"] == "error" and "breaks the protocol" in props["A7"]["message"]
    assert props["A5"]["status"] == "pass"
