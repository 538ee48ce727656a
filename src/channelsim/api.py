"""The notebook API: one run with its standard figures."""

from __future__ import annotations

from pathlib import Path

from channelsim.analysis.figures import run_figures
from channelsim.config.schema import ChannelConfig
from channelsim.experiment.run import RunResult
from channelsim.experiment.run import run as run_files


def run(
    config: ChannelConfig, out_dir: str | Path | None = None, figures: bool = True
) -> RunResult:
    """Run one simulation; with `out_dir`, write its result files and figures there.

    Returns an object with ``.metrics`` (a DataFrame, one row a month) and ``.summary``.
    Raises whatever the model raised (the CLI catches it and writes a failed summary).
    """
    return run_files(config, out_dir, run_figures if figures else None)
