"""Every seller's share of the whole market as the case study reads it: the sellers read
off a table's columns, and the study's seller table, from runs whose shares are known."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from channelsim.analysis.case_study import (
    SELLER_WINDOWS,
    CaseStudy,
    seller_figure,
    seller_rows,
    summarise_sellers,
)
from channelsim.analysis.figures import market_sellers, seller_colours
from channelsim.experiment.case_study import SCENARIOS
from channelsim.labels import font_rc
from channelsim.metrics import check_sellers_metrics, metric_names, metric_seller, metric_sellers
from tests.test_labels import missing_glyphs

# t(0.975, 1 degree of freedom): the half-width of a 95% interval over two seeds is
# this times the standard error
T_975_1 = 12.706204736


def test_the_sellers_are_read_off_the_metrics_names_vendor_and_direct_first():
    names = metric_names(["direct", "vendor", "globalbrands", "localbrands", "others"])
    assert metric_sellers(names) == ["vendor", "direct", "globalbrands", "localbrands", "others"]
    assert metric_sellers(metric_names(["vendor", "direct"])) == ["vendor", "direct"]


def test_metrics_that_only_look_like_a_sellers_are_no_sellers():
    for name in ("profit_resellers", "units_online", "units_channel", "active_resellers"):
        assert metric_seller(name) is None, name
    assert metric_seller("share_vendor_total") == "vendor"
    assert metric_seller("profit_globalbrands") == "globalbrands"
    check_sellers_metrics({"kpi": "profit_resellers"}, ["vendor", "direct"])  # no error


def runs_of(shares: dict[int, dict[str, float]], sellers_absent: tuple[str, ...] = ()):
    """Every scenario's runs from 2003-01 to 2006-12, one seed a key of `shares`, each
    seller's whole-market share the same every month; `sellers_absent` are reported at
    nothing, as a market without the direct seller reports it."""
    dates = [f"{year}-{month:02d}" for year in range(2003, 2007) for month in range(1, 13)]
    rows = []
    for scenario in SCENARIOS:
        for seed, of_seller in shares.items():
            for step, date in enumerate(dates):
                row = {"scenario": scenario, "variant": "all parts", "seed": seed}
                row |= {"step": step, "date": date, "profit_resellers": 1.0}
                for seller, share in of_seller.items():
                    row |= {f"share_{seller}_total": share, f"units_{seller}": 100.0 * share}
                for seller in sellers_absent:
                    row |= {f"share_{seller}_total": 0.0, f"units_{seller}": 0.0}
                rows.append(row)
    return pd.DataFrame(rows)


THREE = {
    0: {"vendor": 0.5, "direct": 0.2, "others": 0.3},
    1: {"vendor": 0.7, "direct": 0.1, "others": 0.2},
}


def test_each_sellers_share_is_its_mean_over_seeds_with_a_t_interval():
    table = summarise_sellers(runs_of(THREE))
    assert list(table) == list(SCENARIOS)
    for scenario in SCENARIOS:
        assert list(table[scenario]) == ["vendor", "direct", "others"]
        for seller, mean, half in (
            ("vendor", 0.6, 0.1 * T_975_1),
            ("direct", 0.15, 0.05 * T_975_1),
            ("others", 0.25, 0.05 * T_975_1),
        ):
            assert list(table[scenario][seller]) == list(SELLER_WINDOWS)
            for est in table[scenario][seller].values():
                assert est.n == 2
                assert est.mean == pytest.approx(mean, abs=1e-12)
                # a share cannot be negative: its interval is bounded at 0
                low = max(0.0, mean - half)
                assert (est.low, est.high) == pytest.approx((low, mean + half), abs=1e-6)


def test_the_seller_table_has_a_row_a_scenario_and_seller():
    study = CaseStudy(runs_of(THREE), {}, {}, [0, 1], sellers=summarise_sellers(runs_of(THREE)))
    head, rows = seller_rows(study)
    assert head == ["scenario", "seller", "2003", "2004-Q1", "2005-H2", "2006-H2"]
    assert [row[:2] for row in rows] == [[s, v] for s in SCENARIOS for v in THREE[0]]
    assert rows[0][2:] == ["0.600 [0.000, 1.871]"] * 4  # t's lower end, -0.671, cut at 0


def test_a_two_seller_market_has_two_rows_a_scenario():
    two = {0: {"vendor": 0.8, "direct": 0.2}, 1: {"vendor": 0.6, "direct": 0.4}}
    table = summarise_sellers(runs_of(two))
    assert [list(table[s]) for s in SCENARIOS] == [["vendor", "direct"]] * 3
    assert table["history"]["direct"]["2005-H2"].mean == pytest.approx(0.3, abs=1e-12)


def test_a_seller_reported_at_nothing_is_not_of_the_market():
    runs = runs_of({0: {"vendor": 0.6, "others": 0.4}}, sellers_absent=("direct",))
    assert market_sellers(runs) == ["vendor", "others"]
    assert list(summarise_sellers(runs)["copy_direct"]) == ["vendor", "others"]


@pytest.mark.parametrize(
    ("lang", "titles", "names"),
    [
        (
            "en",
            ["history", "stay_traditional", "copy_direct"],
            ["vendor", "direct seller", "others"],
        ),
        ("zh", ["历史路径", "维持传统渠道", "模仿直销"], ["厂商", "直销厂商", "其他"]),
    ],
)
def test_the_seller_figure_has_a_panel_a_scenario_and_a_line_a_seller(lang, titles, names):
    runs = runs_of(THREE)
    study = CaseStudy(runs, {}, {}, [0, 1], sellers=summarise_sellers(runs))
    with plt.rc_context(font_rc(lang)):
        fig = seller_figure(study, lang)
        assert missing_glyphs(fig.canvas.draw) == []
    assert [ax.get_title() for ax in fig.axes] == titles
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == names
    colours = [line.get_color() for line in fig.axes[0].get_legend().get_lines()]
    assert colours == seller_colours(["vendor", "direct", "others"])
    plt.close(fig)
