"""Run one benchmark case in this process: `python -m benchmarks.worker SPEC_JSON`.

SPEC_JSON: {"case": name, "kwargs": {...}, "warmup": {...} or null}. The warm-up (the
same case, small) runs first and is not reported; the case's numbers are printed as
one JSON line.
"""

from __future__ import annotations

import json
import sys

from benchmarks.cases import CASES


def main(argv: list[str]) -> None:
    spec = json.loads(argv[0])
    case = CASES[spec["case"]]
    if spec.get("warmup"):
        case(**spec["warmup"])
    print(json.dumps(case(**spec["kwargs"])))


if __name__ == "__main__":
    main(sys.argv[1:])
