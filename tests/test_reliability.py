"""Reliability: golden results, long runs, corrupt job files, and bad input fuzzed
through the command (in-process for many inputs, and through the installed script)."""

from __future__ import annotations

import itertools
import json
import math
import random
import string
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channelsim import ChannelModel, cli, compose
from channelsim.config.validate import schema_rows
from tests.conftest import SMALL
from tests.golden.__main__ import FOLDER, SCENARIOS, golden_kpis
from tests.test_invariants import check_step

SCRIPT = Path(sys.executable).parent / "channelsim"


# ---------------------------------------------------------------- golden results
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_golden_kpis_are_reproduced_exactly(scenario):
    """Regenerate on purpose with `make golden` (python -m tests.golden)."""
    stored = json.loads((FOLDER / f"{scenario}.json").read_text())
    assert stored["scenario"] == scenario
    assert golden_kpis(scenario) == stored["kpis"]


# ---------------------------------------------------------------- long runs
def test_1200_months_stay_sane():
    """A century of months at a small market: every step's invariants, nothing
    non-finite, and stocks that keep pace with sales rather than running away (the
    market itself grows 10% a year, so amounts grow with it)."""
    model = ChannelModel(compose([*SMALL, "scenario=history", "steps=1200"]))
    for _ in range(1200):
        model.step()
        check_step(model)
    t, a, last = model.resellers, model.accounts, model.last
    assert model.date == "2101-12"
    assert 0 < last["active_resellers"] <= t.n
    assert np.isfinite(t.capital).all() and np.isfinite(a.size).all()
    for name, value in last.items():
        assert math.isfinite(value) or name.startswith("share_"), name
    stock = float(model.distributors.inventory.sum())
    assert stock <= 3.0 * last["units_channel"]  # at most a few months of sales in stock
    assert abs(last["profit_vendor"]) <= last["revenue_vendor"]


def test_1200_months_without_growth_settle():
    model = ChannelModel(compose([*SMALL, "market.growth=0", "steps=1200"]))
    sold = []
    for _ in range(1200):
        model.step()
        sold.append(model.last["units_vendor"])
    early, late = np.mean(sold[500:600]), np.mean(sold[1100:1200])
    assert 0.5 < late / early < 2.0  # no drift away in a flat market
    assert float(model.distributors.inventory.sum()) <= 3.0 * model.last["units_channel"]


# ---------------------------------------------------------------- corrupt job files
def test_a_corrupt_or_cut_short_job_file_fails_its_job_and_is_rerun(tmp_path, capsys):
    out = tmp_path / "sweep"
    args = ["sweep", "seed=0,1,2", "steps=12", *SMALL, f"hydra.sweep.dir={out}"]
    assert cli.main(args) == 0
    whole = pd.read_csv(out / "summary.csv")
    (out / "1" / "metrics.parquet").write_bytes(b"PAR1 not parquet")  # changed
    cut = (out / "2" / "partners.parquet").read_bytes()
    (out / "2" / "partners.parquet").write_bytes(cut[: len(cut) // 2])  # cut short
    assert cli.main(["report", str(out)]) == 1
    table = pd.read_csv(out / "summary.csv").set_index("job")
    assert table.loc[1, "status"] == "failed"
    assert "metrics.parquet does not match its summary" in table.loc[1, "error"]
    assert "partners.parquet does not match its summary" in table.loc[2, "error"]
    assert math.isnan(table.loc[1, "share_vendor_key"])  # never read as a result
    capsys.readouterr()
    assert cli.main(args) == 0  # the rerun runs the two again
    pd.testing.assert_frame_equal(pd.read_csv(out / "summary.csv"), whole)


# ---------------------------------------------------------------- bad input, fuzzed
ROWS = {k: r for k, r in schema_rows().items() if k != "market.name"}
NUMERIC = [r for r in ROWS.values() if r["type"] in ("int", "float")]
BOUNDED = [r for r in NUMERIC if r["lo"] is not None]
BOOLS = [r for r in ROWS.values() if r["type"] == "bool"]
CHOICES = [r for r in ROWS.values() if r["choices"]]
GARBAGE = ["abc", "{a: 1}", "nan", "inf", "-inf", "0x10", "5e", "true", "1_000x"]
BROKEN = ["]", "'abc", "${x", "=", "{", "[", "(a", '"']


def _number(row, value):
    return str(int(value)) if row["type"] == "int" else repr(float(value))


def out_of_range(draw) -> tuple[str, str]:
    row = draw(st.sampled_from(BOUNDED))
    step = draw(st.sampled_from([1e-6, 1.0, 1e6]))
    if row["type"] == "int":
        step = max(1, int(step))
    below = draw(st.booleans()) or row["hi"] is None
    value = row["lo"] - step if below else row["hi"] + step
    if row["key"] in ("market.start",):
        value = row["lo"] - 1
    return row["key"], f"{row['key']}={_number(row, value)}"


def wrong_type(draw) -> tuple[str, str]:
    kind = draw(st.sampled_from(["numeric", "bool", "choice"]))
    if kind == "numeric":
        row = draw(st.sampled_from(NUMERIC))
        value = draw(st.sampled_from([*GARBAGE, "1.5"] if row["type"] == "int" else GARBAGE))
    elif kind == "bool":
        row = draw(st.sampled_from(BOOLS))
        value = draw(st.sampled_from(["maybe", "1", "0", "yes", "[true]", "2.5"]))
    else:
        row = draw(st.sampled_from(CHOICES))
        value = draw(st.text(string.ascii_lowercase, min_size=1, max_size=8))
        if value in row["choices"]:
            value += "x"
    return row["key"], f"{row['key']}={value}"


def unknown_key(draw) -> tuple[str, str]:
    prefix = draw(st.sampled_from(["", "strategy.", "market.", "market.sellers.direct."]))
    name = draw(st.text(string.ascii_lowercase + "_", min_size=3, max_size=12))
    key = prefix + name
    if key in ROWS or key in ("seed", "steps", "market", "strategy", "scenario", "experiment"):
        key += "_zz"
    return key, f"{key}=1"


def malformed(draw) -> tuple[str, str]:
    row = draw(st.sampled_from(list(ROWS.values())))
    junk = draw(st.sampled_from(BROKEN))
    return row["key"], f"{row['key']}=0.1{junk}" if junk != "=" else f"{row['key']}=="


@st.composite
def invalid_override(draw) -> tuple[str, str]:
    """(the key the message must name, the override)."""
    make = draw(st.sampled_from([out_of_range, wrong_type, unknown_key, malformed]))
    return make(draw)


def assert_one_line_naming(err: str, key: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("channelsim: error:"), err
    assert "Traceback" not in err
    assert key in lines[0], (key, err)


def no_ok_summary(folder: Path) -> bool:
    return not any(
        json.loads(p.read_text()).get("status") == "ok" for p in folder.rglob("summary.json")
    )


FOLDERS = itertools.count()  # hypothesis reuses one tmp_path across its examples


@settings(
    max_examples=120,  # four kinds of bad input, each on about 30 keys, run and sweep
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=invalid_override(), command=st.sampled_from(["run", "sweep"]))
def test_fuzzed_bad_input_is_one_line_and_writes_no_result(case, command, tmp_path, capsys):
    key, override = case
    out = tmp_path / f"out-{next(FOLDERS)}"
    if command == "run":
        args = ["run", override, f"hydra.run.dir={out}"]
    else:  # a sweep whose every job carries the bad value
        args = ["sweep", "seed=0,1", override, f"hydra.sweep.dir={out}"]
    assert cli.main(args) == 2, (args, capsys.readouterr())
    assert_one_line_naming(capsys.readouterr().err, key)
    assert not out.exists() or no_ok_summary(out)


def test_fuzzed_bad_input_through_the_installed_command(tmp_path):
    rng = random.Random(20261129)
    draws = []
    for i in range(12):  # the kinds of bad input above, four of them through a sweep
        key, override = _sample(rng)
        command = "run" if i % 3 else "sweep"
        out = tmp_path / f"out-{i}"
        extra = ["seed=0,1", f"hydra.sweep.dir={out}"] if command == "sweep" else []
        extra = extra or [f"hydra.run.dir={out}"]
        draws.append((key, [str(SCRIPT), command, override, *extra], out))

    def call(args):
        return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=tmp_path)

    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(call, [args for _, args, _ in draws]))
    for (key, args, out), result in zip(draws, done, strict=True):
        assert result.returncode == 2, (args, result.stderr)
        assert_one_line_naming(result.stderr, key)
        assert not out.exists() or no_ok_summary(out)


def _sample(rng: random.Random) -> tuple[str, str]:
    """A deterministic draw of the same kinds of bad input, without hypothesis."""
    kind = rng.choice(["range", "type", "unknown", "malformed"])
    if kind == "range":
        row = rng.choice(BOUNDED)
        value = row["lo"] - 1 if row["hi"] is None or rng.random() < 0.5 else row["hi"] + 1
        return row["key"], f"{row['key']}={_number(row, value)}"
    if kind == "type":
        row = rng.choice(NUMERIC)
        return row["key"], f"{row['key']}={rng.choice(GARBAGE)}"
    if kind == "unknown":
        key = rng.choice(["strategy.", "market.", ""]) + "".join(
            rng.choice(string.ascii_lowercase) for _ in range(9)
        )
        return key, f"{key}=1"
    row = rng.choice(list(ROWS.values()))
    return row["key"], f"{row['key']}=0.1{rng.choice(BROKEN[:3])}"
