"""Buying-centre choice: stakeholders score offers; a multinomial logit with defer picks."""

from __future__ import annotations

import numpy as np

from channelsim.domain import Attribute


def role_weights(buyers) -> np.ndarray:
    """The 4 x 5 matrix of how each role of a buying centre (purchasing, users, IT,
    executives: rows) weighs price, relationship, trust, fit and service (columns), from
    `market.buyers`. Purchasing weighs price; users weigh fit and service; IT weighs fit
    and trust; executives weigh relationship and trust (CASE.md section 1: group
    decisions)."""
    return np.array(
        [
            buyers.weights_purchasing,
            buyers.weights_user,
            buyers.weights_it,
            buyers.weights_executive,
        ]
    )


def in_house_it(attributes: np.ndarray, inside: np.ndarray, ties: float, service: float) -> None:
    """Offers to accounts with IT staff of their own (`inside`, a row each), in place:
    their staff give at least `service`, whoever sells, and do without `ties` of each
    seller's and partner's relationship. How buyers weigh price, relationship, trust, fit
    and service stays as it is; what the offers bring them changes."""
    mine = attributes[inside]
    mine[..., Attribute.RELATIONSHIP] *= 1.0 - ties
    mine[..., Attribute.SERVICE] = np.maximum(mine[..., Attribute.SERVICE], service)
    attributes[inside] = mine


def utilities(
    centre: np.ndarray,
    attributes: np.ndarray,
    price_sensitivity: float,
    value_scale: float,
    weights: np.ndarray,
) -> np.ndarray:
    """Deterministic utility of each offer to each buying centre.

    Args:
        centre: (n, roles) stakeholder weights of each buying centre, rows summing to 1.
        attributes: (n, offers, 5) price relative to list (1 = list price), relationship,
            trust, fit and service, each in [0, 1] but price.
        price_sensitivity: utility lost per unit of relative price.
        value_scale: utility of a full point of relationship, trust, fit or service.
        weights: (roles, 5) how each role weighs the attributes (`role_weights`).

    Returns:
        (n, offers) utilities.
    """
    beta = centre @ weights  # (n, 5)
    price = -price_sensitivity * beta[:, None, 0] * (attributes[..., 0] - 1.0)
    rest = value_scale * np.einsum("na,noa->no", beta[:, 1:], attributes[..., 1:])
    return price + rest


def logit_choice(
    utility: np.ndarray,
    available: np.ndarray,
    defer_utility: float,
    noise: np.ndarray,
) -> np.ndarray:
    """Pick an offer per row by multinomial logit with a 'defer' option.

    Gumbel-max sampling: adding independent Gumbel noise to each utility and taking the
    largest gives exactly the logit probabilities (the noise's scale is the logit's).

    Args:
        noise: (n, offers + 1) Gumbel draws of the logit's scale, the last column the
            defer option's; drawn by the caller, so that a row's draws stay its own.

    Returns:
        index of the chosen offer per row, or -1 where the buyer defers.
    """
    n, m = utility.shape
    scored = np.where(available, utility, -np.inf) + noise[:, :m]
    best = np.argmax(scored, axis=1)
    defer = defer_utility + noise[:, m]
    take = scored[np.arange(n), best] > defer
    return np.where(take, best, -1)


def brand_choice(
    utility: np.ndarray,
    available: np.ndarray,
    brand: np.ndarray,
    defer_utility: float,
    noise: np.ndarray,
) -> np.ndarray:
    """Choose a brand by logit (with defer), then that brand's best offer.

    Offers of one brand (several resellers, or the vendor itself) are close substitutes:
    the buyer compares brands on each brand's best offer. This is the limit of a nested
    logit whose within-brand correlation goes to one, and it keeps a brand from winning
    more often merely because more of its partners bid (the IIA artefact of a flat logit);
    rival partners still help the buyer through the lower prices they bid.

    Args:
        utility: (n, offers) deterministic utilities.
        available: (n, offers) which offers were made.
        brand: brand index of each offer: (offers,) for every row alike, or (n, offers)
            when the brand behind an offer column differs from row to row.
        noise: (n, brands + 1) Gumbel draws of the logit's scale: brand b's taste shock
            in column b, the defer option's in the last.

    Returns:
        index of the chosen offer per row, or -1 where the buyer defers.
    """
    n = utility.shape[0]
    if n == 0:
        return np.empty(0, dtype=np.int64)
    brand = np.broadcast_to(brand, utility.shape)
    brands = noise.shape[1] - 1
    masked = np.where(available, utility, -np.inf)
    best_offer = np.empty((n, brands), dtype=np.int64)
    best_value = np.empty((n, brands))
    every = np.arange(n)
    for b in range(brands):
        # the first of the brand's best offers (an offer of another brand is never taken:
        # where the brand made none, its value is -inf and it is not available)
        pick = np.argmax(np.where(brand == b, masked, -np.inf), axis=1)
        best_offer[:, b] = pick
        best_value[:, b] = np.where(brand[every, pick] == b, masked[every, pick], -np.inf)
    chosen = logit_choice(best_value, np.isfinite(best_value), defer_utility, noise)
    return np.where(chosen >= 0, best_offer[every, np.maximum(chosen, 0)], -1)


def logit_shares(utility: np.ndarray, outside: float, scale: float) -> np.ndarray:
    """Expected logit shares over options (last axis) and an outside option."""
    z = np.concatenate([utility, np.full((*utility.shape[:-1], 1), outside)], axis=-1) / scale
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=-1, keepdims=True))[..., :-1]
