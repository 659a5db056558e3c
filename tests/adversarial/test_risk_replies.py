"""A risk that is not a number is the submission's failure, never the grader's (attack round 13,
`04_risk_internal`, `10_risk_types`): the per-example losses plus the penalties (the mean forgotten), None
(no ``return``), a one-entry list or a complex number made B5 and B18's risk properties "internal"."""

import pytest

from support import HONEST, attack, strict_json


@pytest.mark.parametrize("reply", ["_h.loss(params, X, y) + 0.0", "None", "[_h.risk(params, X, y, lambdas)]",
                                   "complex(_h.risk(params, X, y, lambdas), 1.0)"])
def test_a_risk_that_is_no_number_fails_at_its_question(tmp_path, reply):
    source = HONEST + f"\ndef risk(params, X, y, lambdas=_h.Lambdas()):\n    return {reply}\n"
    done, report = attack(tmp_path, source, "--property", "B5-risk", "--examples", "5", "--sweep", "0")
    data = strict_json(report)
    (result,) = data["properties"]
    assert result["status"] in ("fail", "error", "not-implemented"), (result["status"], result["message"][:300])
    assert "internal" not in result["message"] and done.returncode != 3, done.stderr[-500:]
