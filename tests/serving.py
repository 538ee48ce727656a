"""`channelsim dashboard` started as a user starts it, on a free port, for the tests
that drive it. Every wait is bounded."""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "channelsim"
START_S = 90  # the server's start, imports included, on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_line(fd: int, timeout_s: float) -> str:
    """The first line the server prints, or an assertion error after `timeout_s`."""
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    deadline, got = time.monotonic() + timeout_s, b""
    while b"\n" not in got and (left := deadline - time.monotonic()) > 0:
        if selector.select(timeout=left):
            chunk = os.read(fd, 4096)
            if not chunk:
                break  # the server ended
            got += chunk
    assert b"\n" in got, f"the dashboard printed no address within {timeout_s}s: {got!r}"
    return got.decode().splitlines()[0]


@contextmanager
def dashboard(tmp_path: Path, *args: str, script: Path = SCRIPT) -> Iterator[str]:
    """`channelsim dashboard` (the `script` given) on a free port; yields its address;
    stops it after, and fails if the server logged a traceback."""
    port = free_port()
    log = tmp_path / f"dashboard-{port}.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [str(script), "dashboard", "--port", str(port), *args],
            stdout=subprocess.PIPE,
            stderr=err,  # a file: a chatty server never blocks on a full pipe
            start_new_session=True,
        )
    try:
        line = first_line(proc.stdout.fileno(), START_S)
        assert proc.poll() is None, log.read_text()
        assert line.startswith(f"channelsim dashboard: http://127.0.0.1:{port}/"), line
        url = line.split()[2]
        with urllib.request.urlopen(url + "readyz", timeout=10) as ready:
            assert ready.status == 200
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)
        proc.stdout.close()
    assert "Traceback" not in log.read_text(), log.read_text()
