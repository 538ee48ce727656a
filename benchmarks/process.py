"""Running one benchmark case in a fresh process, and the error the benchmarks stop on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class BenchError(RuntimeError):
    """A benchmark cannot go on; `python -m benchmarks` prints its message as one line."""


def in_fresh_process(
    case: str,
    kwargs: dict,
    warmup: dict | None,
    timeout_s: float,
    python: str | None = None,
    env: dict | None = None,
) -> dict:
    """Run `case` in a new `python -m benchmarks.worker` process (by default this
    interpreter, from the repository root) and return the numbers it printed."""
    spec = json.dumps({"case": case, "kwargs": kwargs, "warmup": warmup})
    done = subprocess.run(
        [python or sys.executable, "-m", "benchmarks.worker", spec],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env={**(os.environ if env is None else env), "PYTHONHASHSEED": "0"},
    )
    if done.returncode:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise BenchError(f"benchmark case {case} failed: {tail[0]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
