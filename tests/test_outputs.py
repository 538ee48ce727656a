"""The result-file contract of one run: names, columns, rows, summary fields."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from channelsim import compose, run
from channelsim.experiment.run import config_hash
from channelsim.metrics import metric_names

CONTRACT_COLUMNS = [
    "step",
    "date",
    "share_vendor_total",
    "share_vendor_key",
    "share_direct_key",
    "share_vendor_global",
    "share_direct_global",
    "share_vendor_mid",
    "share_direct_mid",
    "share_vendor_txn",
    "share_direct_txn",
    "revenue_vendor",
    "profit_vendor",
    "revenue_direct",
    "profit_direct",
    "profit_resellers",
    "active_resellers",
    "partner_satisfaction",
    "relationship_vendor_key",
    "relationship_direct_key",
    "relationships_lost",
    "win_rate_vendor_key",
    "win_rate_direct_key",
    "opportunities_open",
    "opportunities_won_vendor",
    "opportunities_won_direct",
    "gray_market_units",
    "conflict_index",
    "coverage_key",
    "mean_partner_capability",
    "vendor_margin_per_unit",
    "channel_program_cost",
    "bad_debt_vendor",
]


@pytest.fixture(scope="module")
def history_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    return run(compose(["scenario=history", "steps=30", "seed=3"]), out), out


def test_run_writes_every_file(history_run):
    _, out = history_run
    for name in (
        "metrics.parquet",
        "partners.parquet",
        "regions.parquet",
        "summary.json",
        "config.yaml",
        "channel.graphml",
        "figures/shares.png",
        "figures/profits.png",
        "figures/conflict_satisfaction.png",
    ):
        assert (out / name).is_file(), name
    assert not list(out.glob(".*.tmp"))


def test_metrics_rows_and_columns(history_run):
    result, out = history_run
    metrics = pd.read_parquet(out / "metrics.parquet")
    assert list(metrics.columns[:2]) == ["step", "date"]
    assert set(CONTRACT_COLUMNS) <= set(metrics.columns)
    assert list(metrics["step"]) == list(range(1, 31))
    assert metrics["date"].iloc[0] == "2002-01"
    assert metrics["date"].iloc[-1] == "2004-06"
    pd.testing.assert_frame_equal(metrics, result.metrics)


def test_summary_fields(history_run):
    result, out = history_run
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["error"] is None
    assert summary["seed"] == 3 and summary["steps"] == 30
    assert summary["scenario"] == "history"
    assert summary["strategy"] == "traditional_channel"
    assert summary["version"]
    assert summary["runtime_s"] > 0
    metrics = result.metrics
    sellers = [seller.name for seller in result.model.sellers]
    assert set(summary["kpis"]) == set(metric_names(sellers))
    assert {f"share_{seller}_total" for seller in sellers} <= set(summary["kpis"])
    expected = metrics["share_vendor_key"].tail(12).mean()
    assert summary["kpis"]["share_vendor_key"] == pytest.approx(expected)
    assert summary == result.summary


def test_config_yaml_round_trips_to_the_same_hash(history_run):
    result, out = history_run
    loaded = OmegaConf.to_object(
        OmegaConf.merge(
            OmegaConf.structured(type(result.model.config)), OmegaConf.load(out / "config.yaml")
        )
    )
    assert config_hash(loaded) == result.summary["config_hash"]


@pytest.mark.parametrize(
    "overrides",
    [
        ["scenario=history"],
        ["strategy=dual", "market.sellers.direct.policy=direct"],
        ["market=linear_duopoly"],
    ],
)
def test_config_yaml_is_the_text_omegaconf_writes(overrides):
    from channelsim.experiment.run import config_yaml

    config = compose(overrides)
    assert config_yaml(config) == OmegaConf.to_yaml(OmegaConf.structured(config))


def test_config_hash_ignores_output_paths_and_tracks_levers():
    a = compose(["hydra.run.dir=/tmp/a"])
    b = compose(["hydra.run.dir=/tmp/b"])
    c = compose(["strategy.rebate_rate=0.05"])
    assert config_hash(a) == config_hash(b)
    assert config_hash(a) != config_hash(c)


def test_graph_is_the_channel(history_run):
    result, out = history_run
    g = nx.read_graphml(out / "channel.graphml")
    roles = nx.get_node_attributes(g, "role")
    assert roles["vendor"] == "vendor"
    # the other sellers of the default market with resellers, each a node of its own
    assert {n for n, r in roles.items() if r == "seller"} == {
        "globalbrands",
        "localbrands",
        "others",
    }
    assert sum(r == "distributor" for r in roles.values()) == 8
    # each reseller line names its firm by the firm's first line; the default market's
    # two-brand firms have two lines of different sellers
    firm, seller = nx.get_node_attributes(g, "firm"), nx.get_node_attributes(g, "seller")
    assert set(firm.values()) <= set(firm)
    lines: dict[str, set[str]] = {}
    for line, first in firm.items():
        lines.setdefault(first, set()).add(seller[line])
    assert any(len(brands) == 2 for brands in lines.values())
    assert sum(r == "account" for r in roles.values()) == result.model.accounts.n
    for u, v in g.edges():
        assert (roles[u], roles[v]) in {
            ("vendor", "distributor"),
            ("seller", "distributor"),
            ("distributor", "reseller"),
            ("vendor", "reseller"),
            ("seller", "reseller"),
            ("reseller", "account"),
        }


def test_coverage_edges_are_distinct_resellers_of_the_account_region(default_config):
    from channelsim import ChannelModel

    model = ChannelModel(default_config)
    a, t = model.accounts, model.resellers
    assert (t.region[a.cover] == a.region[:, None]).all()
    sorted_cover = np.sort(a.cover, axis=1)
    assert (np.diff(sorted_cover, axis=1) > 0).all()


def test_network_is_seeded_from_the_run_seed():
    from channelsim import ChannelModel

    a = ChannelModel(compose(["seed=1"])).accounts.cover
    b = ChannelModel(compose(["seed=1"])).accounts.cover
    c = ChannelModel(compose(["seed=2"])).accounts.cover
    assert (a == b).all()
    assert (a != c).any()


def test_graphml_is_the_channel_graph_written_directly(history_run):
    """channel.graphml is written from the columns; it holds what channel_graph builds."""
    from channelsim.network import channel_graph

    result, out = history_run
    written = nx.read_graphml(out / "channel.graphml")
    built = channel_graph(result.model)
    assert set(written.nodes) == set(built.nodes)
    assert set(written.edges) == set(built.edges)
    for node, data in built.nodes(data=True):
        assert written.nodes[node] == data, node
    for u, v, data in built.edges(data=True):
        assert written.edges[u, v] == data, (u, v)
    assert written.graph["seed"] == built.graph["seed"]
    assert written.graph["date"] == built.graph["date"]
