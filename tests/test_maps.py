"""Strategy maps: each cell's winner, its paired margin and when no winner is clear, by
hand; the map's picture; `channelsim map` at a tiny grid, and its refusals."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import channelsim
from channelsim import cli
from channelsim.analysis.maps import (
    COLUMNS,
    NO_WINNER,
    cell_table,
    map_figure,
    map_table,
    winners,
)
from channelsim.config.compose import compose
from channelsim.config.schema import get_path
from channelsim.config.validate import schema_rows
from channelsim.experiment.maps import plan_map, run_map
from tests.conftest import SMALL, WHOLE_SMALL

T_3 = 4.302652729911275  # Student t, 0.975, 2 degrees of freedom (three seeds)


def runs(cells: dict[tuple[float, float], dict[str, list[float]]]) -> pd.DataFrame:
    """One row a run: each cell's strategies at seeds 0, 1, 2, ..."""
    rows = [
        {"x": x, "y": y, "strategy": s, "seed": seed, "value": v}
        for (x, y), by_strategy in cells.items()
        for s, values in by_strategy.items()
        for seed, v in enumerate(values)
    ]
    return pd.DataFrame(rows)


def test_a_clear_winner_leads_the_runner_up_at_paired_seeds():
    """direct beats channel at every seed by 2, 3 and 4: its margin is 3 with a paired t
    interval of 3 ± t·1/√3 (0.52 to 5.48); the third strategy, lower still, does not
    enter the margin."""
    table = cell_table(
        runs({(0.1, 0.5): {"direct": [12, 13, 14], "channel": [10, 10, 10], "dual": [1, 2, 3]}})
    )
    assert list(table.columns) == COLUMNS
    assert list(table["strategy"]) == ["channel", "direct", "dual"]
    assert set(table["winner"]) == {"direct"}
    half = T_3 * 1.0 / np.sqrt(3)
    row = table.iloc[0]
    assert row["margin"] == pytest.approx(3.0)
    assert (row["margin_low"], row["margin_high"]) == pytest.approx((3 - half, 3 + half))
    direct = table.set_index("strategy").loc["direct"]
    assert direct["mean"] == pytest.approx(13.0)
    assert direct["ci_high"] - 13.0 == pytest.approx(half)


def test_a_lead_whose_interval_includes_zero_names_no_winner():
    """Paired leads of +3, -1 and +1: mean 1, interval 1 ± 5, so no winner, though 'a'
    leads at two seeds of three."""
    table = cell_table(runs({(1, 1): {"a": [103, 99, 201], "b": [100, 100, 200]}}))
    assert set(table["winner"]) == {NO_WINNER}
    assert table["margin"].iloc[0] == pytest.approx(1.0)
    assert table["margin_low"].iloc[0] < 0 < table["margin_high"].iloc[0]


def test_each_cell_has_its_own_winner_and_seeds_missing_a_strategy_drop_out():
    """Two cells, two winners; a seed where one strategy failed (no value) is left out of
    that cell's comparison."""
    values = runs(
        {
            (0, 0): {"direct": [5, 6, 7], "channel": [1, 2, 3]},
            (1, 0): {"direct": [1, 2, 3, 50], "channel": [5, 6, 7]},
        }
    )
    table = cell_table(values)
    cells = winners(table)
    assert list(cells["winner"]) == ["direct", "channel"]
    assert cells["margin"].tolist() == pytest.approx([4.0, 4.0])  # seed 3 had no channel run


def test_the_map_draws_each_winner_and_marks_the_source(tmp_path):
    table = cell_table(
        runs(
            {
                (0.0, 0.0): {"direct": [5, 6, 7], "channel": [1, 2, 3]},
                (1.0, 0.0): {"direct": [1, 2, 3], "channel": [5, 6, 7]},
                (0.0, 1.0): {"direct": [1, 2, 3], "channel": [2, 1, 3]},
                (1.0, 1.0): {"direct": [1, 2, 3], "channel": [5, 6, 7]},
            }
        )
    )
    fig = map_figure(table, ["direct", "channel"], "in-house IT", "cost", "profit", (0.2, 0.8))
    image = fig.axes[0].images[0].get_array()
    assert image.shape == (2, 2, 4)
    # the cell with no clear winner is grey, the others carry their winner's colour
    assert np.allclose(image[1, 0, :3], image[1, 0, 0])  # grey: equal channels
    assert not np.allclose(image[0, 0, :3], image[0, 1, :3])  # direct's, channel's
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
        "direct",
        "channel",
        NO_WINNER,
    ]
    fig.savefig(tmp_path / "map.png")
    assert (tmp_path / "map.png").stat().st_size > 0


# a map small enough for the suite: 2 x 2 cells, two strategies, two seeds, a year
TINY = [
    "experiment=map_china",
    "map.x_values=[0.0,1.0]",
    "map.y_values=[0.7,0.86]",
    "map.strategies=[direct,relationship_channel]",
    "map.seeds=2",
    "map.window=2002",
    "steps=12",
    *[o for o in SMALL if o.startswith("market.")],
]


def test_a_map_runs_its_grid_writes_its_files_and_resumes(tmp_path):
    table = channelsim.map(TINY, n_jobs=2, out_dir=tmp_path, progress=False)
    assert list(table.columns) == COLUMNS
    assert len(table) == 2 * 2 * 2  # cells x strategies
    assert set(table["x"]) == {0.0, 1.0} and set(table["y"]) == {0.7, 0.86}
    cells = winners(table)
    assert set(cells["winner"]) <= {"direct", "relationship_channel", NO_WINNER}
    for name in ("map.csv", "map.png", "report.md", "report.html", "summary.json"):
        assert (tmp_path / name).stat().st_size > 0, name
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "map.csv"), table, check_dtype=False)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["jobs"] == 16
    assert summary["source"] == [0.2, 0.8]  # the case's market: its in-house share, cost
    # the same map again into the same folder runs nothing and reads the same table
    plan = plan_map([*TINY, f"hydra.sweep.dir={tmp_path}"])
    again = run_map(plan, hydra_launcher=False, n_jobs=1, progress=False)
    assert again.sweep.ran == 0 and again.sweep.skipped == 16
    pd.testing.assert_frame_equal(map_table(again.values), table)


# the path map at a tiny size: two groups of three keys each, a 2 x 1 grid, two strategies
TINY_PATH = [
    "experiment=map_china_to_us",
    "map.path.groups={market:[market.growth,market.population.in_house_it,market.distributors],"
    "sellers:[market.sellers.direct.unit_cost,market.sellers.direct.field_reps,market.price_fall]}",
    "map.x_values=[0,0.5]",
    "map.y_values=[1]",
    "map.strategies=[direct,relationship_channel]",
    "map.seeds=2",
    "map.window=2002",
    "steps=12",
    *[o for o in WHOLE_SMALL if "distributors" not in o],
]


def test_a_path_axis_moves_its_keys_together_from_china_to_the_us(tmp_path):
    """At x 0.5 each key of the x group sits halfway between China's value and the US's
    (growth 0.1 and 0.15: 0.125; in-house IT 0.2 and 0.886: 0.543; distributors 8 and 6:
    7); at y 1 the y group's keys take the US values, the direct seller Dell's (unit cost
    0.78, 2 field reps) by map.path.sellers."""
    plan = plan_map([*TINY_PATH, f"hydra.sweep.dir={tmp_path}"])
    assert plan.source == (0.0, 0.0) and len(plan.sweep.jobs) == 2 * 1 * 2 * 2
    half = plan.sweep.jobs[4]  # x 0.5, y 1, direct, seed 0
    assert half.values == {"path.market": 0.5, "path.sellers": 1.0, "strategy": "direct", "seed": 0}
    config = half.config.market
    assert config.growth == pytest.approx(0.125)
    assert config.population.in_house_it == pytest.approx(0.543)
    assert config.distributors == 7
    assert config.sellers["direct"].unit_cost == pytest.approx(0.78)
    assert config.sellers["direct"].field_reps == 2
    assert config.price_fall == pytest.approx(0.25)
    assert plan.sweep.jobs[0].config.market.growth == pytest.approx(0.1)
    table = channelsim.map(TINY_PATH, n_jobs=2, out_dir=tmp_path, progress=False)
    assert set(table["x"]) == {0.0, 0.5} and set(table["y"]) == {1.0}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["map"]["path"]["to"] == "us_pc_1996"
    assert summary["map"]["path"]["keys"]["market.distributors"] == [8, 6]
    assert "0: china_pc_2002, 1: us_pc_1996" in (tmp_path / "report.md").read_text()


def test_the_path_map_moves_every_structure_key_on_which_the_markets_differ():
    """map_china_to_us's two groups hold each numeric structure key whose value differs
    between china_pc_2002 and us_pc_1996 (a seller's read at its US counterpart), once,
    and no other key: its corner x 1, y 1 is the US market's structure."""
    plan = plan_map(["experiment=map_china_to_us", "hydra.sweep.dir=unused"])
    moved = plan.moved
    china = compose(["market=china_pc_2002"])
    us = compose(["market=us_pc_1996"])
    pairs = {"direct": "dell", "vendor": "compaq", "others": "others"}
    differ = set()
    for key, row in schema_rows().items():
        if row.get("role") != "structure" or row["type"] not in ("int", "float"):
            continue
        names = pairs if ".NAME." in key else {None: None}
        for here, there in names.items():
            a, b = (key.replace("NAME", n) if n else key for n in (here, there))
            try:
                start, end = float(get_path(china, a)), float(get_path(us, b))
            except (AttributeError, KeyError):
                continue
            if start != end:
                differ.add(a)
    assert set(moved) == differ
    assert all(start != end for start, end, _ in moved.values())


PATH_REFUSALS = [
    ("map.x=path.nosuch", "not a group of map.path.groups (path.market, path.sellers)"),
    ("map.x_values=[0,1.5]", "outside [0, 1] (0: the map's market, 1: us_pc_1996)"),
    ("map.path.to=nosuch", "map.path.to='nosuch' is not a market"),
    ("map.path.groups.sellers=[market.growth]", "market.growth is in both axes' groups"),
    ("map.path.groups.sellers=[strategy.rebate_rate]", "a numeric market key"),
    ("market.growth=0.2", "market.growth: the map sets it"),
]


@pytest.mark.parametrize(
    ("base", "override", "message"),
    [
        *[
            (TINY, o, m)
            for o, m in (
                ("map.x=market.buyers.weights_user", "a numeric market key"),
                ("map.x=strategy.rebate_rate", "a numeric market key"),
                ("map.x_values=[0.0,2.0]", "outside its range [0, 1]"),
                ("map.x_values='linspace(0,1)'", "linspace(lo, hi, n)"),
                ("map.strategies=[direct]", "two or more of the strategy presets"),
                ("map.kpi=nosuch", "is not a metric"),
                ("map.seeds=1", "expected an integer >= 2"),
                ("strategy=direct", "the map sets it"),
                ("map.nosuch=1", "unknown key 'map.nosuch'"),
            )
        ],
        *[(TINY_PATH, o, m) for o, m in PATH_REFUSALS],
    ],
)
def test_a_bad_map_is_refused_in_one_line(base, override, message, capsys):
    assert cli.main(["map", *base, override]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err
