"""The behaviour of the channel market's agents: every constant that shapes how buyers
choose, how sellers find and win deals, how partners learn, feel, pay and leave, how
rules are kept and broken, and how the population at the start is drawn.

Each is a `market.<group>.<name>` parameter with its range, its meaning and a source tag:
``literature`` (with the reference), ``case`` (with the section of docs/CASE.md),
``public figure``, ``judgement`` or ``calibrated``. `channelsim levers` lists them;
`channelsim sensitivity` screens them like any market key.
"""

from __future__ import annotations

from dataclasses import dataclass

from channelsim.config.fields import lever


@dataclass
class BuyerBehaviour:
    """How enterprise and transactional buyers choose (`market.buyers.*`)."""

    ROLE = "behaviour"  # every key of the group (config/fields.py: lever)

    value_scale: float = lever(
        2.5,
        "utility of a full point of relationship, trust, fit or service to a buying centre",
        lo=0.0,
        hi=50.0,
        source="judgement: a full relationship worth a large price gap to executives",
    )
    incumbent_bonus: float = lever(
        1.0,
        "utility of staying with the last supplier (the cost of switching)",
        lo=0.0,
        hi=20.0,
        source="judgement: switching costs of installed PCs and service contracts",
    )
    # the buying centre's roles weigh the five attributes (price, relationship, trust,
    # fit, service): Webster and Wind's (1972) roles; the weights are judgement
    weights_purchasing: list = lever(
        [1.00, 0.5, 0.3, 0.1, 0.3],
        "purchasing's weights on price, relationship, trust, fit, service",
        lo=0.0,
        hi=10.0,
        length=5,
        source="literature: buying-centre roles (Webster and Wind 1972); weights judgement",
    )
    weights_user: list = lever(
        [0.30, 0.6, 0.3, 0.6, 1.0],
        "users' weights on price, relationship, trust, fit, service",
        lo=0.0,
        hi=10.0,
        length=5,
        source="literature: buying-centre roles (Webster and Wind 1972); weights judgement",
    )
    weights_it: list = lever(
        [0.30, 0.4, 1.0, 0.8, 0.4],
        "IT's weights on price, relationship, trust, fit, service",
        lo=0.0,
        hi=10.0,
        length=5,
        source="literature: buying-centre roles (Webster and Wind 1972); weights judgement",
    )
    weights_executive: list = lever(
        [0.30, 1.6, 1.0, 0.2, 0.3],
        "executives' weights on price, relationship, trust, fit, service",
        lo=0.0,
        hi=10.0,
        length=5,
        source="case: group decisions led by relationships (CASE.md 1, 2.2); weights judgement",
    )
    # how much each role counts in a segment's buying centres (Dirichlet concentrations
    # of purchasing, users, IT, executives)
    centre_mid: list = lever(
        [4.0, 2.0, 1.0, 1.0],
        "mid-market buying centres: concentration of purchasing, users, IT, executives",
        lo=0.01,
        hi=100.0,
        length=4,
        source="judgement: mid-market buyers lean on purchasing",
    )
    centre_key: list = lever(
        [1.5, 1.5, 2.0, 2.5],
        "key accounts' buying centres: concentration of purchasing, users, IT, executives",
        lo=0.01,
        hi=100.0,
        length=4,
        source="case: key accounts decide in groups, on IT and executives (CASE.md 1)",
    )
    centre_global: list = lever(
        [1.5, 1.5, 2.5, 2.5],
        "global accounts' buying centres: concentration of purchasing, users, IT, executives",
        lo=0.01,
        hi=100.0,
        length=4,
        source="judgement: as key accounts, with more weight on IT",
    )
    open_mid: float = lever(
        1 / 6,
        "monthly chance a mid account without a project opens one",
        lo=0.0,
        hi=1.0,
        source="judgement: a purchase about twice a year",
    )
    open_key: float = lever(
        1 / 3,
        "monthly chance a key account without a project opens one",
        lo=0.0,
        hi=1.0,
        source="judgement: frequent, phased purchases",
    )
    open_global: float = lever(
        1 / 3,
        "monthly chance a global account without a project opens one",
        lo=0.0,
        hi=1.0,
        source="judgement: as key accounts",
    )
    project_spread: float = lever(
        0.3,
        "spread (log sd) of a project's size around the account's mean purchase",
        lo=0.0,
        hi=3.0,
        source="judgement",
    )
    stage_advance: float = lever(
        0.7,
        "monthly chance a project moves to the next funnel stage",
        lo=0.0,
        hi=1.0,
        source="judgement: about four months from lead to decision",
    )
    max_deferrals: int = lever(
        6,
        "decisions a project may defer before it is cancelled",
        lo=0,
        hi=120,
        source="judgement",
    )
    win_tie: float = lever(
        0.05,
        "share of the missing relationship a delivered win adds to the winner's tie",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    retail_value_scale: float = lever(
        4.0,
        "utility of a full point of trust, availability and service to walk-in buyers",
        lo=0.0,
        hi=50.0,
        source="judgement: shops close by outweigh small price gaps for walk-in buyers",
    )
    retail_trust: float = lever(
        0.3,
        "weight of brand trust among walk-in buyers' non-price attributes",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    retail_availability: float = lever(
        0.5,
        "weight of availability (shops close by, or online reach) among them",
        lo=0.0,
        hi=1.0,
        source="case: shops close to users matter most to transactional buyers (CASE.md 2)",
    )
    retail_service: float = lever(
        0.2, "weight of service among them", lo=0.0, hi=1.0, source="judgement"
    )
    differentiation_appeal: float = lever(
        0.2,
        "utility walk-in buyers lose on fully separate online products (differentiation 1)",
        lo=0.0,
        hi=20.0,
        source="judgement: online-only models are cut-down configurations",
    )
    in_house_service: float = lever(
        0.6,
        "service an account with IT staff of its own gets at least, whoever sells to it",
        lo=0.0,
        hi=1.0,
        source="judgement: its own staff install and support what it buys",
    )
    in_house_ties: float = lever(
        0.5,
        "share of a relationship's pull that an account with IT staff of its own does "
        "without: its staff know what to buy and from whom",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )


@dataclass
class SellingBehaviour:
    """How sellers and their partners find and work deals (`market.selling.*`)."""

    ROLE = "behaviour"  # every key of the group (config/fields.py: lever)

    phone_reach: float = lever(
        0.8,
        "chance a phone contact hears of the account's open project",
        lo=0.0,
        hi=1.0,
        source="case: phone sales find many leads (CASE.md 2)",
    )
    rep_reach: float = lever(
        0.9,
        "chance a field rep working an account hears of its open project",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    relationship_reach: float = lever(
        0.5,
        "chance a full relationship alone brings word of an open project (sellers, partners)",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    coop_lead_lift: float = lever(
        0.5,
        "most that co-op marketing raises partners' chance of hearing of a project",
        lo=0.0,
        hi=5.0,
        source="judgement",
    )
    coop_half: float = lever(
        300.0,
        "monthly co-op budget at which its lift is half its most (list-price units)",
        lo=1e-6,
        hi=1e9,
        source="judgement",
    )
    coop_availability: float = lever(
        0.2,
        "share of shops' availability to walk-in buyers that co-op marketing decides",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    erp_own_fit: float = lever(
        0.9,
        "fit of a seller's own build-to-order through its ERP, as a share of its partners'",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    direct_assist_share: float = lever(
        0.3,
        "share of key projects a seller takes itself with a partner's help when asked",
        lo=0.0,
        hi=1.0,
        source="case: the vendor signs special deals itself (CASE.md 3.4); share judgement",
    )
    unplanned_floor: float = lever(
        0.05,
        "without account planning, a rep's pull to an account with no relationship yet",
        lo=1e-6,
        hi=10.0,
        source="judgement",
    )
    margin_months: int = lever(
        12,
        "months of margin a seller's field force is judged on",
        lo=1,
        hi=120,
        source="judgement: a year's results",
    )
    staffing_evidence: int = lever(
        3,
        "months of decided projects a seller waits for before it re-staffs its reps",
        lo=1,
        hi=120,
        source="judgement: a quarter",
    )
    response_step: float = lever(
        0.1,
        "an adaptive seller's move of one lever at a quarterly review, a share of its value "
        "at the start",
        lo=0.0,
        hi=1.0,
        source="judgement: a tenth, as price and programme changes go",
    )
    response_band: float = lever(
        0.5,
        "how far an adaptive seller's lever may move from its value at the start, a share of "
        "that value",
        lo=0.0,
        hi=1.0,
        source="judgement: half",
    )
    enterprise_time_b2b: float = lever(
        0.8,
        "share of a business reseller's rep time spent on enterprise accounts",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    enterprise_time_b2c: float = lever(
        0.25,
        "share of a retail reseller's rep time spent on enterprise accounts",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    habit_floor: float = lever(
        0.1,
        "a partner's pull to an account it has no relationship with yet (habit)",
        lo=1e-6,
        hi=10.0,
        source="case: partners serve a limited set of old customers (CASE.md 2.1)",
    )
    free_riding: float = lever(
        0.7,
        "pre-sales effort on key deals without deal registration, relative to with it",
        lo=0.0,
        hi=1.0,
        source="literature: free riding on pre-sales service (Telser 1960); size judgement",
    )
    rebate_pass_through: float = lever(
        0.5,
        "share of the rebate rate partners pass on in price, chasing a target (all of it in "
        "a quarter's last month)",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    contested_complaint: float = lever(
        0.5,
        "chance a partner complains when every bid it made was against its seller's other partners",
        lo=0.0,
        hi=1.0,
        source="case: partners fighting each other for deals (CASE.md 2.5)",
    )
    standing_capital: float = lever(
        0.5,
        "weight of capital (up to twice the usual) in a partner's standing with buyers",
        lo=0.0,
        hi=1.0,
        source="case: buyers doubt small partners' strength (CASE.md 2.4)",
    )
    standing_tier: float = lever(
        0.25, "weight of being tier 1 in it", lo=0.0, hi=1.0, source="judgement"
    )
    standing_skill: float = lever(
        0.25, "weight of key-account skill in it", lo=0.0, hi=1.0, source="judgement"
    )
    standing_trust: float = lever(
        0.3,
        "share of a partner's brand trust that rests on its standing",
        lo=0.0,
        hi=1.0,
        source="case: buyers trust the brand more than its small partners (CASE.md 2.4)",
    )
    proposal_competition: float = lever(
        0.5,
        "weight of knowing the competition (against product knowledge) in a proposal",
        lo=0.0,
        hi=1.0,
        source="case: partners did not know the direct seller's offers (CASE.md 2.5)",
    )
    proposal_fit: float = lever(
        0.4,
        "share of a partner's fit that rests on the quality of its proposal",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )


@dataclass
class PartnerBehaviour:
    """How partners learn, keep relationships, feel, pay and leave (`market.partners.*`)."""

    ROLE = "behaviour"  # every key of the group (config/fields.py: lever)

    skill_learning: float = lever(
        0.6,
        "a partner's relationship learning at zero key-account skill, as a share of the "
        "face-to-face rate (skill adds to it)",
        lo=0.0,
        hi=5.0,
        source="judgement",
    )
    team_learning: float = lever(
        1.25,
        "factor on a relationship partner's learning in a joint team with a seller's rep",
        lo=0.0,
        hi=5.0,
        source="case: joint vendor-partner teams (CASE.md 3.2); size judgement",
    )
    training_half: float = lever(
        20.0,
        "monthly training spend on a partner at which its lift is half its most",
        lo=1e-6,
        hi=1e9,
        source="judgement",
    )
    learn_skill: float = lever(
        0.28,
        "most a month's training lifts key-account skill (share of what is missing)",
        lo=0.0,
        hi=1.0,
        source="judgement: training lifts capability over about two years",
    )
    learn_knowledge: float = lever(
        0.37,
        "most it lifts product knowledge, and knowledge of the competition when taught",
        lo=0.0,
        hi=1.0,
        source="judgement: training lifts capability over about two years",
    )
    learn_service: float = lever(0.14, "most it lifts service", lo=0.0, hi=1.0, source="judgement")
    forget: float = lever(
        0.005,
        "monthly fade of untrained skill and knowledge",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    forget_service: float = lever(
        0.002, "monthly fade of untrained service", lo=0.0, hi=1.0, source="judgement"
    )
    experience: float = lever(
        0.004,
        "skill a key or global win adds, for up to experience_wins wins a month",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    experience_wins: float = lever(
        5.0, "wins a month that count as experience at most", lo=0.0, hi=1e6, source="judgement"
    )
    tier_resources: float = lever(
        2.0,
        "factor on a tier-1 partner's share of training and co-op under tiering",
        lo=0.0,
        hi=100.0,
        source="case: resources follow the tier (CASE.md 5)",
    )
    relationship_partner_training: float = lever(
        1.5,
        "factor on a relationship partner's share of training",
        lo=0.0,
        hi=100.0,
        source="case: training in key-account selling (CASE.md 3.2)",
    )
    coop_to_partners: float = lever(
        0.5,
        "share of the co-op budget paid to partners (the rest buys the seller's own media)",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    support_full: float = lever(
        6.0,
        "monthly training and co-op on a partner that it counts as full support",
        lo=1e-6,
        hi=1e9,
        source="judgement",
    )
    satisfaction_base: float = lever(
        0.25,
        "a partner's satisfaction with no margin, support or rebate, before grievances",
        lo=-1.0,
        hi=1.0,
        source="judgement",
    )
    satisfaction_margin: float = lever(
        0.4, "weight of its margin on its satisfaction", lo=0.0, hi=2.0, source="judgement"
    )
    satisfaction_support: float = lever(
        0.15, "weight of the support it gets", lo=0.0, hi=2.0, source="judgement"
    )
    satisfaction_rebate: float = lever(
        0.15, "weight of the rebate it earns", lo=0.0, hi=2.0, source="judgement"
    )
    satisfaction_complaint: float = lever(
        0.25,
        "what a complaint (unfair discount, broken promise, a rival partner on its deal) takes",
        lo=0.0,
        hi=2.0,
        source="case: partners' complaints of unfairness (CASE.md 5)",
    )
    satisfaction_gray: float = lever(
        0.4,
        "what losing its whole sales to the gray market takes",
        lo=0.0,
        hi=2.0,
        source="case: diversion the partners' main grievance (CASE.md 4)",
    )
    margin_midpoint: float = lever(
        0.5,
        "satisfaction's margin term at zero profit (it is 1 at twice the fixed costs)",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    rebate_expected: float = lever(
        0.5,
        "target completion a partner expects before its first quarter closes",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    rebate_full: float = lever(
        0.03, "rebate rate partners count as a full rebate", lo=1e-6, hi=1.0, source="judgement"
    )
    satisfaction_speed: float = lever(
        0.15,
        "share of the gap to what the month says that satisfaction moves in a month",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    satisfaction_start: float = lever(
        0.6,
        "a partner's satisfaction when it starts or enters",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    low_satisfaction: float = lever(
        0.2,
        "satisfaction under which a partner, low_months running, leaves",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    low_months: int = lever(
        6, "months of low satisfaction before a partner leaves", lo=1, hi=120, source="judgement"
    )
    volume_memory: float = lever(
        0.75,
        "weight of last quarter's annual volume in the next (partner selection's volume)",
        lo=0.0,
        hi=1.0,
        source="judgement: about a year's memory",
    )
    tier1_share: float = lever(
        0.3,
        "share of a seller's active partners it puts in tier 1",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    strength_completion: float = lever(
        0.5,
        "weight of target completion in a partner's tiering strength",
        lo=0.0,
        hi=10.0,
        source="case: tiering on sales and capability (CASE.md 5)",
    )
    completion_cap: float = lever(
        1.2,
        "completion counted at most in the strength",
        lo=0.0,
        hi=10.0,
        source="judgement",
    )
    strength_capability: float = lever(
        2.0,
        "weight of capability in the strength",
        lo=0.0,
        hi=10.0,
        source="case: tiering on sales and capability (CASE.md 5)",
    )
    eliminate_share: float = lever(
        0.1,
        "tiering eliminates tier-2 partners among this weakest share",
        lo=0.0,
        hi=1.0,
        source="case: open competition and elimination (CASE.md 5); share judgement",
    )
    review_error: float = lever(
        0.05,
        "error of a seller's quarterly review of a partner's strength: a partner is judged "
        "below a tiering or elimination cutoff with chance "
        "1 / (1 + exp((strength - cutoff) / review_error))",
        lo=1e-6,
        hi=10.0,
        source="judgement: a sixth of the spread of partners' strength (0.3 in 2005)",
    )
    eliminate_quarters: int = lever(
        2,
        "quarters running among the weakest before a partner is eliminated",
        lo=1,
        hi=40,
        source="judgement",
    )
    recruit_ties: float = lever(
        0.5,
        "key-account tie that qualifies a reseller as relationship partner when recruiting",
        lo=0.0,
        hi=1.0,
        source="case: recruit resellers with key-account relationships (CASE.md 3.1)",
    )
    recruit_skill: float = lever(
        0.45,
        "key-account skill that qualifies it",
        lo=0.0,
        hi=1.0,
        source="case: or with key-account skill (CASE.md 3.1); level judgement",
    )
    owner_partner_weight: float = lever(
        2.0,
        "weight of being a relationship partner when a seller plans an account's owner",
        lo=0.0,
        hi=100.0,
        source="case: accounts locked to relationship partners (CASE.md 3.1)",
    )
    heir_tier: float = lever(
        0.5,
        "weight of being tier 1 in a partner's strength to take on a leaver's staff",
        lo=0.0,
        hi=10.0,
        source="judgement",
    )
    staff_moving: float = lever(
        0.8,
        "share of a leaving partner's reps (and shops) the region's strongest partner takes on",
        lo=0.0,
        hi=1.0,
        source="case: strong partners are supported (CASE.md 5); share judgement",
    )
    owner_draw: float = lever(
        0.1,
        "share of a partner's cash above what its business keeps that its owners take out "
        "after a profitable month",
        lo=0.0,
        hi=1.0,
        source="judgement: small owner-run firms with little capital (CASE.md 2) live off "
        "their profit; a tenth a month halves the excess in about half a year",
    )
    reserve: float = lever(
        1.0,
        "cash a partner's owners keep in the business, as a multiple of the market's usual "
        "capital for a partner of its staff (market.partner_capital per market.partner_reps reps)",
        lo=0.0,
        hi=100.0,
        source="judgement: small firms with little capital (CASE.md 2) keep what such a firm "
        "usually has, and grow it as they take on staff",
    )
    default_recovery: float = lever(
        0.4,
        "share of a failed partner's debt its seller recovers",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    distress: float = lever(
        4.0,
        "factor on a partner's default hazard when it has lost all its usual capital",
        lo=0.0,
        hi=100.0,
        source="judgement",
    )
    leverage_cushion: float = lever(
        0.1,
        "capital (share of the usual) a partner's debt is set against at zero capital",
        lo=1e-6,
        hi=10.0,
        source="judgement",
    )
    entry_gap: float = lever(
        0.8,
        "resellers enter a region whose active partners fall below this share of the start",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    retail_b2b: float = lever(
        0.3,
        "a business reseller's pull on walk-in buyers, next to a shop's 1",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    retail_service_floor: float = lever(
        0.5,
        "a shop's pull at zero service (service adds to it)",
        lo=0.0,
        hi=10.0,
        source="judgement",
    )
    effort_sensitivity: float = lever(
        4.0,
        "how sharply a firm carrying several brands splits its staff by their appeal (its "
        "satisfaction with each brand, plus effort_ties times its ties to the accounts it "
        "covers for it): the weight of a brand is exp(effort_sensitivity * appeal)",
        lo=0.0,
        hi=50.0,
        source="judgement: a brand a fifth of the satisfaction scale better draws about "
        "twice the staff",
    )
    effort_ties: float = lever(
        0.5,
        "weight of a line's mean ties to the accounts it covers in its appeal to its firm",
        lo=0.0,
        hi=10.0,
        source="judgement",
    )
    effort_speed: float = lever(
        0.25,
        "share of the way a firm moves its staff each quarter towards the split by appeal",
        lo=0.0,
        hi=1.0,
        source="judgement: a year to move most of the way",
    )
    drop_share: float = lever(
        0.1,
        "a firm drops a brand whose line keeps less than this share of its staff",
        lo=0.0,
        hi=0.5,
        source="judgement",
    )
    exclusive_accept: float = lever(
        0.5,
        "a firm asked to carry one brand alone keeps it when that brand holds at least this "
        "share of its staff, and drops it otherwise",
        lo=0.0,
        hi=1.0,
        source="judgement: the brand that already has most of its effort",
    )


@dataclass
class RuleBehaviour:
    """How channel rules are kept and broken: discounts, promises, MAP, diversion
    (`market.rules.*`)."""

    ROLE = "behaviour"  # every key of the group (config/fields.py: lever)

    special_spread: float = lever(
        0.04,
        "spread of reps' special discounts at one approval level (fraction of list)",
        lo=0.0,
        hi=1.0,
        source="case: discounts uneven and coerced under one level (CASE.md 5); size judgement",
    )
    broken_promise: float = lever(
        0.08,
        "monthly chance a partner is promised what is not delivered, at one approval level",
        lo=0.0,
        hi=1.0,
        source="case: broken promises (CASE.md 5); size judgement",
    )
    survey_spread: float = lever(
        0.5,
        "factor on the discounts' spread under a published partner survey",
        lo=0.0,
        hi=1.0,
        source="case: third-party survey disciplines reps (CASE.md 5); size judgement",
    )
    survey_promise: float = lever(
        0.4,
        "factor on the chance of broken promises under it",
        lo=0.0,
        hi=1.0,
        source="case: third-party survey disciplines reps (CASE.md 5); size judgement",
    )
    unfair_gap: float = lever(
        0.05,
        "a discount this far below its region's mean makes every partner complain",
        lo=1e-6,
        hi=1.0,
        source="judgement",
    )
    map_compliance_enforced: float = lever(
        0.97,
        "share of partners keeping to an enforced minimum advertised price",
        lo=0.0,
        hi=1.0,
        source="judgement: enforcement with checks and penalties keeps most partners to it",
    )
    map_compliance_free: float = lever(
        0.55,
        "share keeping to it when it is not enforced",
        lo=0.0,
        hi=1.0,
        source="literature: MAP violations are common (Israeli, Anderson and Coughlan 2016, "
        "Marketing Science 35(4)); level judgement",
    )
    approval_delay: float = lever(
        0.05,
        "chance one approval level above the rep's holds a key or global offer past a "
        "month's decision",
        lo=0.0,
        hi=1.0,
        source="judgement: each level adds a hand-off",
    )
    audit_annoyance: float = lever(
        0.3,
        "chance an audited partner that diverted nothing complains of it",
        lo=0.0,
        hi=1.0,
        source="judgement: audits read as distrust",
    )
    map_audit_weight: float = lever(
        1.5,
        "factor on audits when MAP is enforced (MAP checks add to diversion audits)",
        lo=1.0,
        hi=10.0,
        source="judgement",
    )
    diversion_cap: float = lever(
        0.5,
        "most of a partner's units it diverts to a dearer region",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    diversion_room: float = lever(
        0.5,
        "most of the dear region's shop sales diverted units can displace",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    diversion_premium: float = lever(
        0.5,
        "share of the regional price gap diverted units fetch over the diverter's price",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    arbitrage_cap: float = lever(
        0.3,
        "most of the online price gap's pull that gray dealers act on",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    arbitrage_share: float = lever(
        0.5,
        "units bought online for resale, per unit of that pull, as a share of channel sales",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    conflict_gray: float = lever(
        3.0,
        "conflict index: the gray share at which gray alone makes conflict 1 is 1/this",
        lo=1e-6,
        hi=100.0,
        source="judgement",
    )
    conflict_price: float = lever(
        5.0,
        "conflict index: the price dispersion at which it alone makes conflict 1 is 1/this",
        lo=1e-6,
        hi=100.0,
        source="judgement",
    )


@dataclass
class Population:
    """How the market's agents are drawn at the start (`market.population.*`)."""

    ROLE = "structure"  # every key of the group (config/fields.py: lever)

    region_spread: float = lever(
        0.3,
        "spread (log sd) of the regions' sizes",
        lo=0.0,
        hi=3.0,
        source="judgement: China's big regions differ in size",
    )
    account_spread: float = lever(
        0.8,
        "spread (log sd) of the accounts' sizes within a segment",
        lo=0.0,
        hi=5.0,
        source="judgement",
    )
    account_log_mean: float = lever(
        -0.32,
        "log-mean of an account's size factor (minus half the spread squared: mean 1)",
        lo=-20.0,
        hi=20.0,
        source="judgement: mean 1",
    )
    partner_tie_lo: float = lever(
        0.3,
        "least an account's strongest partner tie is at the start",
        lo=0.0,
        hi=1.0,
        source="case: resellers hold the relationships (CASE.md 2.1)",
    )
    partner_tie_hi: float = lever(
        0.8,
        "most it is",
        lo=0.0,
        hi=1.0,
        source="case: resellers hold the relationships (CASE.md 2.1)",
    )
    other_ties: float = lever(
        0.25,
        "most its other covering partners' ties are",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    aptitude_lo: float = lever(
        0.3,
        "least aptitude (how much a partner learns from training)",
        lo=0.0,
        hi=10.0,
        source="literature: absorptive capacity (Cohen and Levinthal 1990); range judgement",
    )
    aptitude_hi: float = lever(
        1.7,
        "most aptitude",
        lo=0.0,
        hi=10.0,
        source="literature: absorptive capacity (Cohen and Levinthal 1990); range judgement",
    )
    entrant_scale: float = lever(
        0.8,
        "an entrant's skill, knowledge and capital against a starting partner's",
        lo=0.0,
        hi=10.0,
        source="judgement",
    )
    b2b_share: float = lever(
        0.5,
        "share of resellers that are business resellers (the rest: shops)",
        lo=0.0,
        hi=1.0,
        source="case: business and retail resellers (CASE.md 6)",
    )
    multi_brand: float = lever(
        0.0,
        "share of the starting resellers' brand lines that belong to a firm carrying two "
        "brands (paired in a region, business or retail alike, two brands a firm)",
        lo=0.0,
        hi=1.0,
        source="judgement: 0 keeps every reseller to one brand; the whole market sets its own",
    )
    in_house_it: float = lever(
        0.2,
        "share of the enterprise accounts (mid, key and global) with IT staff of their own",
        lo=0.0,
        hi=1.0,
        source="judgement: few of China's firms had IT departments then; the case's buyers "
        "leaned on resellers for service (CASE.md 2)",
    )
    skill_shape: list = lever(
        [2.0, 6.0],
        "beta shape of partners' starting key-account skill (scaled to mean market.partner_skill)",
        lo=1e-3,
        hi=1e3,
        length=2,
        source="case: little key-account know-how (CASE.md 2.2); shape judgement",
    )
    knowledge_shape: list = lever(
        [2.0, 5.0],
        "beta shape of their starting product knowledge",
        lo=1e-3,
        hi=1e3,
        length=2,
        source="judgement",
    )
    competition_shape: list = lever(
        [1.0, 9.0],
        "beta shape of their starting knowledge of the competition",
        lo=1e-3,
        hi=1e3,
        length=2,
        source="case: partners did not know the direct seller's offers (CASE.md 2.5)",
    )
    service_lo: float = lever(
        0.35, "least starting service of a partner", lo=0.0, hi=1.0, source="judgement"
    )
    service_hi: float = lever(0.75, "most starting service", lo=0.0, hi=1.0, source="judgement")
    capital_spread: float = lever(
        0.6,
        "spread (log sd) of partners' starting capital",
        lo=0.0,
        hi=5.0,
        source="judgement",
    )
    reps_spread: float = lever(
        0.45,
        "spread (log sd) of partners' reps",
        lo=0.0,
        hi=5.0,
        source="judgement",
    )
    reps_log_mean: float = lever(
        -0.1,
        "log-mean of a partner's reps factor",
        lo=-20.0,
        hi=20.0,
        source="judgement",
    )
    markup_spread: float = lever(
        0.015,
        "sd of partners' markups around market.partner_markup",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )
    tier1_start: float = lever(
        0.2,
        "share of resellers, the best capitalised, that start in tier 1",
        lo=0.0,
        hi=1.0,
        source="judgement",
    )


@dataclass
class ProgrammeCosts:
    """What a seller's levers cost it, beyond the budgets it sets itself (`market.costs.*`,
    list-price units: the vendor's list price is 1; a field rep costs `market.am_cost`, 12
    a month). docs/LEVERS.md gives each at the default setting as money a year and as a
    share of the vendor's profit."""

    ROLE = "structure"  # every key of the group (config/fields.py: lever)

    approval: float = lever(
        0.1,
        "staff time of one approval level above the rep's on one key or global deal",
        lo=0.0,
        hi=1e3,
        source="judgement: about two hours of a manager at a rep's pay",
    )
    survey_fee: float = lever(
        100.0,
        "monthly fee of the third-party partner survey",
        lo=0.0,
        hi=1e6,
        source="judgement: a national survey twice a year, about 1% of the vendor's profit",
    )
    audit: float = lever(
        1.0,
        "staff cost of auditing one partner for diversion or MAP",
        lo=0.0,
        hi=1e3,
        source="judgement: about two days of a field rep at market.am_cost",
    )
    map_monitoring: float = lever(
        5.0,
        "monthly cost of watching advertised prices in one region, when MAP is enforced",
        lo=0.0,
        hi=1e6,
        source="judgement: part of a clerk's time a region",
    )
    tiering: float = lever(
        1.0,
        "cost of reviewing one partner's tier at a quarter's close",
        lo=0.0,
        hi=1e3,
        source="judgement: about two days of a manager a partner a quarter",
    )
    screening: float = lever(
        0.5,
        "cost of screening one partner for key-account ties and skill at a quarter's close",
        lo=0.0,
        hi=1e3,
        source="judgement: about a day of a rep a partner a quarter",
    )
    planning_time: float = lever(
        0.1,
        "share of a seller's field reps' time that account planning takes",
        lo=0.0,
        hi=0.9,
        source="judgement: half a day a week",
    )
    exclusive_terms: float = lever(
        0.02,
        "better terms paid to a partner that carries the seller's brand alone, as a share "
        "of what it buys",
        lo=0.0,
        hi=0.5,
        source="judgement: a rebate's size (strategy.rebate_rate)",
    )
    registration: float = lever(
        0.2,
        "cost of registering and policing one registered deal",
        lo=0.0,
        hi=1e3,
        source="judgement: a few hours of channel staff",
    )
    assist_fee: float = lever(
        0.02,
        "fee a seller pays the partner that helped it take an order directly (share of the "
        "order's value)",
        lo=0.0,
        hi=1.0,
        source="judgement: an agency fee, as agents differ from dealers (CASE.md 1)",
    )
    competition_training: float = lever(
        0.25,
        "cost of teaching the competition's offers, as a share of the training budget",
        lo=0.0,
        hi=10.0,
        source="judgement: competitive intelligence and its course material",
    )
    store_fixed: float = lever(
        150.0,
        "monthly fixed cost of a seller's online and phone store (site, call centre)",
        lo=0.0,
        hi=1e7,
        source="judgement: about 2% of the vendor's profit",
    )
    store_order: float = lever(
        0.01,
        "cost of taking and shipping one unit sold online or by phone (share of list)",
        lo=0.0,
        hi=1.0,
        source="judgement: order handling and parcel delivery",
    )
    differentiation: float = lever(
        0.02,
        "unit cost of fully separate online products (share of list, at differentiation 1)",
        lo=0.0,
        hi=1.0,
        source="judgement: a second product line's design and stock",
    )
    hire: float = lever(
        1.0,
        "cost of hiring a field rep, in months of market.am_cost",
        lo=0.0,
        hi=100.0,
        source="judgement: recruiting and a month of training",
    )
    turnover_norm: float = lever(
        0.06,
        "monthly turnover of field reps at the market's usual pay",
        lo=1e-6,
        hi=1.0,
        source="case: high sales-force turnover (CASE.md 2); level judgement",
    )
    retention_pay: float = lever(
        0.5,
        "pay premium (share of market.am_cost) that keeps turnover at zero; half of it "
        "halves turnover",
        lo=0.0,
        hi=10.0,
        source="judgement",
    )
