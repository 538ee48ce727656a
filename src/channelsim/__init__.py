"""channelsim: an agent-based simulation of sales-channel strategy.

A vendor selling through distributors and resellers competes with a direct seller
for accounts on price, relationships and service, under channel policies the user
sets. Start with ``compose`` (a typed config), ``ChannelModel``, ``run`` and ``sweep``;
``optimize`` searches lever ranges for the best policy; ``sensitivity`` ranks levers
and market uncertainties by their effect.
"""

__version__ = "0.1.0"

from channelsim.api import optimize, run, sensitivity, sweep
from channelsim.config import ChannelConfig, ConfigError, compose
from channelsim.experiment.run import RunResult
from channelsim.model import METRICS, ChannelModel

__all__ = [
    "METRICS",
    "ChannelConfig",
    "ChannelModel",
    "ConfigError",
    "RunResult",
    "__version__",
    "compose",
    "optimize",
    "run",
    "sensitivity",
    "sweep",
]
