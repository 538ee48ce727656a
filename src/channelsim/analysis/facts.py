"""The case's stylized facts (CASE.md section 7), each judged by 95% confidence intervals
over seeds, never by a single run.

`judge` states each fact, from the runs of `channelsim.experiment.facts`, as a list of
claims: a difference between two groups of runs, paired by seed, whose interval must
lie on the claimed side of a threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from channelsim.analysis.stats import Estimate, mean_ci, per_run

MECHANISM_WINDOW = "2005-01..2006-12"  # lever variants are judged on 2005-2006


@dataclass(frozen=True)
class Claim:
    """`estimate` (a mean difference with its interval) lies above (+1) or below (-1)
    `threshold`, or for sign 0 is not above it (its mean is at most the threshold)."""

    text: str
    estimate: Estimate
    sign: int
    threshold: float = 0.0

    @property
    def holds(self) -> bool:
        e = self.estimate
        if self.sign > 0:
            return e.low > self.threshold
        if self.sign < 0:
            return e.high < self.threshold
        return e.mean <= self.threshold


@dataclass(frozen=True)
class Fact:
    """One stylized fact and the claims that make it."""

    number: int
    name: str
    claims: tuple[Claim, ...]

    @property
    def holds(self) -> bool:
        return all(c.holds for c in self.claims)


class _Runs:
    def __init__(self, runs: pd.DataFrame) -> None:
        self.runs = runs

    def value(
        self, group: str, metric: str, window: str = MECHANISM_WINDOW, how: str = "mean"
    ) -> pd.Series:
        these = self.runs[self.runs["group"] == group]
        return per_run(these, metric, window, ["seed"], how)

    def diff(
        self,
        a: str,
        b: str,
        metric: str,
        window: str = MECHANISM_WINDOW,
        how: str = "mean",
        window_b: str | None = None,
    ) -> Estimate:
        """Mean over seeds of (a - b), paired by seed."""
        d = self.value(a, metric, window, how) - self.value(b, metric, window_b or window, how)
        return mean_ci(d.dropna())

    def gap(self, group: str, metric: str, other: str, window: str) -> Estimate:
        """Mean over seeds of (metric - other) in one group's runs, paired by seed."""
        d = self.value(group, metric, window) - self.value(group, other, window)
        return mean_ci(d.dropna())


def judge(runs: pd.DataFrame) -> list[Fact]:
    """State the seven facts from the runs of `fact_jobs`."""
    r = _Runs(runs)
    key = "share_vendor_key"
    facts = [
        Fact(
            1,
            "traditional channel loses key accounts, holds mid and transactional",
            (
                Claim(
                    "stay_traditional: key share 2003-H2 below 2002-H1",
                    r.diff(
                        "stay_traditional", "stay_traditional", key, "2003-H2", window_b="2002-H1"
                    ),
                    -1,
                ),
                Claim(
                    "stay_traditional: key share 2006-H2 below 2002-H1",
                    r.diff(
                        "stay_traditional", "stay_traditional", key, "2006-H2", window_b="2002-H1"
                    ),
                    -1,
                ),
                *(
                    Claim(
                        f"stay_traditional: {seg} share {w} above the direct seller's",
                        r.gap("stay_traditional", f"share_vendor_{seg}", f"share_direct_{seg}", w),
                        +1,
                    )
                    for seg in ("txn", "mid")
                    for w in ("2003-H2", "2006-H2")
                ),
            ),
        ),
        Fact(
            2,
            "the relationship channel reverses the key-account loss within two years",
            (
                Claim(
                    "history: key share 2005-H2 above 2003-H2",
                    r.diff("history", "history", key, "2005-H2", window_b="2003-H2"),
                    +1,
                ),
                Claim(
                    "history above stay_traditional in 2005-H2",
                    r.diff("history", "stay_traditional", key, "2005-H2"),
                    +1,
                ),
            ),
        ),
        Fact(
            3,
            "copying direct sales does worse than the relationship channel",
            (
                Claim(
                    "copy_direct below history: key share 2006-H2",
                    r.diff("copy_direct", "history", key, "2006-H2"),
                    -1,
                ),
                Claim(
                    "copy_direct not above history: vendor profit over 2006",
                    r.diff("copy_direct", "history", "profit_vendor", "2006", "sum"),
                    0,
                ),
            ),
        ),
    ]
    # judged by what turnover and care do to the accounts won, not by the relationship
    # strength the departure rule removes
    key_off = r.diff("turnover high", "turnover low", key)
    shrink_key = mean_ci(
        (r.value("turnover high, care", key) - r.value("turnover low, care", key))
        - (r.value("turnover high", key) - r.value("turnover low", key))
    )
    facts.append(
        Fact(
            4,
            "relationships leave with people; customer care keeps most",
            (
                Claim("raised turnover lowers key share", key_off, -1),
                Claim("with customer care the fall in key share is smaller", shrink_key, +1),
            ),
        )
    )
    gray, conflict = "gray_market_units", "conflict_index"
    claims = []
    for metric in (gray, conflict):
        claims += [
            Claim(
                f"a cheaper online price raises {metric}",
                r.diff("online cheaper", "online same price", metric),
                +1,
            ),
            Claim(
                f"wider regional price gaps raise {metric}",
                r.diff("regions apart", "regions alike", metric),
                +1,
            ),
            Claim(
                f"MAP enforcement lowers {metric}",
                r.diff("traditional, MAP enforced", "traditional", metric),
                -1,
            ),
            Claim(
                f"product differentiation lowers {metric}",
                r.diff("online cheaper, differentiated", "online cheaper", metric),
                -1,
            ),
            Claim(
                f"audits and penalties lower {metric}",
                r.diff("traditional, audits", "traditional", metric),
                -1,
            ),
        ]
    facts.append(
        Fact(
            5,
            "price gaps drive conflict and gray market; MAP, differentiation "
            "and enforcement reduce them",
            tuple(claims),
        )
    )
    facts.append(
        Fact(
            6,
            "tiering raises channel performance; weak partners exit",
            (
                # judged by its consequences for the vendor, net of its cost, not by the
                # exits its elimination rule causes
                Claim(
                    "tiering raises the vendor's channel sales",
                    r.diff("tiering", "no tiering", "units_channel"),
                    +1,
                ),
                Claim(
                    "tiering raises the vendor's profit, net of its cost",
                    r.diff("tiering", "no tiering", "profit_vendor", how="sum"),
                    +1,
                ),
            ),
        )
    )
    facts.append(
        Fact(
            7,
            "indirect channels widen coverage but give up margin",
            (
                Claim(
                    "indirect routes cover more key accounts than the vendor's own reps alone",
                    r.diff("indirect routes", "own reps alone", "coverage_key"),
                    +1,
                ),
                Claim(
                    "at a lower vendor margin per unit",
                    r.diff("indirect routes", "own reps alone", "vendor_margin_per_unit"),
                    -1,
                ),
            ),
        )
    )
    return facts


def facts_table(facts: list[Fact]) -> str:
    """Markdown: one row a claim, with its estimate and whether it holds."""
    lines = ["| fact | claim | estimate [95% CI] | holds |", "|---|---|---|---|"]
    for fact in facts:
        for claim in fact.claims:
            lines.append(
                f"| {fact.number} | {claim.text} | {claim.estimate.text('.4g')} | "
                f"{'yes' if claim.holds else 'NO'} |"
            )
    return "\n".join(lines)
