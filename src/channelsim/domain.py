"""Names from the case: segments, routes, tiers, funnel stages."""

from __future__ import annotations

from enum import IntEnum, StrEnum

# the calendar of monthly steps
MONTHS_PER_YEAR = 12
MONTHS_PER_QUARTER = 3
QUARTERS_PER_YEAR = 4


class Segment(IntEnum):
    """Enterprise account segments (CASE.md section 6); transactional buyers are regional."""

    MID = 0
    KEY = 1
    GLOBAL = 2


class Route(StrEnum):
    """How the vendor serves a segment."""

    RESELLER = "reseller"
    JOINT_TEAM = "joint_team"
    DIRECT = "direct"


class Tier(IntEnum):
    """Partner tier: resources follow the tier (CASE.md section 5)."""

    ONE = 1
    TWO = 2


class PartnerStatus(IntEnum):
    """A reseller is in the channel or has left it."""

    ACTIVE = 0
    EXITED = 1


class Stage(IntEnum):
    """The sales funnel the source's opportunity management reported (漏斗式管理)."""

    IDENTIFIED = 0
    QUALIFIED = 1
    PROPOSAL = 2
    DECISION = 3


class Role(IntEnum):
    """Stakeholders of a buying centre (群体决策)."""

    PURCHASING = 0
    USER = 1
    IT = 2
    EXECUTIVE = 3


class Attribute(IntEnum):
    """What an offer is scored on."""

    PRICE = 0
    RELATIONSHIP = 1
    TRUST = 2
    FIT = 3
    SERVICE = 4


# ---------------------------------------------------------------- the calendar


def half_year(label: str) -> tuple[str, str]:
    """First and last month of a half year such as ``2003-H2``."""
    year, half = label.split("-H")
    return (f"{year}-01", f"{year}-06") if half == "1" else (f"{year}-07", f"{year}-12")


def window(label: str) -> tuple[str, str]:
    """First and last month of ``2003-H2``, ``2003-Q4``, ``2006`` or ``2002-03..2002-08``."""
    if "-H" in label:
        return half_year(label)
    if "-Q" in label:
        year, quarter = label.split("-Q")
        last = 3 * int(quarter)
        return f"{year}-{last - 2:02d}", f"{year}-{last:02d}"
    if ".." in label:
        first, last = label.split("..")
        return first, last
    return f"{label}-01", f"{label}-12"
