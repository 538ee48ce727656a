"""channelsim: an agent-based simulation of sales-channel strategy.

A vendor selling through distributors and resellers competes with a direct seller
for accounts on price, relationships and service, under channel policies the user
sets. Start with ``compose`` (a typed config), ``ChannelModel`` (or ``build_model``, which
also builds the textbook ``PricingModel``; its agents are ``Seller``, ``Reseller``,
``Distributor`` and ``Account``), ``run``, ``run_seeds`` (one config at many seeds),
``run_variants`` (several configs at the same seeds) and ``sweep``; ``estimates`` and
``differences`` read their tables with 95% intervals, ``check_claims`` checks a worked
answer's claims against them, and ``plot_over_time`` draws metrics against the calendar
with a scenario's dated changes (``scenario_events``) marked;
``optimize`` searches lever ranges for the best policy; ``map`` shows which strategy
wins where over two market keys; ``sensitivity`` ranks levers
and market uncertainties by their effect; ``run_case_study`` compares the case's
scenarios and ``check_facts`` judges its stylized facts.

The names below are imported on first use, so that ``channelsim --help`` starts
without loading the model, Hydra or pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from channelsim.agents.account import Account
    from channelsim.agents.distributor import Distributor
    from channelsim.agents.reseller import Reseller
    from channelsim.agents.seller import Seller
    from channelsim.analysis.answers import (
        check_claims,
        differences,
        estimates,
        plot_over_time,
        scenario_events,
    )
    from channelsim.api import (
        calibrate,
        check_facts,
        map,
        optimize,
        run,
        run_case_study,
        run_seeds,
        run_variants,
        sensitivity,
        sweep,
    )
    from channelsim.config import ChannelConfig, ConfigError, compose
    from channelsim.experiment.run import RunResult
    from channelsim.model import METRICS, ChannelModel
    from channelsim.models import build_model
    from channelsim.pricing_model import PricingModel

# public name: the module that defines it
EXPORTS = {
    "calibrate": "channelsim.api",
    "check_facts": "channelsim.api",
    "map": "channelsim.api",
    "optimize": "channelsim.api",
    "run": "channelsim.api",
    "run_case_study": "channelsim.api",
    "run_seeds": "channelsim.api",
    "run_variants": "channelsim.api",
    "sensitivity": "channelsim.api",
    "sweep": "channelsim.api",
    "check_claims": "channelsim.analysis.answers",
    "differences": "channelsim.analysis.answers",
    "estimates": "channelsim.analysis.answers",
    "plot_over_time": "channelsim.analysis.answers",
    "scenario_events": "channelsim.analysis.answers",
    "Account": "channelsim.agents.account",
    "Distributor": "channelsim.agents.distributor",
    "Reseller": "channelsim.agents.reseller",
    "Seller": "channelsim.agents.seller",
    "ChannelConfig": "channelsim.config",
    "ConfigError": "channelsim.config",
    "compose": "channelsim.config",
    "RunResult": "channelsim.experiment.run",
    "METRICS": "channelsim.model",
    "ChannelModel": "channelsim.model",
    "PricingModel": "channelsim.pricing_model",
    "build_model": "channelsim.models",
}

__all__ = [
    "METRICS",
    "Account",
    "ChannelConfig",
    "ChannelModel",
    "ConfigError",
    "Distributor",
    "PricingModel",
    "Reseller",
    "RunResult",
    "Seller",
    "__version__",
    "build_model",
    "calibrate",
    "check_claims",
    "check_facts",
    "compose",
    "differences",
    "estimates",
    "map",
    "optimize",
    "plot_over_time",
    "run",
    "run_case_study",
    "run_seeds",
    "run_variants",
    "scenario_events",
    "sensitivity",
    "sweep",
]


def __getattr__(name: str) -> Any:
    """A public name, imported from its module the first time it is asked for."""
    if name not in EXPORTS:
        raise AttributeError(f"module 'channelsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *EXPORTS})
