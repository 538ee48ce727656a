"""Typed configuration: the market (uncertainties), the strategy (levers), the scenario.

Every field carries its allowed range and a one-line meaning in its metadata;
`channelsim levers` prints them and `validate` enforces them. The model reads
nothing but one `ChannelConfig`.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from typing import Any

from omegaconf import MISSING as OMEGA_MISSING

from channelsim.config.behaviour import (
    BuyerBehaviour,
    PartnerBehaviour,
    Population,
    ProgrammeCosts,
    RuleBehaviour,
    SellingBehaviour,
)
from channelsim.config.fields import lever

ROUTES_KEY = ("reseller", "joint_team", "direct")
ROUTES_GLOBAL = ("joint_team", "direct")
ROUTES_MID = ("reseller", "direct")
# how a seller sets its own levers: its policy and its dated changes alone, or a quarterly
# review by its own profit (channelsim.mechanics.response)
RESPONSES = ("fixed", "adaptive")
# the sellers: any number, by name (`market.sellers.NAME`); two names have roles
VENDOR = "vendor"  # the focal vendor, whose policy is strategy.*
DIRECT = "direct"  # the direct seller of the case
SELLERS = "market.sellers"
NAME = "NAME"  # a seller's name in a key's description: `market.sellers.NAME.unit_cost`
# a seller's name: lowercase letters and digits, never a segment's name, so that metric
# names (`share_<seller>_<segment>`) read one way only
SELLER_NAME = r"[a-z0-9]+"
SEGMENT_NAMES = ("key", "global", "mid", "txn", "total")


@dataclass
class StrategyConfig:
    """The vendor's channel policy: every lever the user sets."""

    name: str = lever("relationship_channel", "preset name")
    key_route: str = lever(
        "joint_team",
        "how key accounts are served",
        choices=ROUTES_KEY,
        cost="its field reps' time on key accounts (cost_account_managers); partners' margin "
        "where they sell",
        downside="served direct, its partners stand aside: their ties and effort on the account "
        "are lost to it",
    )
    global_route: str = lever(
        "joint_team",
        "how global accounts are served",
        choices=ROUTES_GLOBAL,
        cost="its field reps' time on global accounts (cost_account_managers)",
        downside="served direct, its partners stand aside: their ties and effort on the account "
        "are lost to it",
    )
    mid_route: str = lever(
        "reseller",
        "how mid-market accounts are served",
        choices=ROUTES_MID,
        cost="its field reps' time on mid accounts (cost_account_managers)",
        downside="served direct, few reps cover many accounts: partners' reach and ties are lost "
        "to it",
    )
    use_distributors: bool = lever(
        True,
        "two tiers: resellers buy through distributors",
        cost="the distributors' margin (market.distributor_margin), paid by partners in their "
        "buying price",
        downside="partners' prices rise by the distributors' margin, and some buyers are lost",
    )
    wholesale_discount: float = lever(
        0.12,
        "discount off list price to the channel",
        lo=0.0,
        hi=0.6,
        cost="margin given up on every unit its channel buys (lower revenue)",
        downside="a smaller discount thins partners' margins: their satisfaction falls and weak "
        "ones leave",
    )
    map_floor: float = lever(
        0.96,
        "minimum advertised price as a fraction of list (0 = no MAP)",
        lo=0.0,
        hi=1.5,
        cost="none on its books; partners keep the margin above their own price",
        downside="a floor above partners' prices raises them: price-sensitive buyers buy less or "
        "elsewhere",
    )
    map_enforced: bool = lever(
        True,
        "MAP is enforced: partners keep to the floor, MAP checks add to audits",
        cost="MAP checks added to audits (market.costs.audit each) and price watching in each "
        "region (market.costs.map_monitoring): cost_map_enforced",
        downside="nearly every partner keeps to the floor, so price-sensitive buyers are lost; "
        "the extra audits anger partners that did nothing",
    )
    rebate_rate: float = lever(
        0.02,
        "rebate on quarter purchases when the target is met",
        lo=0.0,
        hi=0.3,
        cost="rebates paid on met quarter targets: cost_rebate_rate",
        downside="partners pass part of it on in price, chasing targets: prices fall and spread "
        "between partners",
    )
    target_growth: float = lever(
        0.05,
        "quarter target over last quarter's purchases",
        lo=-0.5,
        hi=2.0,
        cost="none of its own: it decides which rebates are earned (cost_rebate_rate)",
        downside="partners that miss a target lose the rebate and its share of their satisfaction",
    )
    training_budget: float = lever(
        300.0,
        "monthly partner training budget (list-price units)",
        lo=0.0,
        hi=1e7,
        cost="the budget: cost_training_budget",
        downside="its lift saturates (market.partners.training_half) while its cost does not",
    )
    training_competition: bool = lever(
        True,
        "training covers the direct seller's offers",
        cost="course material on the competition, a share of the training budget "
        "(market.costs.competition_training): cost_training_competition",
        downside="its cost; the knowledge it brings fades unless taught again",
    )
    coop_budget: float = lever(
        200.0,
        "monthly co-op marketing budget (list-price units)",
        lo=0.0,
        hi=1e7,
        cost="the budget: cost_coop_budget",
        downside="its lift on leads and shop availability saturates (market.selling.coop_half)",
    )
    credit_multiple: float = lever(
        2.0,
        "credit line for big projects as a multiple of a partner's capital",
        lo=0.0,
        hi=20.0,
        cost="money lent to partners (interest at market.credit_interest: cost_payment_terms) and"
        " bad debt when they fail (bad_debt_vendor)",
        downside="indebted partners fail more often (market.partners.distress), and part of what "
        "they owe is lost",
    )
    payment_terms: int = lever(
        2,
        "months after which a partner pays for what it bought on credit (0: no credit)",
        lo=0,
        hi=24,
        cost="interest on what partners owe (market.credit_interest): cost_payment_terms",
        downside="longer terms leave more owed when a partner fails: bad debt",
    )
    deal_registration: bool = lever(
        True,
        "a registered deal is locked to one partner",
        cost="registering and policing each deal (market.costs.registration): "
        "cost_deal_registration",
        downside="a registered deal goes to one partner: no rival partner bids, so buyers pay its"
        " full markup",
    )
    account_planning: bool = lever(
        True,
        "every key and global account has a planned owner",
        cost="its reps' planning time (market.costs.planning_time of their cost): "
        "cost_account_planning",
        downside="its reps work fewer accounts; partners that do not own a planned account stop "
        "working it",
    )
    erp_integration: bool = lever(
        True,
        "partners configure to order through the vendor's ERP",
        cost="an ERP link per active partner (strategy.erp_cost): cost_erp_integration",
        downside="its cost is paid for every partner, selling or not",
    )
    exclusive_partners: bool = lever(
        False,
        "its partners carry its brand alone: a firm carrying others too keeps it alone or "
        "drops it, at each quarter's close",
        cost="better terms on what its partners buy (market.costs.exclusive_terms): "
        "cost_exclusive_partners",
        downside="firms that give more of their staff to other brands drop it: a smaller "
        "network, and their accounts move to other partners",
    )
    price_protection: float = lever(
        1.0,
        "share of the value its partners' stock loses as component prices fall "
        "(market.price_fall) that it refunds them",
        lo=0.0,
        hi=1.0,
        cost="the refunds, each month: cost_price_protection",
        downside="without it its partners bear the loss: thinner margins, lower "
        "satisfaction, less capital, and more of them leave",
    )
    customer_care: bool = lever(
        True,
        "company-level customer care keeps relationships",
        cost="care per key and global account (strategy.care_cost): cost_customer_care",
        downside="its cost is paid for every big account, served or not",
    )
    account_managers: int = lever(
        40,
        "its own field reps (account managers)",
        lo=0,
        hi=100000,
        cost="its field reps at market.am_cost each: cost_account_managers",
        downside="reps it cannot pay from their margin are let go, and hired again slowly "
        "(strategy.hiring_limit)",
    )
    am_turnover: float = lever(
        0.04,
        "monthly probability that one of its field reps leaves",
        lo=0.0,
        hi=1.0,
        cost="retention pay to keep turnover below the market's (market.costs.turnover_norm, "
        "retention_pay): cost_am_turnover",
        downside="each leaver takes relationships with them, beyond what the company keeps",
    )
    hiring_limit: float = lever(
        0.3,
        "yearly growth of its field force at most",
        lo=0.0,
        hi=5.0,
        cost="recruiting and training each hire (market.costs.hire months of market.am_cost): "
        "cost_hiring_limit",
        downside="a fast-growing force hires before it knows what a rep brings in",
    )
    phone_sales: float = lever(
        0.0,
        "share of mid and key accounts its own phone sales reach a month",
        lo=0.0,
        hi=1.0,
        cost="each phone contact (market.phone_cost): cost_phone_sales",
        downside="phone ties grow slowly (market.learn_phone)",
    )
    markup: float = lever(
        0.162,
        "its own sales' price over its unit cost",
        lo=0.0,
        hi=1.0,
        cost="none on its books: its own price",
        downside="a higher price loses price-sensitive buyers to rivals and to deferral",
    )
    approval_levels: int = lever(
        4,
        "levels that approve price and resources (rep..central)",
        lo=1,
        hi=4,
        cost="staff time per level above the rep's on each key and global offer "
        "(market.costs.approval): cost_approval_levels",
        downside="each level may hold an offer past a month's decision "
        "(market.rules.approval_delay): buyers wait, defer or buy elsewhere",
    )
    partner_survey: bool = lever(
        True,
        "a third party surveys partner satisfaction, published",
        cost="the third party's fee (market.costs.survey_fee): cost_partner_survey",
        downside="disciplined reps give fewer special discounts, so partners' prices rise a little",
    )
    partner_tiering: bool = lever(
        True,
        "tier partners each quarter; weak ones are eliminated",
        cost="reviewing each partner's tier each quarter (market.costs.tiering): "
        "cost_partner_tiering",
        downside="tier-2 partners get less support, and eliminated ones take their coverage with "
        "them until others take it over; a firm carrying other brands keeps an eliminated "
        "line's staff for them",
    )
    partner_selection_volume: float = lever(
        3000.0,
        "annual units a reseller must sell to qualify as relationship partner",
        lo=0.0,
        hi=1e9,
        cost="none of its own: it decides who takes the relationship partners' share of training "
        "(cost_training_budget)",
        downside="a high threshold leaves key accounts without relationship partners; a low one "
        "spreads support thin",
    )
    recruit_relationship_partners: bool = lever(
        True,
        "recruit resellers with strong key-account relationships or skill",
        cost="screening each partner for ties and skill each quarter (market.costs.screening): "
        "cost_recruit_relationship_partners",
        downside="it passes over partners with the volume but neither ties nor skill: fewer "
        "relationship partners, and key accounts without one",
    )
    direct_assist: bool = lever(
        True,
        "the vendor takes an order directly with a partner's help",
        cost="a fee to the helping partner (market.costs.assist_fee of the order): "
        "cost_direct_assist",
        downside="the order and the tie it builds go to the seller, not the partner",
    )
    audit_probability: float = lever(
        0.25,
        "monthly chance a reseller is audited for diversion",
        lo=0.0,
        hi=1.0,
        cost="staff time per audited partner (market.costs.audit): cost_audit_probability; fines "
        "collected are a transfer (fines_vendor)",
        downside="audited partners that diverted nothing may complain "
        "(market.rules.audit_annoyance): satisfaction falls, conflict rises",
    )
    diversion_penalty: float = lever(
        0.15,
        "fine per diverted unit (fraction of price)",
        lo=0.0,
        hi=5.0,
        cost="none of its own: fines are a transfer from partners (fines_vendor), collected by "
        "audits",
        downside="fined partners lose profit and satisfaction",
    )
    online_store: bool = lever(
        False,
        "it sells online and by phone direct to consumers",
        cost="a fixed cost a month and a cost per unit sold (market.costs.store_fixed, "
        "store_order): cost_online_store",
        downside="its sales take walk-in buyers from its own partners' shops, and gray dealers "
        "resell its units in the channel",
    )
    online_price_gap: float = lever(
        0.03,
        "its online price below its partners' shop price (or its own)",
        lo=-0.5,
        hi=0.5,
        cost="margin given up on every unit sold online",
        downside="a wider gap draws gray dealers to buy online and resell in the channel",
    )
    product_differentiation: float = lever(
        0.0,
        "how far online and channel products differ (0 = identical)",
        lo=0.0,
        hi=1.0,
        cost="a second product line's unit cost on online units (market.costs.differentiation): "
        "cost_product_differentiation",
        downside="cut-down online products appeal less to walk-in buyers "
        "(market.buyers.differentiation_appeal)",
    )
    care_cost: float = lever(
        0.5,
        "monthly customer care cost per key or global account (list-price units)",
        lo=0.0,
        hi=1e3,
        cost="it is customer care's cost a month per key or global account",
        downside="none of its own: it prices customer_care",
    )
    erp_cost: float = lever(
        1.0,
        "monthly ERP link cost per partner (list-price units)",
        lo=0.0,
        hi=1e4,
        cost="it is the ERP link's cost a month per partner",
        downside="none of its own: it prices erp_integration",
    )


@dataclass
class SellerConfig:
    """A seller: its capabilities (what it brings to the market, the same for every seller
    under the same names) and its policy (what it chooses: a strategy preset and its
    levers; the vendor's is `strategy.*`)."""

    ROLE = "structure"  # unless a key says otherwise (config/fields.py: lever)

    unit_cost: float = lever(
        0.78,
        "unit cost (the vendor's list price = 1)",
        lo=0.1,
        hi=2.0,
        source="judgement: list price 1, gross margin about 22%",
    )
    brand_trust: float = lever(
        0.85,
        "trust large buyers place in its brand",
        lo=0.0,
        hi=1.0,
        source=(
            "calibrated: by hand, key-account share about 0.45 in 2002-H1; calibrate_china_pc_duo "
            "leaves it open (abc 90%: 0.713-0.933)"
        ),
    )
    build_to_order: float = lever(
        0.45,
        "fit of the configurations it builds to order itself",
        lo=0.0,
        hi=1.0,
        source="case: the vendor lacks the direct seller's build-to-order (CASE.md 3)",
    )
    service: float = lever(
        0.40,
        "quality of its own after-sales service",
        lo=0.0,
        hi=1.0,
        source="case: service sits with partners (CASE.md 1)",
    )
    partner_fit: float = lever(
        0.65,
        "fit of the standard configurations its partners sell without ERP",
        lo=0.0,
        hi=1.0,
        source="case: resellers sell standard configurations only (CASE.md 2.3)",
    )
    partner_erp_fit: float = lever(
        0.85,
        "fit of its partners' build-to-order through its ERP",
        lo=0.0,
        hi=1.0,
        source="case: build-to-order through ERP (CASE.md 3.3)",
    )
    consumer_availability: float = lever(
        0.3,
        "availability of its own sales to transactional buyers",
        lo=0.0,
        hi=1.0,
        source="judgement: an online store's reach next to a region's shops",
    )
    consumer_reach: float = lever(
        1.0,
        "its reach among transactional buyers (1 full, 0 withdrawn from them all)",
        lo=0.0,
        hi=1.0,
        source="judgement: it sells to every region's buyers",
    )
    price_level: float = lever(
        1.0,
        "its prices (own, to its channel, its MAP floor) as a multiple of the market's list price",
        lo=0.1,
        hi=10.0,
        source="judgement: list price 1 is the unit of every price; channelsim elasticity moves it",
    )
    partner_share: float = lever(
        1.0,
        "its share of the resellers at the start: they carry its products",
        lo=0.0,
        hi=1.0,
        source="case: every reseller carries the vendor's products (CASE.md 1)",
    )
    field_reps: int = lever(
        20,
        "its own field reps at the start",
        lo=0,
        hi=100000,
        source="case: the traditional channel's account managers (CASE.md 2)",
    )
    rep_capacity: int = lever(
        8,
        "accounts one of its field reps works a month",
        lo=1,
        hi=1000,
        source="judgement: about two visits a week",
    )
    incumbent_mid: float = lever(
        0.8,
        "weight of its being a mid account's supplier at the start",
        lo=0.0,
        hi=1.0,
        source="case: the vendor led the market through its resellers (CASE.md 1)",
    )
    incumbent_key: float = lever(
        0.7,
        "weight of its being a key account's supplier at the start",
        lo=0.0,
        hi=1.0,
        source="calibrated: key-account share about 0.45 in 2002-H1",
    )
    incumbent_global: float = lever(
        0.55,
        "weight of its being a global account's supplier at the start",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    relationship_mid: float = lever(
        0.0,
        "most its relationship with a mid account can be at the start",
        lo=0.0,
        hi=1.0,
        source="case: mid accounts knew the vendor through resellers only (CASE.md 2)",
    )
    relationship_key: float = lever(
        0.3,
        "most its relationship with a key account can be at the start",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    relationship_global: float = lever(
        0.3,
        "most its relationship with a global account can be at the start",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    response: str = lever(
        "fixed",
        "how it sets its own levers: fixed (its policy and the scenario's dated changes) or "
        "adaptive (each quarter it moves one lever the way its own profit says)",
        choices=RESPONSES,
        source="judgement",
    )
    policy: StrategyConfig = field(
        default_factory=StrategyConfig,
        metadata={"meaning": "its policy: a strategy preset and its levers (not the vendor's)"},
    )


MARKET_KINDS = ("channel", "linear_monopoly", "linear_duopoly", "linear_encroachment")
STRUCTURES = {
    "linear_encroachment": ("quantity", "price"),
    "linear_monopoly": ("integrated", "decentralised"),
    "linear_duopoly": ("II", "DD", "ID"),
}


@dataclass
class MarketConfig:
    """The market the vendor faces: sizes, demand, behaviour, and every seller's
    capabilities and policy (`sellers`, by name; the vendor's policy is `strategy.*`)."""

    ROLE = "structure"  # unless a key says otherwise (config/fields.py: lever)

    name: str = lever("china_pc_2002", "preset name", source="judgement: the preset's own name")
    focal: str = lever(
        VENDOR,
        "the focal vendor: the seller whose policy is strategy.* and whose results are the "
        "*_vendor metrics",
        source="case: the vendor of the case (联想); us_pc_1996's is compaq, the channel leader",
    )
    start: str = lever(
        "2002-01", "first simulated month (YYYY-MM)", source="case: monthly steps from 2002-01"
    )
    n_regions: int = lever(
        7,
        "regions (the source's seven big regions)",
        lo=1,
        hi=1000,
        source="case: the source's seven big regions",
    )
    resellers_per_region: int = lever(
        30,
        "resellers in each region at the start",
        lo=1,
        hi=100000,
        source="judgement: tier-1 and tier-2 resellers per region",
    )
    distributors: int = lever(
        8, "national and regional distributors", lo=1, hi=1000, source="judgement"
    )
    key_accounts_per_region: int = lever(
        100,
        "local key accounts per region",
        lo=0,
        hi=1000000,
        source="judgement: about 100 a region",
    )
    mid_accounts_per_region: int = lever(
        300,
        "mid-market accounts per region",
        lo=0,
        hi=1000000,
        source="judgement: mid about 3x key",
    )
    global_accounts: int = lever(
        30, "global key accounts (national)", lo=0, hi=1000000, source="judgement: a few dozen"
    )
    coverage_per_account: int = lever(
        3,
        "resellers covering each account",
        lo=1,
        hi=8,
        source="judgement: many resellers close to users (CASE.md 2)",
    )
    key_units_per_year: float = lever(
        400.0, "mean units a key account buys a year", lo=1.0, hi=1e7, source="judgement: scale"
    )
    global_units_per_year: float = lever(
        1500.0, "mean units a global account buys a year", lo=1.0, hi=1e7, source="judgement: scale"
    )
    mid_units_per_year: float = lever(
        40.0, "mean units a mid account buys a year", lo=1.0, hi=1e7, source="judgement: scale"
    )
    txn_units_per_region: float = lever(
        9000.0,
        "transactional units a region buys a month at the start",
        lo=0.0,
        hi=1e9,
        source=(
            "calibrated: by hand, transactional buyers about 2/3 of the two firms' units; "
            "calibrate_china_pc_duo leaves it open (abc 90%: 8472-13797)"
        ),
    )
    growth: float = lever(
        0.10,
        "yearly growth of transactional demand",
        lo=-0.5,
        hi=1.0,
        source="public figure: the market grew 10.4% in 2003 (CASE.md 8)",
    )
    price_sensitivity: float = lever(
        8.0,
        "weight of relative price in buyers' utility",
        lo=0.0,
        hi=50.0,
        source="literature: puts the vendor's own-price elasticity of brand demand at about "
        "-1.5 (channelsim elasticity: -1.46, its interval reaching into [-4, -1.5]) around "
        "the meta-analytic mean -2.62 (Bijmolt, van Heerde and Pieters 2005, JMR 42(2))",
        role="behaviour",
    )
    choice_noise: float = lever(
        1.0,
        "scale of buyers' taste noise (logit scale)",
        lo=0.05,
        hi=10.0,
        source="judgement: logit scale 1",
        role="behaviour",
    )
    defer_utility: float = lever(
        -1.5,
        "utility of deferring a purchase decision",
        lo=-20.0,
        hi=20.0,
        source="judgement",
        role="behaviour",
    )
    am_cost: float = lever(
        12.0, "monthly cost of one account manager or field rep", lo=0.0, hi=1e6, source="judgement"
    )
    phone_cost: float = lever(
        0.4, "cost of one telephone-sales contact", lo=0.0, hi=1e3, source="judgement"
    )
    partner_rep_capacity: int = lever(
        8,
        "accounts one partner rep works a month",
        lo=1,
        hi=1000,
        source="judgement",
        role="behaviour",
    )
    partner_reps: float = lever(
        3.0,
        "mean sales reps of a reseller",
        lo=1.0,
        hi=1000.0,
        source="case: small companies (CASE.md 2.4)",
    )
    partner_staff_turnover: float = lever(
        0.04,
        "monthly probability a partner rep leaves",
        lo=0.0,
        hi=1.0,
        source="case: high sales-force turnover (CASE.md 2)",
    )
    learn_face_to_face: float = lever(
        0.15,
        "relationship learning rate face to face",
        lo=0.0,
        hi=1.0,
        source=(
            "calibrated: by hand, key-account loss over 2002-2003; calibrate_china_pc_duo leaves "
            "it open (abc 90%: 0.085-0.235)"
        ),
        role="behaviour",
    )
    learn_phone: float = lever(
        0.04,
        "relationship learning rate by phone",
        lo=0.0,
        hi=1.0,
        source="case: phone sales find leads, build weaker ties (CASE.md 2)",
        role="behaviour",
    )
    relationship_decay: float = lever(
        0.02,
        "monthly decay of an untended relationship",
        lo=0.0,
        hi=1.0,
        source=(
            "calibrated: by hand, key-account loss over 2002-2003; calibrate_china_pc_duo leaves "
            "it open (abc 90%: 0.015-0.037)"
        ),
        role="behaviour",
    )
    company_retention: float = lever(
        0.15,
        "share of a leaver's relationships kept at company level without care",
        lo=0.0,
        hi=1.0,
        source="case: relationships rest on individuals (CASE.md 2.2)",
        role="behaviour",
    )
    care_retention: float = lever(
        0.75,
        "share kept at company level with a customer care system",
        lo=0.0,
        hi=1.0,
        source="case: customer resources settle at company level (CASE.md 3)",
        role="behaviour",
    )
    partner_lead_rate: float = lever(
        0.30,
        "monthly chance a covering reseller hears of an open project",
        lo=0.0,
        hi=1.0,
        source="case: resellers have much demand information (CASE.md 2.6)",
        role="behaviour",
    )
    partner_markup: float = lever(
        0.06,
        "resellers' usual markup over their buying price",
        lo=0.0,
        hi=1.0,
        source="judgement",
        role="behaviour",
    )
    partner_fixed_cost: float = lever(
        3.0,
        "a reseller's monthly fixed cost per rep (list-price units)",
        lo=0.0,
        hi=1e6,
        source="judgement",
    )
    partner_capital: float = lever(
        150.0,
        "a reseller's starting capital (list-price units)",
        lo=1.0,
        hi=1e9,
        source="case: little capital (CASE.md 2.4)",
    )
    partner_skill: float = lever(
        0.20,
        "mean starting key-account skill of resellers",
        lo=0.0,
        hi=1.0,
        source="case: no key-account know-how (CASE.md 2.2)",
    )
    distributor_margin: float = lever(
        0.03, "distributors' margin on what they pass on", lo=0.0, hi=0.5, source="judgement"
    )
    regional_price_spread: float = lever(
        0.04,
        "spread of regional wholesale promotions (fraction of price)",
        lo=0.0,
        hi=0.5,
        source="judgement",
    )
    transport_cost: float = lever(
        0.02, "cost of moving a unit between regions (fraction)", lo=0.0, hi=1.0, source="judgement"
    )
    delivery_cost: float = lever(
        0.02,
        "a seller's cost of delivering a unit it sells itself (own route, online and phone) "
        "to the buyer, a share of the list price; its channel's is the distributors' margin",
        lo=0.0,
        hi=1.0,
        source="judgement: parcel delivery across China's regions, under its distributors' margin",
    )
    price_fall: float = lever(
        0.15,
        "yearly fall of component prices: the share of its value a unit in stock loses in a year",
        lo=0.0,
        hi=0.9,
        source="judgement: PC prices in China fell by about a seventh a year, 2002-2006",
    )
    channel_stock: float = lever(
        1.0,
        "months of its purchases a partner holds in stock, its distributors' with it; a "
        "seller holds as many months of its own sales as it does not build to order "
        "(1 - build_to_order)",
        lo=0.0,
        hi=12.0,
        source="judgement: a month's cover, as the distributors keep (agents/distributor.py)",
    )
    diversion_elasticity: float = lever(
        4.0,
        "how strongly resellers divert units as the price gap grows",
        lo=0.0,
        hi=100.0,
        source="judgement",
        role="behaviour",
    )
    default_hazard: float = lever(
        0.004,
        "monthly default chance of a healthy reseller that owes the vendor",
        lo=0.0,
        hi=1.0,
        source="judgement",
        role="behaviour",
    )
    entry_rate: float = lever(
        0.10,
        "monthly chance a reseller enters a thinly covered region",
        lo=0.0,
        hi=1.0,
        source="judgement",
        role="behaviour",
    )
    credit_interest: float = lever(
        0.01,
        "a seller's monthly cost of money lent to partners (share of what they owe)",
        lo=0.0,
        hi=1.0,
        source="judgement: about 12% a year",
    )
    # the textbook pricing markets (market=linear_monopoly, market=linear_duopoly)
    kind: str = lever(
        "channel",
        "the channel market, or a textbook pricing market for validation",
        choices=MARKET_KINDS,
        source="literature: the textbook markets of docs/ODD.md, appendix (channel: this model)",
    )
    structure: str = lever(
        "",
        "pricing markets: each manufacturer's channel (monopoly: integrated|decentralised; "
        "duopoly: II|DD|ID, manufacturer 1 first); encroachment: quantity|price competition",
        choices=("", *(s for kind in STRUCTURES.values() for s in kind)),
        source="literature: McGuire and Staelin (1983); Arya, Mittendorf and Sappington (2007)",
    )
    substitutability: float = lever(
        0.0,
        "linear duopoly and encroachment (price): substitutability of the two products",
        lo=0.0,
        hi=0.99,
        source="literature: McGuire and Staelin (1983), their t",
    )
    direct_cost: float = lever(
        0.3,
        "linear encroachment: the manufacturer's cost a unit of selling direct (below market.a)",
        lo=0.0,
        hi=1e9,
        source="literature: Arya, Mittendorf and Sappington (2007), their c",
    )
    encroachment: bool = lever(
        True,
        "linear encroachment: the manufacturer may sell direct beside its retailer",
        source="literature: Arya, Mittendorf and Sappington (2007)",
    )
    a: float = lever(
        1.0,
        "linear monopoly and encroachment: demand intercept (q = a - b p)",
        lo=1e-6,
        hi=1e9,
        source="literature: the textbook linear demand (docs/ODD.md, appendix); scale 1",
    )
    b: float = lever(
        1.0,
        "linear monopoly and encroachment (quantity): demand slope",
        lo=1e-6,
        hi=1e9,
        source="literature: the textbook linear demand (docs/ODD.md, appendix); scale 1",
    )
    unit_cost: float = lever(
        0.0,
        "linear monopoly: the manufacturer's unit cost",
        lo=0.0,
        hi=1e9,
        source="literature: the textbook monopoly (docs/ODD.md, appendix); cost 0",
    )
    sellers: dict[str, SellerConfig] = field(
        default_factory=dict,
        metadata={
            "each": SellerConfig,
            "meaning": "the sellers by name: the vendor is `vendor` (its policy is strategy.*)",
        },
    )
    # behaviour (config/behaviour.py): every constant that shapes what the agents do
    buyers: BuyerBehaviour = field(default_factory=BuyerBehaviour)
    selling: SellingBehaviour = field(default_factory=SellingBehaviour)
    partners: PartnerBehaviour = field(default_factory=PartnerBehaviour)
    rules: RuleBehaviour = field(default_factory=RuleBehaviour)
    population: Population = field(default_factory=Population)
    costs: ProgrammeCosts = field(default_factory=ProgrammeCosts)

    @property
    def vendor(self) -> SellerConfig:
        """The focal vendor's capabilities: the seller named `vendor`."""
        return self.sellers[self.focal]

    @property
    def direct(self) -> SellerConfig:
        """The direct seller's capabilities and policy: the seller named `direct`."""
        return self.sellers[DIRECT]


@dataclass
class ScenarioEvent:
    """One dated change: a strategy preset, single levers, an external market event, and/or
    an acquisition: `buyer` takes over `share` of `seller`'s business (ACQUISITION_KEYS)."""

    date: str = OMEGA_MISSING
    strategy: str | None = None
    levers: dict[str, Any] = field(default_factory=dict)
    market: dict[str, Any] = field(default_factory=dict)
    acquisition: dict[str, Any] = field(default_factory=dict)
    source: str = ""


ACQUISITION_KEYS = ("buyer", "seller", "share")  # an acquisition event's keys


@dataclass
class ScenarioConfig:
    """A dated timeline of policy changes and external events."""

    name: str = "none"
    description: str = ""
    events: list[ScenarioEvent] = field(default_factory=list)


@dataclass
class ChannelConfig:
    """One run: seed, length, market, strategy in force at the start, scenario timeline.

    `presets` holds every strategy preset the scenario switches to, resolved at
    compose time, so that the model never reads a file; `lever_overrides` are the
    command line's strategy levers, applied on top of whichever preset is in force, and
    `market_overrides` its market values, which dated market events do not undo.
    """

    seed: int = 0
    steps: int = 60
    market: MarketConfig = field(default_factory=MarketConfig)
    strategy: StrategyConfig = field(default_factory=StrategyConfig)
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    presets: dict[str, StrategyConfig] = field(default_factory=dict)
    lever_overrides: dict[str, Any] = field(default_factory=dict)
    market_overrides: dict[str, Any] = field(default_factory=dict)


def get_path(obj: Any, dotted: str) -> Any:
    """The value at `a.b.c` of nested dataclasses and the collections by name in them."""
    for part in dotted.split("."):
        obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
    return obj


def set_path(obj: Any, dotted: str, value: Any) -> None:
    """Set `a.b.c` on nested dataclasses and the collections by name in them
    (`sellers.direct.consumer_reach`)."""
    head, _, last = dotted.rpartition(".")
    setattr(get_path(obj, head) if head else obj, last, value)


@dataclass
class OptimizeSpec:
    """What `channelsim optimize` maximises: a KPI (its mean over the final 12 months)
    averaged over `seeds` runs a trial, less `penalty` per unit that the mean of
    `floor_kpi` falls below `floor` (Optuna's samplers take no constraints).

    The search: `params` maps a lever or market key to its range (``interval(lo,hi)``,
    ``choice(a,b)``, ``range(start,stop,step)``); `n_trials` is the study's budget,
    counted across restarts; `n_jobs` trials run at a time. `sampler` is ``tpe``
    (random for its first `n_startup_trials` finished trials) or ``random``. `storage`
    is null (``study.db`` in the output folder) or a storage several processes share:
    ``journal:PATH`` or an RDB URL."""

    kpi: str = "profit_vendor"
    seeds: int = 3
    floor_kpi: str = "partner_satisfaction"
    floor: float | None = None
    penalty: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)
    n_trials: int = 20
    n_jobs: int = 2
    sampler: str = "tpe"
    n_startup_trials: int = 10
    storage: str | None = None


@dataclass
class SensitivitySpec:
    """What `channelsim sensitivity` screens: `parameters` maps a lever or market key to
    its [low, high] range; `samples` is Morris's trajectories or Sobol's base sample.
    Each sample row runs `seeds` runs, at the same seeds for every row with
    `common_seeds` (rows differ by their parameters alone), else at its own."""

    method: str = "morris"
    model: str = "channel"
    kpis: list[str] = field(default_factory=lambda: ["profit_vendor"])
    parameters: dict[str, Any] = field(default_factory=dict)
    samples: int = 10
    levels: int = 4
    seeds: int = 1
    common_seeds: bool = True
    dummy: bool = True
    resamples: int = 1000
    conf_level: float = 0.95


@dataclass
class CalibrationTarget:
    """An observed figure: the mean of `metric` over the months of `window` (``2003``,
    ``2003-H2``, ``2003-Q4`` or ``2003-01..2003-12``), averaged over an evaluation's
    seeds, should be `value`, give or take `sd` (where sources disagree, `sd` covers
    them). `use` is ``fit`` (in the loss) or ``holdout`` (only reported)."""

    metric: str = ""
    window: str = ""
    value: float = 0.0
    sd: float = 0.0
    source: str = ""
    use: str = "fit"


@dataclass
class CalibrateSpec:
    """What `channelsim calibrate` fits: `parameters` maps a market key to its range
    ``[lo, hi]`` (or ``{range: [lo, hi], log: true}``) so that the model's `targets`
    come out right. Each evaluation runs `seeds` runs, at the same seeds for every
    evaluation; `method` is ``optuna`` (the method of simulated moments) or ``abc``
    (pyabc's ABC-SMC, a posterior); `budget` is the evaluations in all, `n_jobs` how many
    run at a time; `check_seeds` fresh seeds judge the result.
    `storage` is as `optimize.storage` (for ``abc``, pyabc's database URL). For ``abc``,
    `population` is the particles of a generation (0: a fifth of the budget, 10 to 200)
    and `dask` the address of a dask distributed scheduler to run on."""

    targets: list[CalibrationTarget] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    seeds: int = 3
    method: str = "optuna"
    budget: int = 60
    n_jobs: int = 2
    seed: int = 0
    check_seeds: int = 20
    storage: str | None = None
    population: int = 0
    dask: str | None = None


@dataclass
class MapPath:
    """A path from the map's market to another (`to`), for axes named `path.GROUP`: at a
    value t in [0, 1] each key of the group moves the fraction t of the way from its value
    in the map's market to its value in `to` (whole numbers rounded). A seller's key reads
    the same role's seller in `to`, by `sellers` (the map's name to the other's)."""

    to: str = ""
    sellers: dict[str, str] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class MapSpec:
    """A strategy map (`channelsim map`): two market keys (or two groups of keys along a
    path between markets) over a grid; in each cell the focal vendor's strategies at
    paired seeds, compared on a KPI over a window."""

    x: str = ""
    y: str = ""
    x_values: Any = field(default_factory=list)  # a list, or "range(...)"/"linspace(lo, hi, n)"
    y_values: Any = field(default_factory=list)
    strategies: list[str] = field(default_factory=list)
    kpi: str = "profit_vendor"
    window: str = ""
    seeds: int = 4
    path: MapPath = field(default_factory=MapPath)


@dataclass
class RootConfig(ChannelConfig):
    """The root of Hydra's config: a run's config, plus the settings of the decision
    commands, which named experiments set and a run never sees."""

    optimize: OptimizeSpec = field(default_factory=OptimizeSpec)
    sensitivity: SensitivitySpec = field(default_factory=SensitivitySpec)
    calibrate: CalibrateSpec = field(default_factory=CalibrateSpec)
    map: MapSpec = field(default_factory=MapSpec)


STUDY_KEYS = ("optimize", "sensitivity", "calibrate", "map")


TOP_LEVEL_RANGES = {
    "seed": (0, 2**63 - 1, "seed of the run's random root"),
    "steps": (1, 100000, "months to simulate"),
}


def field_table(cls: type, prefix: str, role: str = "") -> list[dict[str, Any]]:
    """Rows describing every field of a config dataclass, nested ones flattened. A row's
    `role` is its own (`lever(role=...)`), else its class's `ROLE`, else the role of the
    field it is nested in (a seller's policy keys are its structure)."""
    rows = []
    own = getattr(cls, "ROLE", role)
    for f in fields(cls):
        key = f"{prefix}.{f.name}"
        ftype = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        if f.default_factory is not MISSING and is_dataclass(f.default_factory()):
            rows.extend(field_table(type(f.default_factory()), key, own))
            continue
        if "each" in f.metadata:  # a collection by name: its entries' keys, named NAME
            rows.extend(field_table(f.metadata["each"], f"{key}.{NAME}", own))
            continue
        meta = f.metadata
        default = f.default if f.default is not MISSING else f.default_factory()
        rows.append(
            {
                "key": key,
                "type": ftype,
                "lo": meta.get("lo"),
                "hi": meta.get("hi"),
                "choices": meta.get("choices"),
                "default": default,
                "meaning": meta.get("meaning", ""),
                "length": meta.get("length"),
                "source": meta.get("source", ""),
                "cost": meta.get("cost", ""),
                "downside": meta.get("downside", ""),
                "role": meta.get("role") or own,
            }
        )
    return rows


def allowed_text(row: dict[str, Any]) -> str:
    """Human wording of what a field accepts."""
    if row["choices"]:
        return "one of " + ", ".join(repr(c) if c == "" else c for c in row["choices"])
    if row["type"] == "bool":
        return "true or false"
    if row.get("length"):
        return f"a list of {row['length']} numbers in [{row['lo']:g}, {row['hi']:g}]"
    kind = {"int": "an integer", "float": "a number", "str": "a string"}.get(
        row["type"], row["type"]
    )
    if row["lo"] is not None and row["hi"] is not None and row["hi"] >= 2**62:
        return f"{kind} >= {row['lo']}"
    if row["lo"] is not None and row["hi"] is not None:
        fmt = "d" if row["type"] == "int" else "g"
        return f"{kind} in [{row['lo']:{fmt}}, {row['hi']:{fmt}}]"
    return kind
