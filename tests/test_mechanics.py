"""Hand-computed cases for the pure mechanics (no Mesa, no model)."""

from __future__ import annotations

import numpy as np
import pytest

from channelsim.config.behaviour import BuyerBehaviour
from channelsim.mechanics import choice, graymarket, partners, pricing, relationships


def test_grow_follows_the_update_rule():
    r = np.array([0.0, 0.5, 1.0])
    out = relationships.grow(r, effort=np.array([1.0, 0.5, 0.0]), rate=0.2, decay=0.1)
    # r + a e (1 - r) - d r
    assert out == pytest.approx([0.2, 0.5 + 0.2 * 0.5 * 0.5 - 0.05, 0.9])


def test_build_grows_towards_its_ceiling_and_never_past_it():
    r = np.array([0.0, 0.5, 0.2])
    out = relationships.build(r, np.array([0.6, 0.4, 0.8]), np.array([0.1, 0.1, 0.0]), 0.01)
    # 0 + 0.1 * 0.6; 0.5 over a ceiling of 0.4 is held to it; untended, 0.2 fades by 1%
    assert out == pytest.approx([0.06, 0.4, 0.198])


def test_grow_stays_in_unit_interval():
    r = np.array([0.99])
    assert relationships.grow(r, np.array([1.0]), 5.0, 0.0)[0] == 1.0
    assert relationships.grow(np.array([0.1]), np.array([0.0]), 0.1, 2.0)[0] == 0.0


def test_depart_keeps_the_company_share():
    r = np.array([0.8, 0.8, 0.4])
    leaving = np.array([True, False, True])
    kept, lost = relationships.depart(r, leaving, keep=0.75)
    assert kept == pytest.approx([0.6, 0.8, 0.3])
    assert lost == pytest.approx([0.2, 0.0, 0.1])
    _, lost_without_care = relationships.depart(r, leaving, keep=0.15)
    assert lost_without_care.sum() > lost.sum()


def test_noisy_or():
    assert relationships.noisy_or(np.array([0.5]), np.array([0.5]))[0] == pytest.approx(0.75)
    assert relationships.noisy_or(np.array([0.0]), np.array([0.3]))[0] == pytest.approx(0.3)


def test_utilities_hand_computed():
    centre = np.array([[1.0, 0.0, 0.0, 0.0]])  # purchasing alone
    attr = np.array([[[0.9, 0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0, 1.0]]])
    weights = choice.role_weights(BuyerBehaviour())
    u = choice.utilities(centre, attr, price_sensitivity=6.0, value_scale=2.0, weights=weights)
    w = weights[0]
    assert list(w) == BuyerBehaviour().weights_purchasing
    assert u[0, 0] == pytest.approx(-6.0 * w[0] * (0.9 - 1.0))
    assert u[0, 1] == pytest.approx(2.0 * w[1:].sum())


def test_logit_choice_matches_logit_probabilities():
    rng = np.random.default_rng(1)
    n = 40000
    u = np.tile([1.0, 0.0], (n, 1))
    avail = np.ones((n, 2), dtype=bool)
    pick = choice.logit_choice(u, avail, defer_utility=0.5, noise=rng.gumbel(size=(n, 3)))
    e = np.exp([1.0, 0.0, 0.5])
    p = e / e.sum()
    observed = [np.mean(pick == 0), np.mean(pick == 1), np.mean(pick == -1)]
    assert observed == pytest.approx(p, abs=0.01)


def test_logit_choice_never_picks_unavailable():
    rng = np.random.default_rng(2)
    u = np.array([[10.0, 0.0], [0.0, 10.0]])
    avail = np.array([[False, True], [False, False]])
    pick = choice.logit_choice(u, avail, defer_utility=-50.0, noise=rng.gumbel(size=(2, 3)))
    assert pick[0] == 1
    assert pick[1] == -1


def test_logit_shares_sum_below_one_with_outside_option():
    s = choice.logit_shares(np.array([[0.0, 0.0]]), outside=0.0, scale=1.0)
    assert s[0] == pytest.approx([1 / 3, 1 / 3])


def test_channel_cost_and_map_floor():
    cost = pricing.channel_cost(1.0, 0.1, np.array([0.0]), np.array([0.02]), 0.03)
    assert cost[0] == pytest.approx(0.9 * 0.98 * 1.03)
    price = pricing.retail_price(
        np.array([0.9, 0.9]), np.array([0.05, 0.05]), 1.0, np.array([True, False])
    )
    assert price == pytest.approx([1.0, 0.945])


def test_bid_markup_shrinks_with_rival_partners():
    out = pricing.bid_markup(np.array([0.06, 0.06, 0.06]), np.array([0, 1, 3]))
    assert out == pytest.approx([0.06, 0.06, 0.02])


def test_diversion_share_against_expected_penalty():
    gap = np.array([0.01, 0.10, 0.50])
    share = graymarket.diversion_share(
        gap, transport=0.02, audit_probability=0.2, penalty=0.1, elasticity=4.0, cap=0.5
    )
    # excess = gap - 0.02 - 0.02
    assert share == pytest.approx([0.0, 4.0 * 0.06, 0.5])
    audited = graymarket.diversion_share(gap, 0.02, 0.9, 0.1, 4.0, 0.5)
    assert (audited <= share).all()


def test_conflict_index_formula():
    assert graymarket.conflict_index(0.0, 0.0, 0.0, 3.0, 5.0) == 0.0
    assert graymarket.conflict_index(0.1, 0.02, 0.5, 3.0, 5.0) == pytest.approx(
        1 - (1 - 0.3) * (1 - 0.1) * (1 - 0.5)
    )
    assert graymarket.conflict_index(1.0, 1.0, 1.0, 3.0, 5.0) == 1.0


def test_learning_rises_with_spend_and_saturates():
    level = np.array([0.2, 0.2, 0.99])
    out = partners.learn(level, np.array([0.0, 10.0, 10.0]), half=10.0, rate=0.2, forget=0.0)
    assert out[0] == pytest.approx(0.2)
    assert out[1] == pytest.approx(0.2 + 0.2 * 0.5 * 0.8)
    assert out[2] <= 1.0


def test_tiers_put_the_strongest_share_in_tier_one_as_a_review_judges_them():
    strength = np.array([5.0, 1.0, 3.0, 4.0, 2.0, 9.0])
    active = np.array([True, True, True, True, True, False])
    half = np.full(6, 0.5)
    # the 60% quantile of the active strengths is 3.4: with a small error, above it is tier 1
    tier = partners.tiers(strength, active, top_share=0.4, error=1e-3, draw=half)
    assert list(tier) == [1, 2, 2, 1, 2, 2]
    # with an error as wide as the gaps, the 3 just below the cutoff is tier 1 by chance:
    # judged above with chance 1 / (1 + e^0.4), about 0.40
    lucky = np.array([0.5, 0.5, 0.39, 0.5, 0.5, 0.5])
    tier = partners.tiers(strength, active, top_share=0.4, error=1.0, draw=lucky)
    assert list(tier) == [1, 2, 1, 1, 2, 2]


def test_credit_line_only_for_reputable_partners():
    line = partners.credit_line(np.array([100.0, 100.0, -5.0]), 2.0, np.array([True, False, True]))
    assert line == pytest.approx([200.0, 0.0, 0.0])


def test_default_hazard_rises_with_debt_and_thin_capital():
    def hazard(capital, owed):
        return partners.default_hazard(0.01, np.array([capital]), np.array([owed]), 100.0, 4.0, 0.1)

    healthy, indebted, broke = hazard(200.0, 0.0), hazard(200.0, 400.0), hazard(0.0, 0.0)
    assert healthy[0] == pytest.approx(0.01)
    assert indebted[0] > healthy[0]
    assert broke[0] == pytest.approx(0.05)


def test_brand_choice_compares_brands_on_their_best_offer():
    rng = np.random.default_rng(3)
    n = 40000
    # brand 0 makes one offer; brand 1 makes three identical ones: no advantage from numbers
    u = np.zeros((n, 4))
    avail = np.ones((n, 4), dtype=bool)
    pick = choice.brand_choice(u, avail, np.array([0, 1, 1, 1]), -50.0, rng.gumbel(size=(n, 3)))
    assert np.mean(pick == 0) == pytest.approx(0.5, abs=0.01)
    # within a brand, the best offer is the one taken
    u2 = np.tile([0.0, 0.1, 2.0, 0.5], (100, 1))
    pick2 = choice.brand_choice(
        u2, np.ones((100, 4), bool), np.array([0, 1, 1, 1]), -50.0, rng.gumbel(size=(100, 3))
    )
    assert set(pick2.tolist()) <= {0, 2}
    # a brand with nothing available is never chosen
    none = np.array([[True, False, False, False]] * 50)
    shocks = rng.gumbel(size=(50, 3))
    assert (choice.brand_choice(u2[:50], none, np.array([0, 1, 1, 1]), -50.0, shocks) == 0).all()


def test_a_review_judges_weak_by_its_error_around_the_cutoff():
    chance = partners.judged_weak(np.array([1.0, 0.9, 1.1, -5.0, 9.0]), 1.0, 0.1)
    e = np.exp(1.0)
    assert chance[:3] == pytest.approx([0.5, e / (1 + e), 1 / (1 + e)])
    assert chance[3] == pytest.approx(1.0) and chance[4] == pytest.approx(0.0)


def test_discounts_take_at_most_the_whole_price():
    cost = pricing.channel_cost(1.0, 0.1, np.array([0.0, -0.2]), np.array([0.5, 1.5]), 0.0)
    assert cost == pytest.approx([0.45, 0.0])
