"""The case comparison's findings: sentences made from its runs, each with its number and
its 95% interval. Nothing in them is written in advance: every sentence reads the
computed results (who leads, by how much, in which year, segment or seller), so a changed
result changes the sentence.

Scenarios share their seeds, so every difference between two of them is paired by seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import pandas as pd

from channelsim.analysis.stats import Estimate, mean_ci, per_run
from channelsim.config.validate import schema_rows
from channelsim.experiment.case_study import PARTS, SCENARIOS
from channelsim.labels import kpi_label
from channelsim.metrics import nonnegative

# the headline KPIs: metric, window, how the window's months combine, number format
HEADLINES = (
    ("share_vendor_key", "2005-H2", "mean", ".3f"),
    ("share_vendor_key", "2006-H2", "mean", ".3f"),
    ("share_vendor_total", "2006", "mean", ".3f"),
    ("profit_vendor", "2006", "sum", ",.0f"),
)
YEARS = ("2002", "2003", "2004", "2005", "2006")
SEGMENTS = {
    "key": "key accounts",
    "global": "global accounts",
    "mid": "mid-market",
    "txn": "walk-in buyers",
}
MOVED = 0.1  # a segment share differing by more than this between two options is flagged
BASE = "all parts"  # the variant of the comparison (the others are the ablation's)


@dataclass
class Moved:
    """A segment share that differs by more than MOVED between two options in a year."""

    segment: str
    year: str
    high: str  # the option with the higher share
    low: str
    high_share: Estimate
    low_share: Estimate
    difference: Estimate  # high less low, paired by seed


def measure_title(metric: str, win: str, how: str) -> str:
    """A measure's title, in the reports' shared labels: "vendor key-account share,
    2005-H2", "vendor profit, 2006 (sum)"."""
    if how == "sum":
        return f"{kpi_label(metric).removesuffix(' / month')}, {win} (sum)"
    return f"{kpi_label(metric)}, {win}"


def _seeds(runs: pd.DataFrame, scenario: str, metric: str, win: str, how: str) -> pd.Series:
    these = runs[(runs["scenario"] == scenario) & (runs["variant"] == BASE)]
    return per_run(these, metric, win, ["seed"], how)


def _level(values: pd.Series, metric: str) -> Estimate:
    return mean_ci(values, floor=0.0 if nonnegative(metric) else None)


def ranking(
    runs: pd.DataFrame, metric: str, win: str, how: str = "mean"
) -> list[tuple[str, Estimate, pd.Series]]:
    """The scenarios from best to worst on a metric over a window: name, estimate and
    the per-seed values."""
    rows = []
    for scenario in SCENARIOS:
        values = _seeds(runs, scenario, metric, win, how)
        rows.append((scenario, _level(values, metric), values))
    return sorted(rows, key=lambda r: -r[1].mean)


def lead(first: pd.Series, second: pd.Series) -> Estimate:
    """The first's paired difference over the second, seed by seed."""
    return mean_ci((first - second).dropna())


def _same(a: pd.Series, b: pd.Series) -> bool:
    return bool(((a - b).dropna().abs() < 1e-12).all())


def headline_sentences(runs: pd.DataFrame) -> list[str]:
    """Which option wins each headline KPI, and by how much."""
    out = []
    for metric, win, how, spec in HEADLINES:
        ranked = ranking(runs, metric, win, how)
        (best, est, values), (second, est2, values2) = ranked[0], ranked[1]
        diff = lead(values, values2)
        name = measure_title(metric, win, how)
        if diff.excludes_zero():
            out.append(
                f"**{name}:** `{best}` leads with {est.text(spec)}; `{second}` follows with "
                f"{est2.text(spec)}, {diff.text(spec)} behind; `{ranked[2][0]}` has "
                f"{ranked[2][1].text(spec)}."
            )
        else:
            out.append(
                f"**{name}:** `{best}` ({est.text(spec)}) and `{second}` ({est2.text(spec)}) "
                f"cannot be told apart: the difference is {diff.text(spec)}; `{ranked[2][0]}` "
                f"has {ranked[2][1].text(spec)}."
            )
    return out


def yearly_profit(runs: pd.DataFrame) -> dict[str, dict[str, Estimate]]:
    """The vendor's profit summed over each year, per scenario."""
    return {
        scenario: {
            year: mean_ci(_seeds(runs, scenario, "profit_vendor", year, "sum")) for year in YEARS
        }
        for scenario in SCENARIOS
    }


def profit_by_year_sentence(runs: pd.DataFrame) -> str:
    """Which option earns the most in each year in which the options differ, and whether
    that changes from year to year."""
    leaders: dict[str, list[str]] = {}
    same = []
    for year in YEARS:
        ranked = ranking(runs, "profit_vendor", year, "sum")
        (best, _, values), (second, _, values2) = ranked[0], ranked[1]
        if _same(values, values2) and _same(values, ranked[2][2]):
            same.append(year)
            continue
        diff = lead(values, values2)
        how = f"{diff.text(',.0f')} over `{second}`"
        if not diff.excludes_zero():
            how += ", not clear of it"
        leaders.setdefault(best, []).append(f"{year} ({how})")
    start = f"Until {same[-1]} the options are the same run. " if same else ""
    if len(leaders) == 1:
        ((best, years),) = leaders.items()
        return (
            start
            + f"`{best}` earns the vendor the most profit in every later year: "
            + ("; ".join(years) + ".")
        )
    parts = [f"`{best}` in {', '.join(years)}" for best, years in leaders.items()]
    return (
        start
        + "The option that earns the vendor the most changes with the year: "
        + ("; ".join(parts) + ".")
    )


def segment_sentence(runs: pd.DataFrame, year: str = "2006") -> str:
    """Whether one option leads the vendor's share in every segment, or which leads where."""
    leaders = {}
    for seg, words in SEGMENTS.items():
        ranked = ranking(runs, f"share_vendor_{seg}", year)
        diff = lead(ranked[0][2], ranked[1][2])
        clear = "" if diff.excludes_zero() else ", not clear of the next"
        leaders[words] = (ranked[0][0], f"{ranked[0][1].text()}{clear}")
    names = {best for best, _ in leaders.values()}
    if len(names) == 1:
        return f"`{names.pop()}` has the vendor's highest share in every segment in {year}: " + (
            "; ".join(f"{words} {text}" for words, (_, text) in leaders.items()) + "."
        )
    return (
        f"The ranking differs by segment in {year}: "
        + "; ".join(
            f"`{best}` leads in {words} ({text})" for words, (best, text) in leaders.items()
        )
        + "."
    )


def seller_sentence(runs: pd.DataFrame, sellers: list[str], win: str = "2006-H2") -> str:
    """Whose share of the whole market the relationship channel's gain comes from:
    history against staying traditional, seller by seller, paired by seed."""
    diffs = {
        s: lead(
            _seeds(runs, "history", f"share_{s}_total", win, "mean"),
            _seeds(runs, "stay_traditional", f"share_{s}_total", win, "mean"),
        )
        for s in sellers
    }
    vendor = diffs.pop("vendor")
    losers = sorted((d.mean, s) for s, d in diffs.items() if d.high < 0)
    verb = "gains" if vendor.mean >= 0 else "loses"
    text = (
        f"Against `stay_traditional`, the vendor under `history` {verb} "
        f"{abs(vendor.mean):.3f} of the whole market's units in {win} ({vendor.text()})"
    )
    if not losers:
        return text + "; no other seller's share falls clearly."
    return text + ", taken from " + ", ".join(f"`{s}` ({diffs[s].text()})" for _, s in losers) + "."


def rival_sentence(runs: pd.DataFrame, sellers: list[str], win: str = "2006-H2") -> str:
    """Under which option each other seller does best: the ranking seen from each rival."""
    best = []
    for seller in sellers:
        if seller == "vendor":
            continue
        top = ranking(runs, f"share_{seller}_total", win)[0]
        best.append(f"`{seller}` under `{top[0]}` ({top[1].text()})")
    return f"Each rival's share of the whole market in {win} is highest: " + "; ".join(best) + "."


def moved(runs: pd.DataFrame, years: tuple[str, ...] = ("2004", "2005", "2006")) -> list[Moved]:
    """Every vendor segment share that differs by more than MOVED between two options in
    a year, largest first."""
    out = []
    for seg in SEGMENTS:
        metric = f"share_vendor_{seg}"
        for year in years:
            by = {s: _seeds(runs, s, metric, year, "mean") for s in SCENARIOS}
            for a, b in combinations(SCENARIOS, 2):
                diff = lead(by[a], by[b])
                if abs(diff.mean) <= MOVED:
                    continue
                high, low = (a, b) if diff.mean > 0 else (b, a)
                out.append(
                    Moved(
                        seg,
                        year,
                        high,
                        low,
                        _level(by[high], metric),
                        _level(by[low], metric),
                        lead(by[high], by[low]),
                    )
                )
    return sorted(out, key=lambda m: -m.difference.mean)


def moved_sentences(flagged: list[Moved]) -> list[str]:
    """The largest flagged difference of each segment, as a sentence."""
    out, seen = [], set()
    for m in flagged:
        if m.segment in seen:
            continue
        seen.add(m.segment)
        out.append(
            f"In {SEGMENTS[m.segment]}, `{m.low}` holds {m.low_share.text()} in {m.year} "
            f"against `{m.high}`'s {m.high_share.text()}: {m.difference.text()} apart."
        )
    return out


def downsides(part: str) -> str:
    """The documented downsides of a part's levers (the schema's `downside` text)."""
    rows = schema_rows()
    texts = [rows[f"strategy.{lever}"].get("downside") or "" for lever in PARTS[part]]
    return "; ".join(t for t in dict.fromkeys(texts) if t)


def ablation_sentences(ablation: dict[str, dict[str, Estimate]], window: str) -> list[str]:
    """What each part of the relationship channel carries of the recovery, the parts
    that work against it with their mechanism, and what is left with all parts off."""
    if not ablation:
        return []
    full = ablation[BASE]["recovery"]
    out = [
        f"The relationship channel lifts the vendor's key-account share in {window} by "
        f"{full.text()} over `stay_traditional`."
    ]
    parts = {v.removeprefix("without "): e for v, e in ablation.items() if v.startswith("without")}
    carry = sorted(
        ((e["carried"], p) for p, e in parts.items() if e["carried"].low > 0),
        key=lambda r: -r[0].mean,
    )
    if carry:
        share = (lambda e: f" ({e.mean / full.mean:.0%})") if full.mean > 0 else (lambda e: "")
        out.append(
            "Switched off one at a time, these parts carry a clear share of it: "
            + "; ".join(f"{p} {e.text()}{share(e)}" for e, p in carry)
            + "."
        )
    for part, e in parts.items():
        carried = e["carried"]
        if carried.high >= 0:
            continue
        effects = ", ".join(
            f"its 2006 {name} {e[name].text(',.0f' if name == 'profit' else '.3f')}"
            for name in ("profit", "conflict")
            if name in e
        )
        out.append(
            f"Without {part} the recovery is larger, by {-carried.mean:.3f} "
            f"[{-carried.high:.3f}, {-carried.low:.3f}]: the part works against the "
            f"key-account share. Its levers' downside: {downsides(part) or 'none documented'}"
            + (f"; {effects}." if effects else ".")
        )
    none = [p for p, e in parts.items() if not e["carried"].excludes_zero()]
    if none:
        out.append(
            "Parts whose share cannot be told from 0 at these seeds: " + ", ".join(none) + "."
        )
    if "all parts off" in ablation:
        out.append(
            f"With every part off, {ablation['all parts off']['recovery'].text()} of the "
            "recovery is left."
        )
    return out
