"""A sweep on Hydra's other launchers: a local Ray cluster started for it, and
submitit_local (what Slurm uses, as local processes). In a file of its own, first in
the suite's order (tests/conftest.py): its many processes start while the stylized
facts run beside it, rather than in the suite's last minutes."""

from __future__ import annotations

import pandas as pd
import pytest

import channelsim
from channelsim.experiment.sweep import collect
from tests.test_sweep import TINY, sweep_cli


@pytest.mark.parametrize("launcher", ["ray", "submitit_local"])
def test_the_same_sweep_runs_on_ray_and_on_submitit(tmp_path, launcher):
    """A local Ray started for the sweep, and Hydra's submitit_local launcher (what
    Slurm uses, as local processes): four jobs each, the same table as in-process."""
    out = tmp_path / launcher
    # Ray starts its workers at niceness 15: beside the suite's other processes, which
    # keep both cores busy, they would wait minutes for a core (277 s for this test)
    ray_env = {"RAY_AUTH_MODE": "disabled", "RAY_worker_niceness": "0"}
    env = ray_env if launcher == "ray" else {}
    done = sweep_cli(
        "strategy=direct,relationship_channel",
        "seed=0,1",
        *TINY,
        f"hydra/launcher={launcher}",
        f"hydra.sweep.dir={out}",
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"4 to run on {launcher}" in done.stdout
    expected = channelsim.sweep(
        ["strategy=direct,relationship_channel", *TINY], seeds=[0, 1], n_jobs=1, progress=False
    )
    pd.testing.assert_frame_equal(collect(out), expected)
