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
from channelsim.experiment.maps import plan_map, run_map
from tests.conftest import SMALL

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


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("map.x=market.buyers.weights_user", "a numeric market key"),
        ("map.x=strategy.rebate_rate", "a numeric market key"),
        ("map.x_values=[0.0,2.0]", "outside its range [0, 1]"),
        ("map.x_values='linspace(0,1)'", "linspace(lo, hi, n)"),
        ("map.strategies=[direct]", "two or more of the strategy presets"),
        ("map.kpi=nosuch", "is not a metric"),
        ("map.seeds=1", "expected an integer >= 2"),
        ("strategy=direct", "the map sets it"),
        ("map.nosuch=1", "unknown key 'map.nosuch'"),
    ],
)
def test_a_bad_map_is_refused_in_one_line(override, message, capsys):
    assert cli.main(["map", *TINY, override]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err
