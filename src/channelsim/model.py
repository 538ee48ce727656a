"""ChannelModel: a vendor's channel against a direct seller, one month per step."""

from __future__ import annotations

import copy
from collections import deque
from functools import partial
from typing import Any

import mesa
import numpy as np

from channelsim.agents import account as account_rules
from channelsim.agents import pricing_market
from channelsim.agents import regional_market as market_rules
from channelsim.agents import reseller as reseller_rules
from channelsim.agents.account import Account
from channelsim.agents.direct_seller import DirectSeller
from channelsim.agents.distributor import Distributor, DistributorTable
from channelsim.agents.regional_market import RegionalMarket
from channelsim.agents.reseller import Reseller
from channelsim.agents.tables import CENTRE_ALPHA, AccountTable, draw_reseller, empty_resellers
from channelsim.agents.vendor import Vendor
from channelsim.config.schema import ChannelConfig
from channelsim.config.validate import ConfigError, check_value, closest, schema_rows, validate
from channelsim.domain import Route, Segment, Stage, Supplier
from channelsim.mechanics import graymarket, relationships
from channelsim.network import draw_coverage
from channelsim.policies import Timeline, month_index, month_label

METRICS = (
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
    # beyond the contract: the funnel, units, and programme detail
    "funnel_identified",
    "funnel_qualified",
    "funnel_proposal",
    "funnel_decision",
    "units_vendor",
    "units_direct",
    "units_online",
    "units_channel",
    "partner_exits",
    "partner_entries",
    "complaint_share",
    "price_dispersion",
    "relationship_partners",
    "tier1_resellers",
)
WIN_RATE_WINDOW = 3  # months over which win rates are counted
SPARE_RESELLERS = 0.5  # room for entrants, as a share of the starting resellers


class ChannelModel(mesa.Model):
    """The channel market of CASE.md: a vendor, its distributors and resellers, a direct
    seller, enterprise accounts and regional transactional markets.

    Args:
        config: a validated config (see `channelsim.compose`).
    """

    def __init__(self, config: ChannelConfig) -> None:
        config = validate(copy.deepcopy(config))
        root = np.random.SeedSequence(config.seed)
        model_stream, network_stream = root.spawn(2)
        super().__init__(rng=np.random.default_rng(model_stream))
        self.config = config
        self.market = copy.deepcopy(config.market)
        self.strategy = copy.deepcopy(config.strategy)
        self.timeline = Timeline(config)
        self.start_index = month_index(self.market.start)
        self.changes: list[tuple[str, str]] = []
        self.held_levers: dict[str, Any] = {}  # set mid-run by set_levers, held until released
        self._lever_mark: tuple[str, dict[str, Any], str] | None = None
        self.exits = 0
        self.entries = 0
        self.bad_debt = 0.0
        self.pricing: pricing_market.PricingTable | None = None
        if self.market.kind == "channel":
            self._build(np.random.default_rng(network_stream))
            self.metric_names = METRICS
        else:
            self._build_pricing()
            self.metric_names = pricing_market.metric_names(self.market)
        self.last: dict[str, float] = dict.fromkeys(self.metric_names, 0.0)
        self.ledger: dict[str, float] = {}
        self.win_counts: deque[np.ndarray] = deque(maxlen=WIN_RATE_WINDOW)
        self.datacollector = mesa.DataCollector(
            model_reporters={name: partial(_metric, name=name) for name in self.metric_names}
        )

    # ------------------------------------------------------------------ build
    def _build(self, net_rng: np.random.Generator) -> None:
        m, rng = self.market, self.rng
        g = m.n_regions
        self.region_size = rng.lognormal(-0.045, 0.3, g)
        self.promo = np.zeros(g)
        self.region_demand = self.region_size * m.txn_units_per_region
        self.region_price = np.ones(g)

        n0 = g * m.resellers_per_region
        self.resellers = empty_resellers(n0 + int(np.ceil(SPARE_RESELLERS * n0)))
        start_rows = np.arange(n0)
        draw_reseller(self.resellers, start_rows, start_rows // m.resellers_per_region, m, rng)
        self.resellers_used = n0
        t = self.resellers
        t.tier[:n0] = np.where(t.capital[:n0] >= np.quantile(t.capital[:n0], 0.8), 1, 2)
        self.credit = np.zeros(t.n)

        seg = np.concatenate(
            [
                np.repeat(np.int8(Segment.MID), g * m.mid_accounts_per_region),
                np.repeat(np.int8(Segment.KEY), g * m.key_accounts_per_region),
                np.repeat(np.int8(Segment.GLOBAL), m.global_accounts),
            ]
        )
        region = np.concatenate(
            [
                np.repeat(np.arange(g), m.mid_accounts_per_region),
                np.repeat(np.arange(g), m.key_accounts_per_region),
                rng.integers(0, g, m.global_accounts),
            ]
        ).astype(np.int32)
        n = seg.size
        mean_size = np.array([m.mid_units_per_year, m.key_units_per_year, m.global_units_per_year])[
            seg
        ]
        size = mean_size * rng.lognormal(-0.32, 0.8, n)
        centre = np.empty((n, 4))
        for s_, alpha in CENTRE_ALPHA.items():
            rows = seg == s_
            centre[rows] = rng.dirichlet(alpha, int(rows.sum()))
        k = m.coverage_per_account
        cover = draw_coverage(region, t.region[:n0], k, net_rng)
        # the vendor starts as the incumbent of most accounts, through its resellers' ties
        rel_partner = np.zeros((n, k))
        rel_partner[:, 0] = rng.uniform(0.3, 0.8, n)
        rel_partner[:, 1:] = rng.uniform(0.0, 0.25, (n, k - 1))
        incumbent = np.where(
            rng.random(n) < np.array([0.8, 0.7, 0.55])[seg], Supplier.VENDOR, Supplier.DIRECT
        ).astype(np.int8)
        z = np.zeros
        self.accounts = AccountTable(
            segment=seg,
            region=region,
            size=size,
            centre=centre,
            cover=cover,
            rel_vendor=rng.uniform(0.0, 0.3, n) * (seg != Segment.MID),
            rel_direct=rng.uniform(0.0, 0.15, n),
            rel_partner=rel_partner,
            am=np.full(n, -1, np.int64),
            rep=np.full(n, -1, np.int64),
            owner=np.full(n, -1, np.int64),
            incumbent=incumbent,
            effort_vendor=z(n),
            effort_direct=z(n),
            effort_partner=z((n, k)),
            phone_direct=z(n, bool),
            phone_vendor=z(n, bool),
            opp_open=z(n, bool),
            opp_stage=z(n, np.int8),
            opp_units=z(n),
            opp_age=z(n, np.int32),
            found_direct=z(n, bool),
            found_vendor=z(n, bool),
            found_partner=z((n, k), bool),
            registered=np.full(n, -1, np.int64),
        )
        self.distributors = DistributorTable(m.distributors)
        self.served_direct = account_rules.served_direct(self)
        self.joint = self._joint()
        reseller_rules.select_partners(self)
        reseller_rules.plan_owners(self)
        weight = market_rules.retail_pull(t)
        self.initial_region_weight = np.maximum(np.bincount(t.region, weight, minlength=g), 1e-9)

        self.vendor = Vendor(self, 0)
        self.big_accounts = int((seg != Segment.MID).sum())  # key and global accounts
        self.direct_seller = DirectSeller(self, 0)
        for i in range(m.distributors):
            Distributor(self, i)
        for i in range(g):
            RegionalMarket(self, i)
        for r in range(n0):
            Reseller(self, r)
        Account.create_agents(self, n, row=list(range(n)))

    def _build_pricing(self) -> None:
        """A textbook pricing market (agents/pricing_market.py) in place of the channel
        market: Vendor agents as manufacturers, a Reseller for each decentralised one."""
        self.pricing, self.demand = pricing_market.build(self.market, self.rng)
        self.manufacturers = [Vendor(self, i) for i in range(self.pricing.n)]
        self.retailers = [
            vendor if self.pricing.integrated[vendor.row] else Reseller(self, vendor.row)
            for vendor in self.manufacturers
        ]

    def add_reseller_agent(self, row: int) -> Reseller:
        """A Mesa agent for a reseller that entered the market."""
        return Reseller(self, row)

    def _joint(self) -> np.ndarray:
        s, seg = self.strategy, self.accounts.segment
        joint_by_segment = np.array(
            [False, s.key_route == Route.JOINT_TEAM, s.global_route == Route.JOINT_TEAM]
        )
        return joint_by_segment[seg]

    # ------------------------------------------------------------------ time
    @property
    def date(self) -> str:
        """The month being (or last) simulated, YYYY-MM."""
        return month_label(self.start_index + max(self.steps - 1, 0))

    @property
    def years_elapsed(self) -> int:
        """Calendar years begun since the start year (0 in the first year)."""
        return (self.start_index + max(self.steps - 1, 0)) // 12 - self.start_index // 12

    @property
    def month_in_quarter(self) -> int:
        return (self.start_index + max(self.steps - 1, 0)) % 3

    # ------------------------------------------------------------------ levers
    def set_levers(self, **levers: Any) -> None:
        """Change strategy levers mid-run, from the next month on, as a manager would.

        The values are checked as config values are; they are held through the
        scenario's later policy changes (as command-line levers are) until
        `release_levers`; the changes are marked on the time axis in `changes` (one mark
        a month, however often they change before it), and partners and account owners
        are re-planned as for any policy change.

        Raises:
            ConfigError: an unknown lever or a value it does not allow.
        """
        rows = schema_rows()
        checked = {}
        for name, value in levers.items():
            key = f"strategy.{name}"
            if key not in rows or name == "name":
                levers_only = [k for k in rows if k.startswith("strategy.")]
                raise ConfigError(closest(f"{key} is not a lever", key, levers_only))
            checked[name] = check_value(key, value, rows[key])
        changed = {k: v for k, v in checked.items() if getattr(self.strategy, k) != v}
        self.timeline.overrides.update(checked)
        self.held_levers.update(checked)
        if not changed:
            return
        for name, value in changed.items():
            setattr(self.strategy, name, value)
        when = month_label(self.start_index + self.steps)
        marked = changed
        if self._lever_mark is not None and self._lever_mark[0] == when:
            marked = {**self._lever_mark[1], **changed}  # no month ran since: one mark
            self.changes.remove((when, self._lever_mark[2]))
        label = "levers: " + ", ".join(f"{k}={v}" for k, v in marked.items())
        self._lever_mark = (when, marked, label)
        self.changes.append((when, label))
        reseller_rules.select_partners(self)
        reseller_rules.plan_owners(self)

    def release_levers(self) -> None:
        """Stop holding the levers set with `set_levers`: the scenario's later policy
        changes apply in full again. The policy in force now stays as it is."""
        self.timeline.overrides = dict(self.config.lever_overrides)
        self.held_levers.clear()

    # ------------------------------------------------------------------ step
    def step(self) -> None:
        """One month: policy, terms, effort, relationships, projects, decisions,
        transactional markets, gray market, partners, metrics (docs/ODD.md section 3).
        In a textbook pricing market: wholesale prices, retail prices, sales."""
        if self.pricing is not None:
            pricing_market.step(self)
            self.last = pricing_market.metrics(self)
            self.datacollector.collect(self)
            return
        a, t, m = self.accounts, self.resellers, self.market
        # 1. policy timeline
        self.strategy, changes = self.timeline.apply(self.date, self.strategy, self.market)
        for change in changes:
            self.changes.append((self.date, change.strategy or change_label(change)))
        if any(change.strategy or change.levers for change in changes):
            # a new policy re-selects relationship partners and re-plans accounts at once
            reseller_rules.select_partners(self)
            reseller_rules.plan_owners(self)
        self.served_direct = account_rules.served_direct(self)
        self.joint = self._joint()
        s = self.strategy
        for name in (
            "units",
            "revenue",
            "purchases",
            "profit",
            "key_wins",
            "gray_lost",
            "diverted",
        ):
            getattr(t, name)[:] = 0.0
        exits0, entries0 = self.exits, self.entries
        active_at_start = t.active.copy()
        self.bad_debt = 0.0

        # 2. vendor terms; 3. effort; 4. relationships
        self.vendor.set_terms()
        self.vendor.assign_effort()
        self.direct_seller.assign_effort()
        account_rules.assign_partner_effort(self)
        lost = account_rules.tend_relationships(self)

        # 5. opportunities; 6-7. offers and decisions
        account_rules.open_projects(self)
        account_rules.discover(self)
        deal = account_rules.decide(self)
        account_rules.advance_funnel(self, deal["rows"])

        # 8. transactional markets; 9. gray market
        txn = market_rules.transactional(self)
        gray = market_rules.gray_market(self, txn)
        retail = txn["retail_units"]
        t.units += retail
        t.revenue += retail * txn["sale_price"]
        t.purchases += retail * t.cost
        t.quarter_purchases += t.purchases
        t.quarter_units += t.units

        # money and units along the channel
        margin = m.distributor_margin if s.use_distributors else 0.0
        if s.use_distributors:
            sold_units = np.bincount(t.distributor, t.units, minlength=m.distributors)
            sold_value = np.bincount(t.distributor, t.purchases, minlength=m.distributors)
            self.distributors.pass_on(sold_units, sold_value, margin)
            channel_units = float(self.distributors.received.sum())
            channel_revenue = float(self.distributors.purchases.sum())
        else:
            self.distributors.pass_on(np.zeros(m.distributors), np.zeros(m.distributors), 0.0)
            channel_units = float(t.units.sum())
            channel_revenue = float(t.purchases.sum())
        pick, units, rows = deal["pick"], deal["units"], deal["rows"]
        seg = a.segment[rows]
        own = pick == 1
        own_units = float(units[own].sum())
        own_revenue = float((units[own] * deal["own_price"][own]).sum())
        online_units = float(txn["online_units"].sum())
        online_revenue = float((txn["online_units"] * txn["online_price"]).sum())
        direct_won = pick == 0
        direct_units_txn = float(txn["direct_units"].sum())
        direct_units = float(units[direct_won].sum()) + direct_units_txn
        revenue_direct = direct_units * self.direct_seller.price
        revenue_vendor = channel_revenue + own_revenue + online_revenue
        vendor_shipped = channel_units + own_units + online_units
        partner_sale_value = float(
            (deal["partner_units"] * deal["partner_price"]).sum()
            + (retail * txn["sale_price"]).sum()
        )
        self.ledger = {
            "accounts_paid_partners": partner_sale_value,
            "partner_revenue": float(t.revenue.sum()),
            "partners_paid": float(t.purchases.sum()),
            "distributor_revenue": float(self.distributors.revenue.sum())
            if s.use_distributors
            else float(t.purchases.sum()),
            "vendor_channel_revenue": channel_revenue,
            "distributors_paid": float(self.distributors.purchases.sum())
            if s.use_distributors
            else channel_revenue,
            "accounts_paid_vendor": own_revenue + online_revenue,
            "revenue_vendor": revenue_vendor,
            "units_vendor_shipped": vendor_shipped,
            "units_distributors_received": channel_units if s.use_distributors else 0.0,
            "units_distributors_shipped": float(self.distributors.shipped.sum()),
            "units_partners_received": float(t.units.sum()),
            "units_partners_shipped": float(deal["partner_units"].sum() + retail.sum()),
            "units_accounts_received_vendor": float(
                deal["partner_units"].sum() + retail.sum() + own_units + online_units
            ),
            "inventory": float(self.distributors.inventory.sum()),
        }

        # 10. partners
        reseller_rules.train(self)
        reseller_rules.settle(self)
        reseller_rules.feel(self)
        rebates = reseller_rules.close_quarter(self) if self.month_in_quarter == 2 else 0.0
        reseller_rules.enter(self)

        bad_debt = self.bad_debt
        program = self.vendor.program_cost(rebates)
        program_cost = float(sum(program.values()))
        vendor_costs = (
            m.vendor_unit_cost * vendor_shipped
            + program_cost
            + bad_debt
            + s.account_managers * m.am_cost
            + m.phone_cost * float(a.phone_vendor.sum())
        )
        profit_vendor = revenue_vendor - vendor_costs + gray["fines"]
        profit_direct = (
            revenue_direct - m.direct.unit_cost * direct_units - self.direct_seller.costs()
        )

        # 11. metrics
        def share(vendor_u: float, direct_u: float) -> tuple[float, float]:
            total = vendor_u + direct_u
            if total <= 0:
                return float("nan"), float("nan")
            return vendor_u / total, direct_u / total

        vendor_side = pick >= 1
        seg_units = {}
        for segment in Segment:
            here = seg == segment
            seg_units[segment] = share(
                float(units[here & vendor_side].sum()), float(units[here & direct_won].sum())
            )
        txn_vendor = float(retail.sum()) + online_units
        key = a.segment == Segment.KEY
        key_rows = seg == Segment.KEY
        decided = pick >= 0
        self.win_counts.append(
            np.array(
                [
                    (deal["vendor_bid"] & key_rows & decided).sum(),
                    (vendor_side & key_rows).sum(),
                    (deal["direct_bid"] & key_rows & decided).sum(),
                    (direct_won & key_rows).sum(),
                ],
                dtype=float,
            )
        )
        wins = np.sum(self.win_counts, axis=0)
        vendor_total = float(units[vendor_side].sum()) + txn_vendor
        direct_total = direct_units
        vendor_rel_key = relationships.noisy_or(a.rel_vendor[key], a.rel_partner[key].max(axis=1))
        contact = (a.effort_vendor > 0) | a.phone_vendor | (a.effort_partner > 0).any(axis=1)
        active = t.active
        stage_counts = np.bincount(a.opp_stage[a.opp_open], minlength=4)
        price_cv = market_rules.price_dispersion(self, txn)
        channel_sold = float(retail.sum()) + float(deal["partner_units"].sum())
        gray_share = gray["gray_units"] / max(channel_sold, 1e-9)
        complaints = float(t.complaint[active].mean()) if active.any() else 0.0

        self.last = {
            "share_vendor_total": share(vendor_total, direct_total)[0],
            "share_vendor_key": seg_units[Segment.KEY][0],
            "share_direct_key": seg_units[Segment.KEY][1],
            "share_vendor_global": seg_units[Segment.GLOBAL][0],
            "share_direct_global": seg_units[Segment.GLOBAL][1],
            "share_vendor_mid": seg_units[Segment.MID][0],
            "share_direct_mid": seg_units[Segment.MID][1],
            "share_vendor_txn": share(txn_vendor, direct_units_txn)[0],
            "share_direct_txn": share(txn_vendor, direct_units_txn)[1],
            "revenue_vendor": revenue_vendor,
            "profit_vendor": profit_vendor,
            "revenue_direct": revenue_direct,
            "profit_direct": profit_direct,
            # every partner in the channel this month, including those that left in it
            "profit_resellers": float(t.profit[active_at_start | active].sum()),
            "active_resellers": float(active.sum()),
            "partner_satisfaction": float(t.satisfaction[active].mean()) if active.any() else 0.0,
            "relationship_vendor_key": float(vendor_rel_key.mean()) if key.any() else 0.0,
            "relationship_direct_key": float(a.rel_direct[key].mean()) if key.any() else 0.0,
            "relationships_lost": lost,
            "win_rate_vendor_key": wins[1] / wins[0] if wins[0] else 0.0,
            "win_rate_direct_key": wins[3] / wins[2] if wins[2] else 0.0,
            "opportunities_open": float(a.opp_open.sum()),
            "opportunities_won_vendor": float(vendor_side.sum()),
            "opportunities_won_direct": float(direct_won.sum()),
            "gray_market_units": gray["gray_units"],
            "conflict_index": graymarket.conflict_index(gray_share, price_cv, complaints),
            "coverage_key": float(contact[key].mean()) if key.any() else 0.0,
            "mean_partner_capability": float(
                ((t.skill + t.knowledge + t.competition) / 3.0)[active].mean()
            )
            if active.any()
            else 0.0,
            "vendor_margin_per_unit": (
                revenue_vendor - m.vendor_unit_cost * vendor_shipped - program_cost
            )
            / max(vendor_shipped, 1e-9),
            "channel_program_cost": program_cost,
            "bad_debt_vendor": bad_debt,
            "funnel_identified": float(stage_counts[Stage.IDENTIFIED]),
            "funnel_qualified": float(stage_counts[Stage.QUALIFIED]),
            "funnel_proposal": float(stage_counts[Stage.PROPOSAL]),
            "funnel_decision": float(stage_counts[Stage.DECISION]),
            "units_vendor": vendor_total,
            "units_direct": direct_total,
            "units_online": online_units,
            "units_channel": float(t.units.sum()),
            "partner_exits": float(self.exits - exits0),
            "partner_entries": float(self.entries - entries0),
            "complaint_share": complaints,
            "price_dispersion": price_cv,
            "relationship_partners": float((t.relationship_partner & active).sum()),
            "tier1_resellers": float(((t.tier == 1) & active).sum()),
        }
        self.datacollector.collect(self)


def change_label(change) -> str:
    """A short label for a dated change that switches no preset."""
    parts = [f"{k}={v}" for k, v in {**change.market, **change.levers}.items()]
    return ("event: " if change.market else "levers: ") + ", ".join(parts)


def _metric(model: ChannelModel, name: str) -> float:
    return model.last[name]
