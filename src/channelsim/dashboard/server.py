"""Serve the dashboard page (Solara on uvicorn) in this process."""

from __future__ import annotations

import os
import socket
import sys
import warnings
from typing import TextIO

APP = "channelsim.dashboard.app"
VIZ_HINT = "the dashboard needs the viz extra: pip install 'channelsim[viz]' (or: make dashboard)"


class DashboardError(Exception):
    """The dashboard cannot start: one line saying why."""


def check_port(host: str, port: int) -> None:
    """Fail early, in one line, when the address cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise DashboardError(
                f"cannot listen on {host}:{port} ({exc.strerror}); pick another with --port N"
            ) from None


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    lang: str = "en",
    market: tuple[str, ...] = (),
    out: TextIO | None = None,
    map_dir: str | None = None,
) -> None:
    """Serve the page until interrupted; print its address once it is up."""
    out = out or sys.stdout
    os.environ["SOLARA_APP"] = APP
    os.environ.setdefault("SOLARA_MODE", "production")
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    try:
        import matplotlib
        import uvicorn

        matplotlib.use("Agg")  # the page's figures are drawn to PNG in server threads

        from solara.server import settings

        from channelsim.dashboard import app
        from channelsim.labels import font_rc, term
    except ImportError as exc:
        raise DashboardError(f"{VIZ_HINT} (missing: {exc.name})") from None
    check_port(host, port)
    # a page served over plain http on this machine: Solara's cookie advice does not apply
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    app.configure(lang=lang, market=market, map_dir=map_dir)
    settings.theme.title = term("title", lang)  # the browser tab's title, not Solara's
    settings.theme.show_banner = False  # its corner banner covered the charts beneath it
    # one language a server: its fonts are set once for every session's thread
    matplotlib.rcParams.update(font_rc(lang))
    shown = f"[{host}]" if ":" in host else host

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            if self.started:
                print(f"channelsim dashboard: http://{shown}:{port}/  (Ctrl+C stops it)", file=out)
                out.flush()

    config = uvicorn.Config(
        "solara.server.starlette:app", host=host, port=port, log_level="warning", lifespan="on"
    )
    Server(config).run()
