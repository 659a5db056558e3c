"""A definition's derived properties on a correct solution over its declared ranges: false alarms and time.

    PYTHONPATH=. python benchmarks/definitions.py [two_tanh|seeds] [--magnitude M] [--examples N]

Draws ``N`` problems (Hypothesis, any shape the definition declares, entries in ±``M``) and judges the
exercise's own solution (``two_tanh``: tests/implementations/two_tanh/two_tanh_solution.py; ``seeds``:
handgrad) by every property derived from the definition (docs/exercise.md, "Declaring an exercise"). A
correct solution must have none: each one printed is a false alarm, with its problem. The time includes
compiling the reference's programs at each new shape.
"""

from __future__ import annotations

import argparse
import dataclasses
import pathlib
import sys
import time

from hypothesis import HealthCheck, given, settings

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercise", nargs="?", default="two_tanh", choices=("two_tanh", "seeds"))
    parser.add_argument("--magnitude", type=float, default=3.0, help="entries in ±M (default 3)")
    parser.add_argument("--examples", type=int, default=40, help="problems drawn (default 40)")
    args = parser.parse_args(argv)
    if not args.magnitude > 0 or args.examples < 1:
        parser.error(f"--magnitude must be > 0 and --examples >= 1; got {args.magnitude}, {args.examples}")

    from reference.compare.definitions import derived, judged

    if args.exercise == "seeds":
        import handgrad as solution
        from reference.compare.definitions.seeds import DEFINITION
    else:
        sys.path.insert(0, str(ROOT / "tests" / "implementations" / "two_tanh"))
        import two_tanh_solution as solution

        from reference.compare.definitions.two_tanh import DEFINITION
    drawn = dataclasses.replace(DEFINITION, magnitude=args.magnitude)
    counts = {"problems": 0, "alarms": 0}
    start = time.perf_counter()

    @settings(max_examples=args.examples, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(derived.problems(drawn))
    def run(problem):
        verdicts = judged.judge_all(DEFINITION, solution, problem)
        counts["problems"] += 1
        wrong = {pid: v.message for pid, v in verdicts.items() if v.status != "right"}
        if wrong:
            counts["alarms"] += 1
            print("false alarm:", wrong, repr(problem), flush=True)

    run()
    print(f"{args.exercise}, magnitude {args.magnitude:g}: {counts['problems']} problems, {counts['alarms']} with a "
          f"false alarm, {time.perf_counter() - start:.0f} s")
    return 1 if counts["alarms"] else 0


if __name__ == "__main__":
    sys.exit(main())
