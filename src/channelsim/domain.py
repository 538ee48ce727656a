"""Names from the case: segments, routes, tiers, suppliers, funnel stages."""

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


class Supplier(IntEnum):
    """Who an account last bought from."""

    NONE = 0
    VENDOR = 1
    DIRECT = 2


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
