"""`python -m benchmarks --against REV`: this checkout's channelsim and REV's, timed side
by side.

The two versions alternate in pairs, the first of each pair swapping (this, previous;
previous, this; ...), every repetition in a fresh process with the usual warm-up.
REV's package is built once, non-editable, into a venv of its own,
`.venv/bench/<full sha>/`, pinned to the dependency versions of the running venv where
REV's requirements allow them. Both sides run this checkout's `benchmarks.worker` from
the repository root, where channelsim is not importable (it lives under `src/`), so
each imports channelsim from its own venv; the driver checks that they did.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.process import ROOT, BenchError, in_fresh_process

LIMIT = 1.05  # this version may be at most this many times as slow as the previous one
MARKER = ".complete"  # written last into a built venv: its build finished


@dataclass(frozen=True)
class Side:
    """One version in the comparison: the interpreter whose channelsim is timed."""

    python: str
    commit: str | None  # short SHA, when known
    subject: str | None
    venv: Path | None = None  # the venv built for it, where its channelsim must come from

    def describe(self) -> dict:
        """What the results JSON records about this side."""
        return {
            "commit": self.commit,
            "subject": self.subject,
            "python": self.python,
            "venv": str(self.venv) if self.venv else None,
        }


def git(*args: str) -> str:
    """Run git in the repository root and return its output; BenchError when it fails."""
    try:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
    except FileNotFoundError:
        raise BenchError("git is not installed: --against needs it") from None
    if done.returncode:
        raise BenchError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def resolve(rev: str) -> str:
    """REV's full commit SHA; BenchError when ROOT is no git checkout or REV no revision."""
    try:
        top = git("rev-parse", "--show-toplevel")
    except BenchError:
        top = None
    if top is None or Path(top).resolve() != ROOT:
        raise BenchError(f"{ROOT} is not a git checkout: --against needs one")
    try:
        return git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    except BenchError:
        raise BenchError(f"{rev!r} is not a git revision in {ROOT}") from None


def commit_of(rev: str) -> tuple[str, str]:
    """REV's short SHA and subject line."""
    short, subject = git("log", "-1", "--format=%h%x00%s", rev, "--").split("\0", 1)
    return short, subject


def this_side() -> Side:
    """This interpreter's channelsim, described by HEAD ("+uncommitted" when `src/` or
    pyproject.toml has changes); no commit when ROOT is no git checkout."""
    try:
        short, subject = commit_of("HEAD")
        if git("status", "--porcelain", "--", "src", "pyproject.toml"):
            short += "+uncommitted"
    except BenchError:
        short, subject = None, None
    return Side(python=sys.executable, commit=short, subject=subject)


def uv() -> str:
    """The uv beside this interpreter (make installs it there), else the one on PATH."""
    beside = Path(sys.executable).with_name("uv")
    found = str(beside) if beside.exists() else shutil.which("uv")
    if not found:
        raise BenchError("uv is not installed: `make install` puts it into .venv/bin")
    return found


def versions(python: str) -> dict[str, str]:
    """The packages of an interpreter's environment and their versions, channelsim left
    out (`uv pip freeze`)."""
    frozen = subprocess.run(
        [uv(), "pip", "freeze", "--python", python], capture_output=True, text=True
    ).stdout
    pairs = (line.split("==", 1) for line in frozen.splitlines() if "==" in line)
    return {name.lower(): version for name, version in pairs if name.lower() != "channelsim"}


def build(rev: str) -> Side:
    """REV's channelsim in `.venv/bench/<full sha>/`: built there unless a complete
    build is cached. Progress goes to stderr, the installers' output to a log beside it."""
    sha = resolve(rev)
    short, subject = commit_of(sha)
    venv = ROOT / ".venv" / "bench" / sha
    side = Side(str(venv / "bin" / "python"), short, subject, venv)
    shown = venv.relative_to(ROOT)
    if (venv / MARKER).exists():
        print(f"using {shown}/ for {rev} ({short})", file=sys.stderr, flush=True)
        return side
    log = venv.with_suffix(".log")
    print(f"building {rev} ({short}) into {shown}/ ...", file=sys.stderr, flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        failed = install(sha, venv, out)
    if failed:
        raise BenchError(f"building {rev} ({short}) failed at {failed}; the log is {log}")
    (venv / MARKER).write_text(sha + "\n")
    return side


def install(sha: str, venv: Path, log) -> str | None:
    """Unpack commit `sha` into a temporary folder, create `venv` with this interpreter
    and install the package into it, not editable. Returns the step that failed, if one
    did."""
    python = str(venv / "bin" / "python")
    with tempfile.TemporaryDirectory(prefix="channelsim-bench-") as tmp:
        src, tar, pins = Path(tmp, "src"), Path(tmp, "src.tar"), Path(tmp, "pins.txt")
        src.mkdir()
        pins.write_text("".join(f"{n}=={v}\n" for n, v in versions(sys.executable).items()))
        installing = [uv(), "pip", "install", "--python", python, "--compile-bytecode"]
        for what, command in [
            ("git archive", ["git", "-C", str(ROOT), "archive", "-o", str(tar), sha]),
            ("unpacking", ["tar", "-x", "-f", str(tar), "-C", str(src)]),
            ("creating the venv", [uv(), "venv", "--python", sys.executable, str(venv)]),
        ]:
            if not logged(what, command, log):
                return what
        if logged(
            "installing, pinned to this venv's versions", [*installing, "-c", pins, src], log
        ):
            return None
        print(
            "  note: installing with this venv's versions pinned failed; trying again "
            "without the pins",
            file=sys.stderr,
            flush=True,
        )
        return None if logged("installing", [*installing, src], log) else "installing"


def logged(what: str, command: list, log) -> bool:
    """Run one build step with its output in the log; whether it succeeded."""
    command = [str(part) for part in command]
    print(f"=== {what}: {' '.join(command)}", file=log, flush=True)
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
    return subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env).returncode == 0


def given(python: str) -> Side:
    """The interpreter PATH as the previous side, without a build."""
    if not Path(python).exists():
        raise BenchError(f"--against-python {python}: no such file")
    return Side(python=python, commit=None, subject=f"channelsim of {python}")


def prefix_of(python: str) -> str:
    """The environment (sys.prefix) an interpreter runs in."""
    done = subprocess.run(
        [python, "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True
    )
    if done.returncode:
        raise BenchError(f"{python} does not run: {done.stderr.strip()[-200:]}")
    return os.path.realpath(done.stdout.strip())


def alternate(pairs: int) -> list[tuple[int, int]]:
    """The order of the runs, as pairs of side indices (0 this, 1 previous), the first
    one swapping each pair: 0 1, 1 0, 0 1, ... so neither side always runs first."""
    return [(0, 1) if i % 2 == 0 else (1, 0) for i in range(pairs)]


def time_case(
    label: str, sides: tuple[Side, Side], pairs: int, kwargs: dict, warmup: dict, env: dict
) -> dict:
    """One channel_run case timed in alternating pairs: both medians, their ratio, and
    the runs."""
    runs: tuple[list[dict], list[dict]] = ([], [])
    for i, pair in enumerate(alternate(pairs)):
        for k in pair:
            who = ("this", "previous")[k]
            print(f"  {label}: pair {i + 1}/{pairs}, {who}", file=sys.stderr, flush=True)
            runs[k].append(
                in_fresh_process("channel_run", kwargs, warmup, 1800, sides[k].python, env)
            )
    this_s = statistics.median(r["seconds"] for r in runs[0])
    previous_s = statistics.median(r["seconds"] for r in runs[1])
    return {
        "label": label,
        "steps": kwargs["steps"],
        "accounts": runs[0][0]["accounts"],
        "pairs": pairs,
        "first": [("this", "previous")[pair[0]] for pair in alternate(pairs)],
        "this_median_s": this_s,
        "previous_median_s": previous_s,
        "ratio": this_s / previous_s,
        "pair_ratios": [a["seconds"] / b["seconds"] for a, b in zip(*runs, strict=True)],
        "limit": LIMIT,
        "met": this_s / previous_s <= LIMIT,
        "this_runs": runs[0],
        "previous_runs": runs[1],
    }


def imported(runs: list[dict]) -> str:
    """The one channelsim file a side's runs imported; BenchError if they differ."""
    files = {r["channelsim"] for r in runs}
    if len(files) != 1:
        raise BenchError(f"one side imported channelsim from several places: {sorted(files)}")
    return files.pop()


def check_installations(cases: dict, previous: Side, same_asked: bool) -> dict:
    """Where each side's channelsim came from. BenchError when both sides ran the same
    installation (unless the same interpreter was asked for), or when a built side's
    did not come from its venv."""
    mine = imported([r for case in cases.values() for r in case["this_runs"]])
    theirs = imported([r for case in cases.values() for r in case["previous_runs"]])
    if mine == theirs and not same_asked:
        raise BenchError(
            f"both sides imported channelsim from {mine}: the comparison would time one "
            "version against itself"
        )
    if previous.venv and not Path(theirs).resolve().is_relative_to(previous.venv.resolve()):
        raise BenchError(f"the previous side imported {theirs}, not the one in {previous.venv}")
    return {"this": mine, "previous": theirs}


def compare(previous: Side, revision: str | None, cases: dict, warmup: dict) -> dict:
    """Time this interpreter's channelsim against `previous` on each case (key: label,
    overrides, steps, pairs), and check and record what was compared."""
    began = time.perf_counter()
    this = this_side()
    same_asked = revision is None and prefix_of(previous.python) == prefix_of(this.python)
    if same_asked:
        print(
            "note: --against-python is this interpreter's environment, so both sides run "
            "the same channelsim; not checking that they differ",
            file=sys.stderr,
            flush=True,
        )
    # each side's channelsim comes from its own venv, never from a path set outside
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    timed = {
        key: time_case(label, (this, previous), pairs, {"overrides": o, "steps": s}, warmup, env)
        for key, (label, o, s, pairs) in cases.items()
    }
    channelsim = check_installations(timed, previous, same_asked)
    ours, theirs = versions(this.python), versions(previous.python)
    differ = sorted(n for n in ours.keys() & theirs.keys() if ours[n] != theirs[n])
    if differ:
        print(f"note: the two venvs differ in {', '.join(differ)}", file=sys.stderr, flush=True)
    return {
        "this": {**this.describe(), "channelsim": channelsim["this"]},
        "previous": {
            **previous.describe(),
            "revision": revision,
            "channelsim": channelsim["previous"],
        },
        "same_interpreter_asked": same_asked,
        "dependencies_differ": differ,
        "limit": LIMIT,
        "cases": timed,
        "met": all(case["met"] for case in timed.values()),
        "total_s": time.perf_counter() - began,
    }
