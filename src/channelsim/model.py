"""ChannelModel: a vendor's channel against any number of sellers, one month per step."""

from __future__ import annotations

import copy
from collections import deque
from functools import partial
from typing import Any

import mesa
import numpy as np

from channelsim import books, metrics
from channelsim.agents import account as account_rules
from channelsim.agents import regional_market as market_rules
from channelsim.agents import reseller as reseller_rules
from channelsim.agents.account import Account
from channelsim.agents.distributor import Distributor, DistributorTable
from channelsim.agents.records import Decisions, GrayFlows, RetailSales
from channelsim.agents.regional_market import RegionalMarket
from channelsim.agents.reseller import Reseller
from channelsim.agents.seller import Seller
from channelsim.agents.tables import (
    AccountTable,
    centre_alpha,
    draw_reseller,
    empty_resellers,
    grown,
)
from channelsim.config.schema import DIRECT, ChannelConfig
from channelsim.config.validate import (
    ConfigError,
    check_market_kind,
    check_value,
    closest,
    schema_rows,
    validate,
)
from channelsim.domain import MONTHS_PER_QUARTER, MONTHS_PER_YEAR, Role, Segment
from channelsim.mechanics.brands import pair_lines
from channelsim.metrics import METRICS, WIN_RATE_WINDOW  # noqa: F401 (channelsim.METRICS)
from channelsim.network import draw_coverage
from channelsim.policies import Timeline, month_index, month_label
from channelsim.streams import Streams

# numerical: room for entrants, as a share of the starting resellers (the table's size)
SPARE_RESELLERS = 0.5


class ChannelModel(mesa.Model):
    """The channel market of CASE.md: a vendor, its distributors and resellers, the other
    sellers (the direct seller of the case, brands selling through their own resellers),
    enterprise accounts and regional transactional markets.

    Args:
        config: a validated config (see `channelsim.compose`) of a channel market.
    """

    KINDS = ("channel",)  # the markets it simulates
    SETTLES = False  # a channel market moves on with its scenario; it is not solved

    @classmethod
    def supports(cls, command: str) -> bool:
        """Every command takes the channel market."""
        return True

    def __init__(self, config: ChannelConfig) -> None:
        config = validate(copy.deepcopy(config))
        check_market_kind(config.market, self.KINDS, type(self).__name__)
        root = np.random.SeedSequence(config.seed)
        # numerical: the start's streams
        model_stream, network_stream, firm_stream, it_stream = root.spawn(4)
        super().__init__(rng=np.random.default_rng(model_stream))  # the start's draws
        self.streams = Streams(config.seed)  # every later draw (channelsim.streams)
        self.config = config
        self.market = copy.deepcopy(config.market)
        self.strategy = copy.deepcopy(config.strategy)
        self.timeline = Timeline(config)
        self.start_index = month_index(self.market.start)
        self.changes: list[tuple[str, str]] = []
        # adaptive sellers' lever changes: (month, seller, {lever: new value})
        self.responses: list[tuple[str, str, dict[str, float]]] = []
        self.held_levers: dict[str, Any] = {}  # set mid-run by set_levers, held until released
        self._lever_mark: tuple[str, dict[str, Any], str] | None = None
        sellers = len(config.market.sellers)
        self.exits = np.zeros(sellers, np.int64)  # each seller's partners that left, entered
        self.entries = np.zeros(sellers, np.int64)
        self._build(
            np.random.default_rng(network_stream),
            np.random.default_rng(firm_stream),
            np.random.default_rng(it_stream),
        )
        self.metric_names = metrics.metric_names([seller.name for seller in self.sellers])
        self.last: dict[str, float] = dict.fromkeys(self.metric_names, 0.0)
        self.month: books.Month | None = None  # the last month's phases, once one has run
        self.ledger: dict[str, float] = {}
        self.win_counts: deque[np.ndarray] = deque(maxlen=WIN_RATE_WINDOW)
        self.datacollector = mesa.DataCollector(
            model_reporters={name: partial(_metric, name=name) for name in self.metric_names}
        )

    # ------------------------------------------------------------------ build
    def _build(
        self,
        net_rng: np.random.Generator,
        firm_rng: np.random.Generator,
        it_rng: np.random.Generator,
    ) -> None:
        m, rng, d = self.market, self.rng, self.market.population
        g = m.n_regions
        self.region_size = account_rules.mean_one(rng, d.region_spread, g)
        self.promo = np.zeros(g)
        self.region_demand = self.region_size * m.txn_units_per_region
        self.region_price = np.ones(g)

        # the sellers in the order of their rows (Seller.row): the market's order
        names = list(m.sellers)
        capabilities = list(m.sellers.values())
        n0 = g * m.resellers_per_region
        spare = int(np.ceil(SPARE_RESELLERS * n0))
        self.resellers = empty_resellers(n0 + spare, names.index(m.focal))
        start_rows = np.arange(n0)
        draw_reseller(self.resellers, start_rows, start_rows // m.resellers_per_region, m, rng)
        self.resellers_used = n0
        t = self.resellers
        richest = np.quantile(t.capital[:n0], 1 - d.tier1_start)
        t.tier[:n0] = np.where(t.capital[:n0] >= richest, 1, 2)
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
        size = mean_size * rng.lognormal(d.account_log_mean, d.account_spread, n)
        centre = np.empty((n, len(Role)))
        for s_, alpha in centre_alpha(m.buyers).items():
            rows = seg == s_
            centre[rows] = rng.dirichlet(alpha, int(rows.sum()))
        k = m.coverage_per_account
        cover = draw_coverage(region, t.region[:n0], k, net_rng)
        # the sellers' shares of the resellers
        self.partner_shares = np.array([c.partner_share for c in capabilities])
        t.seller[:n0] = deal_resellers(t.region[:n0], self.partner_shares, net_rng)
        self.note_brands()
        # firms carrying two brands: pairs of starting lines (mechanics.brands)
        self.multi_brand = d.multi_brand > 0 and self.single_brand is None
        if self.multi_brand:
            t.firm[:n0] = pair_lines(
                t.region[:n0], t.b2b[:n0], t.seller[:n0], d.multi_brand, firm_rng
            )
        # the vendor starts as the incumbent of most accounts, through its resellers' ties
        rel_partner = np.zeros((n, k))
        rel_partner[:, 0] = rng.uniform(d.partner_tie_lo, d.partner_tie_hi, n)
        rel_partner[:, 1:] = rng.uniform(0.0, d.other_ties, (n, k - 1))
        # who supplied each account at the start (its row), by the sellers' weights in its
        # segment; then each seller's own relationships: the vendor's draws first
        order = [names.index(m.focal)] + [i for i, name in enumerate(names) if name != m.focal]
        incumbent = draw_incumbents(rng.random(n), seg, [capabilities[i] for i in order])
        incumbent = np.array(order, np.int8)[incumbent]
        rel = np.empty((len(names), n))
        for i in order:
            rel[i] = rng.random(n) * start_relationship(capabilities[i])[seg]
        if self.single_brand is None:
            incumbents_partner_first(rel_partner, t.seller[cover], incumbent)
        z = np.zeros
        self.accounts = AccountTable(
            segment=seg,
            region=region,
            size=size,
            centre=centre,
            in_house=it_rng.random(n) < d.in_house_it,
            cover=cover,
            rel=rel,  # a row a seller (Seller.row)
            rel_partner=rel_partner,
            rel_team=z((n, k)),  # no joint team has worked an account yet
            team_trust=z((n, k)),
            holder=np.full((len(names), n), -1, np.int64),
            owner=np.full((len(names), n), -1, np.int64),
            incumbent=incumbent,
            effort=z((len(names), n)),
            effort_partner=z((n, k)),
            phone=z((len(names), n), bool),
            opp_open=z(n, bool),
            opp_stage=z(n, np.int8),
            opp_units=z(n),
            opp_age=z(n, np.int32),
            found=z((len(names), n), bool),
            found_partner=z((n, k), bool),
            registered=np.full((len(names), n), -1, np.int64),
        )
        self.distributors = DistributorTable(len(names), m.distributors)
        self.sellers = tuple(Seller(self, row, name) for row, name in enumerate(names))
        self.vendor = self.sellers[names.index(m.focal)]
        # the direct seller of the case, when the market has it
        self.direct_seller = self.sellers[names.index(DIRECT)] if DIRECT in names else None
        self.bad_debt = np.zeros(len(self.sellers))
        self.plan_routes()
        reseller_rules.select_partners(self)
        reseller_rules.plan_owners(self)
        weight = market_rules.retail_pull(t, m.partners)
        # all the shops' pull in each region at the start: a seller's retail availability
        # is its shops' pull as a share of it
        self.initial_region_weight = np.maximum(
            np.bincount(t.region, weight, minlength=g),
            1e-9,  # numerical: > 0
        )

        for i in range(m.distributors):
            Distributor(self, i)
        for i in range(g):
            RegionalMarket(self, i)
        self.reseller_agents: dict[int, Reseller] = {}  # the active resellers' agents by row
        for r in range(n0):
            self.add_reseller_agent(r)
        Account.create_agents(self, n, row=list(range(n)))

    def add_reseller_agent(self, row: int) -> Reseller:
        """A Mesa agent for a reseller that entered the market."""
        agent = self.reseller_agents[row] = Reseller(self, row)
        return agent

    def keep_room_for_entrants(self) -> None:
        """At most one reseller enters a region in a month: when fewer spare rows are left
        than there are regions, the table grows by as many spare rows as it started with,
        before the month begins (its arrays keep one size all month)."""
        m = self.market
        if self.resellers.n - self.resellers_used >= m.n_regions:
            return
        extra = max(
            m.n_regions, int(np.ceil(SPARE_RESELLERS * m.n_regions * m.resellers_per_region))
        )
        self.resellers = grown(self.resellers, extra, self.vendor.row)
        self.credit = np.concatenate([self.credit, np.zeros(extra)])
        self.note_brands()

    # ------------------------------------------------------------------ time
    @property
    def date(self) -> str:
        """The month being (or last) simulated, YYYY-MM."""
        return month_label(self.start_index + max(self.steps - 1, 0))

    @property
    def years_elapsed(self) -> int:
        """Calendar years begun since the start year (0 in the first year)."""
        month = self.start_index + max(self.steps - 1, 0)
        return month // MONTHS_PER_YEAR - self.start_index // MONTHS_PER_YEAR

    @property
    def month_in_quarter(self) -> int:
        return (self.start_index + max(self.steps - 1, 0)) % MONTHS_PER_QUARTER

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
        """One month, phase by phase (docs/ODD.md section 3)."""
        self.streams.month += 1
        self.apply_policy()
        month = self.open_month()
        self.set_channel_terms()
        self.assign_effort()
        month.lost = account_rules.tend_relationships(self)
        self.find_projects()
        month.decisions = self.decide(month)
        month.sales, month.gray = self.sell_transactional(month)
        books.channel_flows(self, month)
        self.ledger = books.ledger(self, month)
        rebates = self.run_partners()
        books.profits(self, month, rebates)
        for seller in self.sellers:  # adaptive sellers review their levers by their books
            seller.adapt(float(month.profit[seller.row]))
        self.last = metrics.month_metrics(self, month)
        self.month = month  # what the month's phases found, kept until the next
        self.datacollector.collect(self)

    def apply_policy(self) -> None:
        """The scenario's dated changes; a new policy re-selects relationship partners and
        re-plans accounts at once."""
        self.strategy, changes = self.timeline.apply(self.date, self.strategy, self.market)
        for change in changes:
            self.changes.append((self.date, change.label))
            if change.acquisition:
                self.acquire(**change.acquisition)
        if any(
            change.strategy
            or change.levers
            or change.acquisition
            or any(".policy." in k for k in change.market)
            for change in changes
        ):
            reseller_rules.select_partners(self)
            reseller_rules.plan_owners(self)
        self.plan_routes()

    def acquire(self, buyer: str, seller: str, share: float) -> None:
        """`buyer` takes over `share` of `seller`'s business, the part it buys drawn at
        random: that share of the accounts `seller` last supplied turn to the buyer, with
        the seller's ties to them (the buyer keeps the stronger of its own and the seller's;
        the seller's reps and partners' plans there end); that share of its active
        resellers carry the buyer's products from now on, with what they owe; that share
        of its field reps join the buyer's; and that share of its online sales' reach
        passes to the buyer."""
        names = [s.name for s in self.sellers]
        b, s = self.sellers[names.index(buyer)], self.sellers[names.index(seller)]
        a, t = self.accounts, self.resellers
        draws = self.streams("acquisition")
        moved = (draws.random(a.n) < share) & (a.incumbent == s.row)
        a.incumbent[moved] = b.row
        a.rel[b.row, moved] = np.maximum(a.rel[b.row, moved], a.rel[s.row, moved])
        for table, empty in ((a.rel, 0.0), (a.holder, -1), (a.owner, -1), (a.registered, -1)):
            table[s.row, moved] = empty
        partners = (draws.random(t.n) < share) & t.active & (t.seller == s.row)
        owed = float(t.receivable[partners].sum())
        s.lent -= owed
        b.lent += owed
        t.seller[partners] = b.row
        self.note_brands()
        reps = round(s.reps * share)
        s.reps -= reps
        b.reps += reps
        bought, sold = b.capabilities, s.capabilities
        reach = sold.consumer_availability * share
        bought.consumer_availability = min(1.0, bought.consumer_availability + reach)
        sold.consumer_availability -= reach

    def plan_routes(self) -> None:
        """Which accounts each seller serves on its own route this month (`served`, one
        row a seller: its partners stand aside there) and with joint teams of its reps
        and its partners (`joint`)."""
        self.served = np.stack([seller.serves() for seller in self.sellers])
        self.joint = np.stack([seller.joint() for seller in self.sellers])

    def open_month(self) -> books.Month:
        """The resellers' month starts from nothing sold; what the books compare against."""
        self.keep_room_for_entrants()
        t = self.resellers
        for name in (
            "units",
            "revenue",
            "purchases",
            "profit",
            "key_wins",
            "gray_lost",
            "diverted",
            "credited",
            "repaid",
            "drawn",
        ):
            getattr(t, name)[:] = 0.0
        month = books.Month(
            self.exits.copy(), self.entries.copy(), t.active.copy(), len(self.sellers)
        )
        self.bad_debt = np.zeros(len(self.sellers))
        for seller in self.sellers:
            seller.tally = dict.fromkeys(seller.tally, 0.0)
        return month

    def set_channel_terms(self) -> None:
        """Each quarter the regions' price promotions change; every seller with partners
        sets its channel's terms for the month."""
        with_partners = [seller for seller in self.sellers if seller.has_partners()]
        if with_partners and self.month_in_quarter == 0:
            spread = self.market.regional_price_spread
            promotions = self.streams("promotions")
            self.promo = promotions.uniform(-spread, spread, self.market.n_regions)
        for seller in with_partners:
            seller.set_terms()

    def note_brands(self) -> None:
        """Note whose products the reseller rows carry, after they change (`single_brand`:
        the seller, its row, whose products every row carries; None when rows carry
        different sellers')."""
        seller = self.resellers.seller
        first = int(seller[0])
        self.single_brand = first if bool((seller == first).all()) else None

    def partner_lever(self, name: str, rows: np.ndarray | None = None) -> Any:
        """A lever of each reseller's seller's policy, one value per reseller row (or per
        entry of `rows`, reseller rows such as coverage slots): every partner works under
        the policy of the seller whose products it carries (one value for all when they
        all carry one seller's)."""
        single = self.single_brand
        if single is not None:
            return getattr(self.sellers[single].policy, name)
        values = np.array([getattr(seller.policy, name) for seller in self.sellers])
        seller = self.resellers.seller
        return values[seller if rows is None else seller[rows]]

    def by_slot(self, table: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """A per-seller table of the accounts (sellers, accounts), read for each coverage
        slot of accounts `rows` (all by default) at the seller of the partner in the
        slot: (rows, slots), or (rows, 1) when every partner carries one seller's."""
        a, single = self.accounts, self.single_brand
        if single is not None:  # one column (a view when every account is read)
            return (table[single] if rows is None else table[single, rows])[:, None]
        rows = np.arange(a.n) if rows is None else rows
        return table[self.resellers.seller[a.cover[rows]], rows[:, None]]

    def assign_effort(self) -> None:
        """Every seller's field reps and the partners' reps spread their time over
        accounts."""
        for seller in self.sellers:
            seller.assign_effort()
        account_rules.assign_partner_effort(self)

    def find_projects(self) -> None:
        """Accounts open purchase projects; sellers learn of them."""
        account_rules.open_projects(self)
        account_rules.discover(self)

    def decide(self, month: books.Month) -> Decisions:
        """Projects at their decision stage pick an offer or defer; the rest move on."""
        decisions = account_rules.decide(self)
        account_rules.advance_funnel(self, decisions.rows)
        brand = self.resellers.seller[decisions.partner_row]
        books.record_account_purchases(month, decisions, brand)
        return decisions

    def sell_transactional(self, month: books.Month) -> tuple[RetailSales, GrayFlows]:
        """Each region's walk-in, online and phone sales, then the gray market's flows."""
        month.sales = market_rules.transactional(self)
        month.gray = market_rules.gray_market(self, month.sales)
        books.sell_retail(self, month)
        return month.sales, month.gray

    def run_partners(self) -> np.ndarray:
        """Partners train, settle, weigh the channel, close a quarter (returning the
        rebates each seller pays) and enter or leave."""
        reseller_rules.train(self)
        reseller_rules.settle(self)
        reseller_rules.feel(self)
        rebates = np.zeros(len(self.sellers))
        if self.month_in_quarter == 2:
            rebates = reseller_rules.close_quarter(self)
        reseller_rules.enter(self)
        return rebates


def draw_incumbents(uniform: np.ndarray, segment: np.ndarray, sellers: list) -> np.ndarray:
    """Each account's supplier at the start, as an index of `sellers` (their capabilities):
    its uniform draw falls in one seller's part of its segment's weights, in their order
    (the last seller's where no seller has weight in the segment)."""
    weights = np.array([[s.incumbent_mid, s.incumbent_key, s.incumbent_global] for s in sellers])
    bounds = np.cumsum(weights, axis=0) / np.maximum(weights.sum(axis=0), 1e-12)  # numerical: > 0
    below = (uniform[None, :] >= bounds[:, segment]).sum(axis=0)
    return np.minimum(below, len(sellers) - 1)


def incumbents_partner_first(
    rel_partner: np.ndarray, brand: np.ndarray, incumbent: np.ndarray
) -> None:
    """An account's strongest tie at the start (slot 0's) is with a partner of its
    incumbent supplier (its row) where one covers it: the tie moves to the first such
    slot."""
    theirs = brand == incumbent[:, None]
    move = theirs.any(axis=1) & ~theirs[:, 0]
    rows = np.flatnonzero(move)
    slot = np.argmax(theirs[rows], axis=1)
    rel_partner[rows, 0], rel_partner[rows, slot] = rel_partner[rows, slot], rel_partner[rows, 0]


def deal_resellers(region: np.ndarray, shares: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The seller (its row) whose products each starting reseller carries: in each region
    the resellers are shared out by the sellers' partner shares (largest remainders), in
    a random order. With one seller holding them all, nothing is drawn."""
    if np.count_nonzero(shares) == 1:
        return np.full(region.size, int(np.argmax(shares)), np.int8)
    seller = np.empty(region.size, np.int8)
    for g in np.unique(region):
        rows = np.flatnonzero(region == g)
        seller[rng.permutation(rows)] = np.repeat(
            np.arange(shares.size), apportion(shares, rows.size)
        )
    return seller


def apportion(shares: np.ndarray, n: int) -> np.ndarray:
    """`n` items shared out in proportion to `shares` (summing to 1) by largest remainders."""
    exact = shares * n
    counts = np.floor(exact).astype(np.int64)
    left = n - int(counts.sum())
    counts[np.argsort(-(exact - counts), kind="stable")[:left]] += 1
    return counts


def start_relationship(seller) -> np.ndarray:
    """The most a seller's own relationship with an account can be at the start, by
    segment (mid, key, global): each account's is drawn uniformly up to it."""
    return np.array([seller.relationship_mid, seller.relationship_key, seller.relationship_global])


def _metric(model: ChannelModel, name: str) -> float:
    return model.last[name]
