"""Figures of one run: shares by segment, every seller's share of the whole market,
profits, conflict and satisfaction, and the channel network. Each builder returns a
matplotlib Figure outside pyplot's state (so that the dashboard's sessions can draw at
once); `run_figures` writes them as PNG files. Labels come in English or Chinese."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib as mpl
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from channelsim.analysis.report import save_figure
from channelsim.domain import Segment
from channelsim.labels import LEVERS, font_rc, lever_label, preset_label, term
from channelsim.metrics import metric_sellers
from channelsim.network import node, stocking_sellers, supply_sources

if TYPE_CHECKING:
    from channelsim.model import ChannelModel

SEGMENTS = ("key", "global", "mid", "txn")  # key accounts foremost
VENDOR, DIRECT = "#c8102e", "#0076ce"
SMOOTH = 3  # months in the rolling mean drawn over the monthly shares


def change_text(label: str, lang: str = "en") -> str:
    """A dated change's words, short, in `lang`, from its label in `ChannelModel.changes`:
    a strategy preset's name, the levers a person set (``levers: k=v, ...``), levers a
    scenario sets (``policy: k=v, ...``), a market event (``event: k=v, ...``) or an
    acquisition."""
    kind, _, rest = label.partition(": ")
    if kind in ("levers", "policy") and rest:  # set on the page; a scenario's dated levers
        levers = ", ".join(_setting_text(part, lang) for part in rest.split(", "))
        return term("you_set", lang, levers=levers) if kind == "levers" else levers
    if kind == "event" and rest:
        return "; ".join(_event_text(part, lang) for part in rest.split(", "))
    deal = re.fullmatch(r"(\S+) buys (\S+) of (\S+)", rest) if kind == "acquisition" else None
    if deal:
        buyer, share, seller = deal.groups()
        return term(
            "acquisition_change",
            lang,
            buyer=seller_term(buyer, lang),
            share=share,
            seller=seller_term(seller, lang),
        )
    return preset_label(label, lang)


def _setting_text(setting: str, lang: str) -> str:
    """``customer_care=True`` as the page shows a lever: ``Customer care on``."""
    name, _, value = setting.partition("=")
    if value in ("True", "False"):
        value = term("on" if value == "True" else "off", lang)
    return f"{lever_label(name, lang) if name in LEVERS else name.replace('_', ' ')} {value}"


# market events the case's scenarios date, in words
EVENT_TERMS = {"sellers.direct.consumer_reach": "event_low_end"}


def _event_text(setting: str, lang: str) -> str:
    """``sellers.direct.consumer_reach=0.8`` in words: the case's own events by name, any
    other as its seller (if any), key and value."""
    key, _, value = setting.partition("=")
    if key in EVENT_TERMS:
        return term(EVENT_TERMS[key], lang)
    parts = key.split(".")
    seller = seller_term(parts[1], lang) if parts[0] == "sellers" and len(parts) > 2 else ""
    name = parts[-1].replace("_", " ")
    return (
        term("event_change", lang, seller=seller, what=name, value=value)
        if seller
        else (f"{name} {value}")
    )


def change_marks(
    dates: list[str], changes: list[tuple[str, str]], lang: str = "en"
) -> list[tuple[str, str]]:
    """The changes after the first month that fall on the axis, by date: (date, words)."""
    inside = [(d, change_text(label, lang)) for d, label in changes if d in dates[1:]]
    return sorted(inside, key=lambda mark: mark[0])


def merge_marks(named: list[tuple[str, list[tuple[str, str]]]]) -> list[tuple[str, str]]:
    """Several runs' marks on one axis, by date: a change every run makes once, in its own
    words; any other named with the run that makes it (``name: words``)."""
    if not named:
        return []
    common = [m for m in named[0][1] if all(m in marks for _, marks in named[1:])]
    own = [(d, f"{name}: {w}") for name, marks in named for d, w in marks if (d, w) not in common]
    return sorted(common + own, key=lambda mark: mark[0])


def mark_changes(
    ax: Axes, dates: list[str], marks: list[tuple[str, str]], shown: set[int] | None = None
) -> None:
    """A dashed line at each change, numbered at the top (the figure's legend of marks
    gives the words); numbers of one month stack down. With `shown`, only the marks of
    those numbers are drawn (a panel showing one run of several)."""
    stacked: dict[int, int] = {}
    for number, (date, _) in enumerate(marks, 1):
        if shown is not None and number not in shown:
            continue
        x = dates.index(date)
        level = stacked.get(x, 0)
        stacked[x] = level + 1
        ax.axvline(x, color="grey", lw=0.8, ls="--")
        ax.annotate(
            str(number),
            (x, 1),
            xycoords=("data", "axes fraction"),
            xytext=(0, -9 - 12 * level),
            textcoords="offset points",
            ha="center",
            fontsize=7,
            color="dimgrey",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "grey", "lw": 0.5},
        )


def marks_legend(fig: Figure, marks: list[tuple[str, str]], lang: str) -> None:
    """The numbered marks' dates and words below the figure, three to a line."""
    if not marks:
        return
    items = [f"{n}  {date}  {words}" for n, (date, words) in enumerate(marks, 1)]
    lines = ["      ".join(items[i : i + 3]) for i in range(0, len(items), 3)]
    fig.text(
        0.01,
        0,
        f"{term('marks', lang)}:  " + "\n".join(lines),
        fontsize=8,
        va="top",
        color="dimgrey",
    )


def date_axis(ax: Axes, dates: list[str]) -> None:
    """A monthly axis (a month an x) labelled with the year at each January."""
    ticks = [i for i, d in enumerate(dates) if d.endswith("-01")] or [0]
    ax.set_xticks(ticks, [dates[i][:4] for i in ticks])


def _vendor_and_direct(ax: Axes, metrics: pd.DataFrame, segment: str, lang: str) -> None:
    """The vendor's and the direct seller's share of a segment's units, month by month
    (thin) and as a rolling mean."""
    x = range(len(metrics))
    for who, colour in (("vendor", VENDOR), ("direct", DIRECT)):
        series = metrics[f"share_{who}_{segment}"]
        ax.plot(x, series, color=colour, lw=0.6, alpha=0.35)
        smooth = series.rolling(SMOOTH, min_periods=1).mean()
        label = f"{term(who, lang)} ({term('smoothed', lang, months=SMOOTH)})"
        ax.plot(x, smooth, color=colour, label=label)


def shares_figure(
    metrics: pd.DataFrame, changes: list[tuple[str, str]] = (), lang: str = "en"
) -> Figure:
    """Vendor against direct seller: share of units bought in each segment, month by month,
    with a rolling mean, key accounts first."""
    dates = list(metrics["date"])
    marks = change_marks(dates, changes, lang)
    with mpl.rc_context(font_rc(lang)):
        fig = Figure(figsize=(10, 6.5))
        axes = fig.subplots(2, 2, sharex=True)
        for ax, seg in zip(axes.ravel(), SEGMENTS, strict=True):
            _vendor_and_direct(ax, metrics, seg, lang)
            ax.set_ylim(0, 1)
            ax.set_title(term(seg, lang), fontweight="bold" if seg == "key" else "normal")
            date_axis(ax, dates)
            mark_changes(ax, dates, marks)
        axes[0, 0].legend(loc="lower left", fontsize=8)
        fig.suptitle(term("shares_title", lang))
        marks_legend(fig, marks, lang)
    return fig


def market_sellers(metrics: pd.DataFrame) -> list[str]:
    """The sellers of the market whose metrics these are, read off the columns: every
    seller with metrics of its own that sold in some month (a market without the direct
    seller reports it at nothing). A focal vendor with a name of its own (`market.focal`,
    whose results are the `*_vendor` metrics too) is listed once, by its name."""
    sold = [s for s in metric_sellers(metrics.columns) if metrics[f"units_{s}"].sum() > 0]

    def focal(name: str) -> bool:  # its own metrics are the *_vendor ones
        kinds = ("units", "revenue", "profit")
        return all(metrics[f"{k}_{name}"].equals(metrics[f"{k}_vendor"]) for k in kinds)

    if "vendor" in sold and any(focal(s) for s in sold if s != "vendor"):
        sold.remove("vendor")
    return sold


def seller_shares_figure(
    metrics: pd.DataFrame,
    changes: list[tuple[str, str]] = (),
    lang: str = "en",
    sellers: list[str] | None = None,
) -> Figure:
    """Every seller's share of the whole market's units, month by month, with a rolling
    mean: the shares add up to 1. The sellers are the market's (`market_sellers`) unless
    given."""
    dates, x = list(metrics["date"]), range(len(metrics))
    sellers = market_sellers(metrics) if sellers is None else sellers
    marks = change_marks(dates, changes, lang)
    with mpl.rc_context(font_rc(lang)):
        fig = Figure(figsize=(10, 4))
        ax = fig.subplots()
        for name, colour in zip(sellers, seller_colours(sellers), strict=True):
            series = metrics[f"share_{name}_total"]
            ax.plot(x, series, color=colour, lw=0.6, alpha=0.35)
            smooth = series.rolling(SMOOTH, min_periods=1).mean()
            ax.plot(x, smooth, color=colour, label=seller_term(name, lang))
        ax.set_ylim(0, 1)
        ax.set_ylabel(term("seller_share_axis", lang))
        ax.set_title(term("seller_shares_title", lang, months=SMOOTH))
        date_axis(ax, dates)
        mark_changes(ax, dates, marks)
        ax.legend(fontsize=8, loc="upper left", ncol=len(sellers))
        marks_legend(fig, marks, lang)
    return fig


def _lines(
    metrics: pd.DataFrame,
    changes: list[tuple[str, str]] = (),
    lang: str = "en",
    *,
    title: str,
    series: list[tuple[str, str, str]],
    ylabel: str = "",
    ylim: tuple[float, float] | None = None,
    zero_line: bool = False,
) -> Figure:
    """One panel of metrics over time: (column, term, colour) per line."""
    dates = list(metrics["date"])
    marks = change_marks(dates, changes, lang)
    with mpl.rc_context(font_rc(lang)):
        fig = Figure(figsize=(8, 4))
        ax = fig.subplots()
        for col, label, color in series:
            ax.plot(range(len(metrics)), metrics[col], label=term(label, lang), color=color)
        if zero_line:
            ax.axhline(0, color="black", lw=0.5)
        if ylim:
            ax.set_ylim(*ylim)
        ax.set_ylabel(term(ylabel, lang) if ylabel else "")
        ax.set_title(term(title, lang))
        date_axis(ax, dates)
        mark_changes(ax, dates, marks)
        ax.legend(fontsize=8)
        marks_legend(fig, marks, lang)
    return fig


profits_figure = partial(
    _lines,
    title="profits_title",
    series=[
        ("profit_vendor", "vendor", VENDOR),
        ("profit_direct", "direct", DIRECT),
        ("profit_resellers", "resellers", "#555555"),
    ],
    ylabel="profit_axis",
    zero_line=True,
)
profits_figure.__doc__ = "Monthly profit of the vendor, the direct seller and all resellers."

conflict_figure = partial(
    _lines,
    title="conflict_title",
    series=[
        ("conflict_index", "conflict", "#b35900"),
        ("partner_satisfaction", "satisfaction", "#2e7d32"),
    ],
    ylim=(0, 1),
)
conflict_figure.__doc__ = "Channel conflict index and mean partner satisfaction, month by month."


def key_shares_figure(
    metrics: pd.DataFrame, changes: list[tuple[str, str]] = (), lang: str = "en"
) -> Figure:
    """Key accounts, the headline: the vendor's and the direct seller's share of the
    key-account units bought, month by month (thin) and as a rolling mean."""
    dates = list(metrics["date"])
    marks = change_marks(dates, changes, lang)
    with mpl.rc_context(font_rc(lang)):
        fig = Figure(figsize=(6.4, 3.6))
        ax = fig.subplots()
        _vendor_and_direct(ax, metrics, "key", lang)
        ax.set_ylim(0, 1)
        ax.set_ylabel(term("key_share_axis", lang))
        ax.set_title(term("key_share_title", lang))
        date_axis(ax, dates)
        mark_changes(ax, dates, marks)
        ax.legend(fontsize=8, loc="upper left")
        marks_legend(fig, marks, lang)
    return fig


def compare_figure(
    runs: list[tuple[str, pd.DataFrame, list[tuple[str, str]]]], lang: str = "en"
) -> Figure:
    """Two or more runs overlaid, month by month: the vendor's key-account share and its
    profit, each as a rolling mean; a run a colour, named as given, and the runs' policy
    changes numbered and named under the chart (with the run's name, unless every run
    makes the change)."""
    colours = ["#c8102e", "#0076ce", "#2e7d32", "#7b3294"]
    dates = list(max((m for _, m, _ in runs), key=len)["date"])
    marks = merge_marks(
        [(name, change_marks(list(m["date"]), changes, lang)) for name, m, changes in runs]
    )
    with mpl.rc_context(font_rc(lang)):
        fig = Figure(figsize=(11, 3.6))
        axes = fig.subplots(1, 2)
        panels = (("share_vendor_key", "key_share_axis"), ("profit_vendor", "vendor_profit_axis"))
        for ax, (column, axis) in zip(axes, panels, strict=True):
            for (name, metrics, _), colour in zip(runs, colours, strict=False):
                smooth = metrics[column].rolling(SMOOTH, min_periods=1).mean()
                ax.plot(range(len(metrics)), smooth, color=colour, label=name)
            ax.set_ylabel(term(axis, lang), fontsize=9)
            date_axis(ax, dates)
            mark_changes(ax, dates, marks)
            ax.grid(alpha=0.3)
        axes[0].set_ylim(0, 1)
        axes[1].axhline(0, color="black", lw=0.5)
        axes[0].legend(fontsize=8, loc="lower left")
        fig.suptitle(term("compare_title", lang, months=SMOOTH))
        marks_legend(fig, marks, lang)
    return fig


def run_figures(
    metrics: pd.DataFrame,
    folder: Path,
    changes: list[tuple[str, str]] | None = None,
    lang: str = "en",
) -> list[Path]:
    """Write the run's figures into `folder`; return their paths."""
    folder, changes = Path(folder), changes or []
    paths = []
    for name, build in (
        ("shares.png", shares_figure),
        ("profits.png", profits_figure),
        ("conflict_satisfaction.png", conflict_figure),
    ):
        paths.append(folder / name)
        save_figure(build(metrics, changes, lang), paths[-1])
    return paths


# ---------------------------------------------------------------- the network
TIER_COLOURS = {1: "#6a3d9a", 2: "#cab2d6"}
PARTNER_COLOUR, EXITED_COLOUR = "#ff7f00", "#dddddd"
# the other sellers' colours, in the market's order
OTHER_COLOURS = ("#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")


def seller_colours(names: list[str]) -> list[str]:
    """Each seller's colour, by its row: the vendor's and the direct seller's their own,
    the others' in turn."""
    others = iter(OTHER_COLOURS * (len(names) // len(OTHER_COLOURS) + 1))
    return [{"vendor": VENDOR, "direct": DIRECT}.get(name) or next(others) for name in names]


def network_layout(model: ChannelModel, max_key_per_region: int = 12) -> dict[str, np.ndarray]:
    """Fixed positions for the network figure (a networkx shell layout): the vendor in the
    middle, distributors around it, every reseller slot (entrants included) on the next
    ring and a sample of key accounts outside, both grouped by region so that an
    account sits near the resellers that cover it."""
    a, t = model.accounts, model.resellers
    resellers = np.lexsort((np.arange(t.n), t.region))
    key = np.flatnonzero(a.segment == Segment.KEY)
    shown = np.concatenate(
        [key[a.region[key] == g][:max_key_per_region] for g in range(model.market.n_regions)]
    )
    # the vendor, and beside it every other seller with partners of its own
    sellers = ["vendor"] + [
        node(s.name) for s in model.sellers if s is not model.vendor and (t.seller == s.row).any()
    ]
    shells = [
        sellers,
        [f"d{i}" for i in range(model.distributors.n)],
        [f"r{r}" for r in resellers],
        [f"a{i}" for i in shown],
    ]
    graph = nx.Graph()
    graph.add_nodes_from(node for shell in shells for node in shell)
    return nx.shell_layout(graph, nlist=shells)


def seller_term(name: str, lang: str) -> str:
    """A seller's name in a legend: the default market's sellers in `lang`, any other as
    its market names it."""
    return term(name, lang) if name in SELLER_TERMS else name


SELLER_TERMS = ("vendor", "direct", "globalbrands", "localbrands", "others")


def network_figure(
    model: ChannelModel, layout: dict[str, np.ndarray] | None = None, lang: str = "en"
) -> Figure:
    """The channel as it stands: vendor, distributors, resellers by tier and status
    (relationship partners marked), key accounts by current supplier, the supply edges
    and the coverage edges of the key accounts shown."""
    layout = layout or network_layout(model)
    a, t = model.accounts, model.resellers
    pos = layout
    resellers = np.array([int(n[1:]) for n in pos if n.startswith("r")], dtype=np.int64)
    accounts = np.array([int(n[1:]) for n in pos if n.startswith("a")], dtype=np.int64)
    used = resellers[resellers < model.resellers_used]
    active = used[t.active[used]]
    gone = used[~t.active[used]]

    def xy(prefix: str, rows: np.ndarray) -> np.ndarray:
        return np.array([pos[f"{prefix}{r}"] for r in rows]).reshape(-1, 2)

    with mpl.rc_context(font_rc(lang)):
        fig = Figure(figsize=(7, 8))
        ax = fig.subplots()
        segments = []
        dist = xy("d", np.arange(model.distributors.n))
        # each seller that sells through distributors supplies every one of them
        for seller in stocking_sellers(model):
            at = node(seller.name)
            segments += [(pos[at], d) for d in dist if at in pos]
        # the vendor's partners' supply: through their distributor, or from the vendor
        source = supply_sources(model)
        segments += [(pos[source[r]], pos[f"r{r}"]) for r in active if source[r] in pos]
        cover = a.cover[accounts]
        ties = t.active[cover]
        segments += [
            (pos[f"a{accounts[i]}"], pos[f"r{cover[i, k]}"])
            for i, k in zip(*np.nonzero(ties), strict=True)
        ]
        ax.add_collection(LineCollection(segments, colors="#999999", linewidths=0.3, alpha=0.5))
        names = [seller.name for seller in model.sellers]
        colour = seller_colours(names)
        shown = [s for s in model.sellers if node(s.name) in pos]
        for seller in shown:  # the sellers; another seller's partners ringed in its colour
            ax.scatter(*pos[node(seller.name)], s=220, c=colour[seller.row], marker="s", zorder=3)
            if seller is not model.vendor:
                theirs = active[t.seller[active] == seller.row]
                ax.scatter(
                    *xy("r", theirs).T, s=60, facecolors="none", edgecolors=colour[seller.row]
                )
        ax.scatter(*dist.T, s=80, c="#333333", marker="D", zorder=3)
        tier = t.tier[active]
        ax.scatter(*xy("r", active).T, s=22, c=[TIER_COLOURS.get(int(x), "#999") for x in tier])
        partner = active[t.relationship_partner[active]]
        ax.scatter(*xy("r", partner).T, s=45, facecolors="none", edgecolors=PARTNER_COLOUR, lw=0.7)
        ax.scatter(*xy("r", gone).T, s=12, c=EXITED_COLOUR)
        colours = [colour[int(s)] for s in a.incumbent[accounts]]
        ax.scatter(*xy("a", accounts).T, s=26, c=colours, marker="^", zorder=3)
        handles = [
            *(
                Line2D(
                    [], [], ls="", marker="s", color=colour[s.row], label=seller_term(s.name, lang)
                )
                for s in shown
            ),
            Line2D([], [], ls="", marker="D", color="#333333", label=term("distributor", lang)),
            Line2D([], [], ls="", marker="o", color=TIER_COLOURS[1], label=term("tier1", lang)),
            Line2D([], [], ls="", marker="o", color=TIER_COLOURS[2], label=term("tier2", lang)),
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                mfc="none",
                mec=PARTNER_COLOUR,
                label=term("relationship_partner", lang),
            ),
            Line2D([], [], ls="", marker="o", color=EXITED_COLOUR, label=term("exited", lang)),
            *(
                Line2D(
                    [],
                    [],
                    ls="",
                    marker="^",
                    color=colour[s.row],
                    label=term("key_of", lang) + " " * (lang != "zh") + seller_term(s.name, lang),
                )
                for s in model.sellers
            ),
        ]
        ax.legend(
            handles=handles, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3
        )
        ax.set_title(f"{term('network_title', lang)} — {model.date}")
        ax.set_aspect("equal")
        ax.set_xlim(-1.1, 1.1)
        ax.set_ylim(-1.1, 1.1)
        ax.axis("off")
    return fig
