"""The notebook API's readers by hand: estimates, paired differences, claims and the plot
over the calendar, on tables small enough to compute in one's head; then several
variants run at the same seeds, and every public name importable from `channelsim`."""

from __future__ import annotations

import json
import math

import matplotlib
import numpy as np
import pandas as pd
import pytest

import channelsim
from channelsim import (
    ConfigError,
    check_claims,
    differences,
    estimates,
    plot_over_time,
    scenario_events,
)

from .conftest import SMALL

matplotlib.use("Agg")


def monthly(values: dict[tuple[str, int], list[float]], dates: list[str]) -> pd.DataFrame:
    """One row a month of a run: (variant, seed) -> the metric `m` month by month."""
    rows = [
        {"variant": variant, "seed": seed, "date": date, "m": value}
        for (variant, seed), series in values.items()
        for date, value in zip(dates, series, strict=True)
    ]
    return pd.DataFrame(rows)


DATES = ["2005-06", "2005-07", "2005-08"]
# a's runs sit 1, 2 and 3 above b's at seeds 0, 1, 2 in 2005-H2; in 2005-06 they agree
RUNS = monthly(
    {
        ("a", 0): [5.0, 2.0, 2.0],
        ("a", 1): [5.0, 4.0, 4.0],
        ("a", 2): [5.0, 6.0, 6.0],
        ("b", 0): [5.0, 1.0, 1.0],
        ("b", 1): [5.0, 2.0, 2.0],
        ("b", 2): [5.0, 3.0, 3.0],
    },
    DATES,
)
T2 = 4.302652729749464  # Student t's 0.975 quantile at 2 degrees of freedom


def test_estimates_are_each_group_s_mean_with_a_t_interval():
    got = estimates(RUNS, "m", by="variant", window="2005-H2")
    assert list(got.columns) == ["variant", "metric", "mean", "low", "high", "n"]
    a = got.set_index("variant").loc["a"]
    # a's runs: 2, 4, 6 over 2005-H2; mean 4, sd 2, half-width t * 2 / sqrt(3)
    assert (a["metric"], a["mean"], a["n"]) == ("m", 4.0, 3)
    assert a["high"] - a["mean"] == pytest.approx(T2 * 2 / math.sqrt(3))
    assert a["mean"] - a["low"] == pytest.approx(T2 * 2 / math.sqrt(3))


def test_a_window_sum_and_all_months():
    summed = estimates(RUNS, "m", window="2005-H2", how="sum").set_index("variant")
    assert summed.loc["b", "mean"] == 4.0  # 2, 4 and 6 over its two months
    # a's runs alone, all three months: 3, 13/3 and 17/3
    every = estimates(RUNS[RUNS["variant"] == "a"], ["m"], by=None)
    assert list(every.columns) == ["metric", "mean", "low", "high", "n"]
    assert every.loc[0, "mean"] == pytest.approx(13 / 3)
    assert every.loc[0, "n"] == 3


def test_differences_pair_runs_by_seed():
    got = differences(RUNS, "m", [("a", "b"), ("b", "a")], window="2005-H2")
    assert list(got["compare"]) == ["a - b in 2005-H2", "b - a in 2005-H2"]
    ab = got.iloc[0]
    assert (ab["metric"], ab["mean"], ab["n"]) == ("m", 2.0, 3)  # 1, 2, 3 apart
    assert ab["high"] - ab["mean"] == pytest.approx(T2 * 1 / math.sqrt(3))
    assert got.iloc[1]["mean"] == -2.0
    # in 2005-06 the pairs agree at every seed: a difference of exactly 0
    same = differences(RUNS, "m", [("a", "b")], window="2005-06..2005-06").iloc[0]
    assert (same["mean"], same["low"], same["high"]) == (0.0, 0.0, 0.0)
    assert same["compare"] == "a - b in 2005-06..2005-06"


def test_differences_leave_out_a_seed_only_one_group_has():
    runs = RUNS[~((RUNS["variant"] == "b") & (RUNS["seed"] == 2))]
    got = differences(runs, "m", [("a", "b")], window="2005-H2").iloc[0]
    assert (got["mean"], got["n"]) == (1.5, 2)


def test_differences_of_a_sweep_s_table_one_row_a_run():
    table = pd.DataFrame(
        {"strategy": ["x", "x", "y", "y"], "seed": [0, 1, 0, 1], "profit": [3.0, 5.0, 1.0, 4.0]}
    )
    got = differences(table, "profit", [("x", "y")], by="strategy").iloc[0]
    assert (got["compare"], got["mean"], got["n"]) == ("x - y", 1.5, 2)
    with pytest.raises(ValueError, match="no `date`"):
        differences(table, "profit", [("x", "y")], by="strategy", window="2005")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: differences(RUNS, "m", [("a", "c")]), "variant='c': no such group"),
        (lambda: differences(RUNS.drop(columns="seed"), "m", [("a", "b")]), "no `seed`"),
        (lambda: estimates(RUNS, "nope"), "no column 'nope'"),
        (lambda: estimates(RUNS, "m", window="2009"), "no month of the runs"),
        (lambda: estimates(RUNS, "m", how="median"), "expected 'mean' or 'sum'"),
        (lambda: estimates(pd.concat([RUNS, RUNS]), "m"), "more than one month"),
        (lambda: estimates(RUNS, "m", by=None), "more than one month for one seed and date"),
        (lambda: plot_over_time(RUNS.drop(columns="date"), "m"), "no column 'date'"),
    ],
)
def test_refusals_name_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()


CLAIMS_TABLE = pd.DataFrame(
    {
        "metric": ["m", "m", "m", "m"],
        "compare": ["up", "down", "flat", "one seed"],
        "mean": [2.0, -1.0, 0.1, 3.0],
        "low": [0.5, -2.0, -0.3, math.nan],
        "high": [3.5, -0.2, 0.5, math.nan],
        "n": [5, 5, 5, 1],
    }
)


def test_a_claim_holds_by_its_sign_and_interval(capsys):
    claims = [
        {"metric": "m", "compare": "up", "sign": "+"},
        {"metric": "m", "compare": "down", "sign": "-"},
        {"metric": "m", "compare": "flat", "sign": "0"},
        {"metric": "m", "compare": "up", "sign": "-"},
        {"metric": "m", "compare": "flat", "sign": "+"},
        {"metric": "m", "compare": "down", "sign": "0"},
        {"metric": "m", "compare": "one seed", "sign": "+"},  # no interval: holds nothing
        {"metric": "m", "compare": "missing", "sign": "0"},  # no estimate: holds nothing
    ]
    got = check_claims(claims, CLAIMS_TABLE)
    assert list(got.columns) == ["metric", "compare", "sign", "mean", "low", "high", "n", "holds"]
    assert list(got["holds"]) == [True, True, True, False, False, False, False, False]
    assert got.loc[0, ["mean", "low", "high"]].tolist() == [2.0, 0.5, 3.5]
    # the printed line: the same rows, NaN as null, for a notebook's stored output
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("claims: ")
    printed = json.loads(line.removeprefix("claims: "))
    assert [row["holds"] for row in printed] == list(got["holds"])
    assert printed[0] == {
        "metric": "m",
        "compare": "up",
        "sign": "+",
        "mean": 2.0,
        "low": 0.5,
        "high": 3.5,
        "n": 5,
        "holds": True,
    }
    assert printed[-1]["mean"] is None and printed[-1]["n"] is None


def test_check_claims_quietly_and_refusals(capsys):
    check_claims([{"metric": "m", "compare": "up", "sign": "+"}], CLAIMS_TABLE, echo=False)
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="sign='>'"):
        check_claims([{"metric": "m", "compare": "up", "sign": ">"}], CLAIMS_TABLE)
    with pytest.raises(ValueError, match="no sign"):
        check_claims([{"metric": "m", "compare": "up"}], CLAIMS_TABLE)
    with pytest.raises(ValueError, match="appears twice"):
        check_claims([], pd.concat([CLAIMS_TABLE, CLAIMS_TABLE]))
    with pytest.raises(ValueError, match="expected the columns"):
        check_claims([], CLAIMS_TABLE.drop(columns="low"))


def test_plot_over_time_draws_dates_bands_and_the_case_s_events():
    dates = [f"{y}-{m:02d}" for y in (2003, 2004) for m in range(1, 13)]
    runs = monthly({("a", s): [float(s + i) for i in range(24)] for s in (0, 1, 2)}, dates)
    ax = plot_over_time(runs, "m")
    (line,) = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]
    x, y = line.get_data()
    assert pd.Timestamp(x[0]) == pd.Timestamp("2003-01-01")
    assert pd.Timestamp(x[-1]) == pd.Timestamp("2004-12-01")
    assert np.allclose(y, np.arange(24) + 1.0)  # the mean of seeds 0, 1, 2
    assert len(ax.collections) == 1  # the 95% band
    # the events inside 2003-2004 (2004-01 and 2004-08), dashed and labelled by date
    marks = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert [pd.Timestamp(m.get_xdata()[0]) for m in marks] == [
        pd.Timestamp("2004-01-01"),
        pd.Timestamp("2004-08-01"),
    ]
    assert [t.get_text().strip() for t in ax.texts] == [
        "relationship channel",
        "direct seller leaves the low end",
    ]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert "2004" in ticks


def test_the_default_events_are_history_s_dated_changes_after_its_start():
    dates = [f"{y}-{m:02d}" for y in range(2002, 2007) for m in range(1, 13)]
    ax = plot_over_time(monthly({("a", 0): [0.5] * 60}, dates), "m")
    assert [(t.get_text().strip()) for t in ax.texts] == [
        "relationship channel",
        "direct seller leaves the low end",
        "vendor buys 40% of global brands",
        "dual model",
    ]
    assert scenario_events() == [
        ("2004-01", "relationship channel"),
        ("2004-08", "direct seller leaves the low end"),
        ("2005-05", "vendor buys 40% of global brands"),
        ("2006-01", "dual model"),
    ]


def test_a_scenario_s_events_in_its_own_market_and_language():
    assert scenario_events("us_history", market="us_pc_1996") == [
        ("1998-11", "Online store on, Online price below retail 0.0, product differentiation 0.5"),
        ("2002-05", "compaq buys 100% of hp"),
    ]
    assert scenario_events("copy_direct", lang="zh")[0] == ("2004-01", "直销模式")
    events = scenario_events()
    events.clear()  # the caller's own list: the next call is whole
    assert len(scenario_events()) == 4
    with pytest.raises(ConfigError, match="scenario"):
        scenario_events("nope")


def test_plot_over_time_one_line_a_group_and_own_events():
    dates = ["2005-01", "2005-02", "2005-03"]
    ax = plot_over_time(
        RUNS.assign(date=RUNS["date"].map(dict(zip(DATES, dates, strict=True)))),
        "m",
        by="variant",
        smooth=2,
        events=[("2005-02", "launch"), ("2007-01", "outside")],
    )
    lines = {ln.get_label(): ln.get_ydata() for ln in ax.get_lines() if ln.get_linestyle() == "-"}
    assert set(lines) == {"a", "b"}
    assert np.allclose(lines["b"], [5.0, 3.5, 2.0])  # 2-month means of 5, 2, 2
    assert [t.get_text().strip() for t in ax.texts] == ["launch"]


def test_run_variants_pairs_variants_by_seed():
    runs = channelsim.run_variants(
        {
            "traditional": ["strategy=traditional_channel", "steps=6", *SMALL],
            "relationship": ["steps=6", *SMALL],
        },
        seeds=[3, 4],
        n_jobs=1,
        progress=False,
    )
    assert list(runs.columns[:4]) == ["variant", "seed", "step", "date"]
    assert runs.groupby(["variant", "seed"]).size().to_dict() == {
        ("relationship", 3): 6,
        ("relationship", 4): 6,
        ("traditional", 3): 6,
        ("traditional", 4): 6,
    }
    # each variant's run at a seed is run_seeds' run of that config at that seed
    alone = channelsim.run_seeds(["steps=6", *SMALL], [4], n_jobs=1, progress=False)
    mine = runs[(runs["variant"] == "relationship") & (runs["seed"] == 4)]
    pd.testing.assert_frame_equal(
        mine.drop(columns="variant").reset_index(drop=True), alone.reset_index(drop=True)
    )
    gap = differences(runs, "partner_satisfaction", [("relationship", "traditional")]).iloc[0]
    assert gap["n"] == 2


def test_run_variants_refuses_before_running():
    with pytest.raises(ConfigError):
        channelsim.run_variants({"bad": ["strategy.rebate_rate=lots"]}, seeds=[0])
    with pytest.raises(ConfigError, match="at least one variant"):
        channelsim.run_variants({}, seeds=[0])
    with pytest.raises(ConfigError, match="at least one seed"):
        channelsim.run_variants({"a": []}, seeds=[])


def test_every_public_name_imports_from_channelsim():
    for name in channelsim.__all__:
        assert getattr(channelsim, name) is not None, name
    assert set(channelsim.EXPORTS) | {"__version__"} == set(channelsim.__all__)
    assert channelsim.Reseller.__name__ == "Reseller"
