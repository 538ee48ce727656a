"""The dashboard page, for a class: replay the case month by month, compare two policies
side by side, and open the strategy map.

Each browser session holds its own runs (`Session`). The run view steps one
ChannelModel; compare mode steps two at the same seed together, each with its scenario or
strategy and its own levers; the map page shows which strategy wins where, and a click on
a cell opens that market in the run view. A run opens a year in (`OPENING`), so the page
never starts empty. Step, Play and Reset are the page's own, built with Solara (Mesa's
SolaraViz shows a render interval, a thread switch and a raw time, which are not for a
class, and steps one model only).
"""

from __future__ import annotations

import functools
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import solara
from matplotlib.figure import Figure

from channelsim.analysis.figures import (
    SMOOTH,
    compare_figure,
    conflict_figure,
    key_shares_figure,
    network_figure,
    network_layout,
    profits_figure,
    seller_shares_figure,
    seller_term,
    shares_figure,
)
from channelsim.analysis.maps import read_map_folder
from channelsim.analysis.report import figure_png
from channelsim.config import compose
from channelsim.config.compose import group_options
from channelsim.experiment.run import metrics_frame
from channelsim.experiment.studies import override_key
from channelsim.labels import (
    LEVERS,
    check_lang,
    kpi_label,
    lever_label,
    lever_meaning,
    preset_label,
    term,
)
from channelsim.model import ChannelModel

SCENARIOS = ("history", "stay_traditional", "copy_direct")
STRATEGY_PREFIX = "strategy: "
START = {"case": "history", "seed": 0}
# compare mode opens on the case's road taken against the one its rival took
COMPARE_START = {"left": "history", "right": "copy_direct"}
OPENING = 12  # months a new run opens with: its first year drawn, never an empty page
PLAY_S = 0.25  # seconds between months while playing
MODES = ("run", "compare", "map")
SIDES = {"run": ("run",), "compare": ("left", "right")}
# the levers' input ranges on the page (the schema allows wider)
SLIDERS: dict[str, tuple[float, float, float]] = {
    "rebate_rate": (0.0, 0.10, 0.005),
    "training_budget": (0.0, 1000.0, 10.0),
    "am_turnover": (0.0, 0.20, 0.01),
    "audit_probability": (0.0, 1.0, 0.05),
    "online_price_gap": (-0.10, 0.20, 0.01),
}
# the built-in strategy map: map_china at its full size (channelsim map experiment=map_china)
BUILTIN_MAP = Path(__file__).parent / "map_china"
WINNER_COLOURS = {
    "relationship_channel": "#c8102e",
    "traditional_channel": "#8c6d31",
    "direct": "#0076ce",
    "dual": "#7b3294",
}
NO_WINNER = "no clear winner"


@dataclass
class Settings:
    """What the page was started with (`channelsim dashboard --lang ... --map DIR`)."""

    lang: str = "en"
    market: tuple[str, ...] = ()  # market overrides, e.g. a small market for a class
    map_dir: Path = BUILTIN_MAP


SETTINGS = Settings()


def configure(
    lang: str = "en", market: tuple[str, ...] = (), map_dir: str | Path | None = None
) -> None:
    """Set the language, market and strategy map of pages opened from now on."""
    SETTINGS.lang = check_lang(lang)
    SETTINGS.market = tuple(market)
    SETTINGS.map_dir = Path(map_dir) if map_dir is not None else BUILTIN_MAP


@dataclass
class LeverChoices:
    """The levers a person set on the page for one run; a Reset starts the new run with
    them in force from its first month."""

    values: dict[str, Any] = field(default_factory=dict)


@functools.cache
def cases(lang: str = "en") -> dict[str, str]:
    """The choices of the scenario-or-strategy input: label shown -> case (the packaged
    presets: read once, not at every drawing of the page)."""
    out = {term(name, lang): name for name in SCENARIOS}
    for name in group_options("strategy", None):
        shown = f"{term('strategy', lang)}: {preset_label(name, lang)}" if lang == "zh" else None
        out[shown or STRATEGY_PREFIX + name] = STRATEGY_PREFIX + name
    return out


def case_label(case: str, lang: str) -> str:
    """A case's label in `lang` (the inverse of `cases`)."""
    return next((shown for shown, c in cases(lang).items() if c == case), case)


def resolve_case(case: str) -> str:
    """A case from its label in either language (or the case itself)."""
    for lang in ("en", "zh"):
        if case in (known := cases(lang)):
            return known[case]
    return case


class DashboardModel(ChannelModel):
    """A ChannelModel built from the page's choices.

    Args:
        case: a scenario name (a dated timeline of strategies) or ``"strategy: NAME"``
            (one strategy throughout).
        seed: the run's seed.
        levers: the levers the person set on the page, in force from the first month.
        market: overrides of the market (``market.KEY=VALUE``, or a map cell's).
        lang: ``en`` or ``zh``.
    """

    def __init__(
        self,
        case: str = START["case"],
        seed: int = START["seed"],
        levers: LeverChoices | None = None,
        market: tuple[str, ...] = (),
        lang: str = "en",
    ) -> None:
        case = resolve_case(case)
        if case.startswith(STRATEGY_PREFIX):
            picked = [f"strategy={case.removeprefix(STRATEGY_PREFIX)}", "scenario=none"]
        else:
            picked = [f"scenario={case}"]
        super().__init__(compose([*picked, f"seed={int(seed)}", *market]))
        self.case = case
        self.lang = check_lang(lang)
        # the page steps the model in one thread and changes levers and draws in others
        self.lock = threading.RLock()
        if levers is not None and levers.values:
            self.set_levers(**levers.values)
        self.layout = network_layout(self)

    def step(self) -> None:
        with self.lock:
            super().step()
            self.running = self.steps < self.config.steps

    def set_levers(self, **levers: Any) -> None:
        with self.lock:
            super().set_levers(**levers)


def open_run(
    case: str = START["case"],
    seed: int = START["seed"],
    levers: LeverChoices | None = None,
    market: tuple[str, ...] = (),
    lang: str = "en",
    months: int = OPENING,
) -> DashboardModel:
    """A run as the page opens it: built, then stepped through its first `months`."""
    model = DashboardModel(case, seed, levers, market, lang)
    for _ in range(min(months, model.config.steps)):
        model.step()
    return model


def with_market(cell: tuple[str, ...], market: tuple[str, ...]) -> tuple[str, ...]:
    """A map cell's overrides, then the page's own market overrides but those of keys the
    cell sets (the cell is the market asked for; sizes still apply)."""
    taken = {override_key(o) for o in cell}
    return (*cell, *(o for o in market if override_key(o) not in taken))


class Session:
    """One browser session's runs: the run view's, compare mode's two, their cases, seed
    and levers, and the map cell whose market they run in, if any."""

    def __init__(self, lang: str = "en", market: tuple[str, ...] = ()) -> None:
        self.lang, self.market = lang, tuple(market)
        self.seed = START["seed"]
        self.cell: tuple[str, ...] = ()  # a map cell's market overrides
        self.cell_name = ""
        self.cases = {"run": START["case"], **COMPARE_START}
        self.choices = {side: LeverChoices() for side in ("run", "left", "right")}
        self.models: dict[str, DashboardModel] = {}
        self.lock = threading.RLock()
        self.reset("run")

    def sides(self, mode: str) -> tuple[str, ...]:
        return SIDES.get(mode, ())

    def ready(self, mode: str) -> None:
        """Open the mode's runs if they are not open yet (compare mode's on first use)."""
        if any(side not in self.models for side in self.sides(mode)):
            self.reset(mode)

    def reset(self, mode: str) -> None:
        """New runs for the mode's sides, from their cases, the seed, their levers and the
        market, each opened a year in."""
        market = with_market(self.cell, self.market)
        with self.lock:
            for side in self.sides(mode):
                self.models[side] = open_run(
                    self.cases[side], self.seed, self.choices[side], market, self.lang
                )

    def step(self, mode: str) -> None:
        """One month of every run of the mode still running (compare mode's together)."""
        with self.lock:
            for side in self.sides(mode):
                if self.models[side].running:
                    self.models[side].step()

    def running(self, mode: str) -> bool:
        return any(self.models[side].running for side in self.sides(mode))

    def set_levers(self, sides: tuple[str, ...], name: str, value: Any) -> None:
        for side in sides:
            self.choices[side].values[name] = value
            self.models[side].set_levers(**{name: value})

    def release(self, sides: tuple[str, ...]) -> None:
        for side in sides:
            self.choices[side].values.clear()
            self.models[side].release_levers()

    def open_cell(self, cell: dict[str, Any], winner: str, name: str) -> None:
        """Run the map cell's market under its winning strategy (the scenario picked
        before, if the cell has no clear winner)."""
        self.cell, self.cell_name = tuple(cell["overrides"]), name
        if STRATEGY_PREFIX + winner in cases().values():
            self.cases["run"] = STRATEGY_PREFIX + winner
        self.new_market()

    def leave_cell(self) -> None:
        self.cell, self.cell_name = (), ""
        self.new_market()

    def new_market(self) -> None:
        """The run view's run anew in the market now chosen; compare mode's two are opened
        in it when next shown."""
        for side in SIDES["compare"]:
            self.models.pop(side, None)
        self.reset("run")


# ------------------------------------------------------------------ what is shown
def smoothed(model: ChannelModel, metric: str, months: int = SMOOTH) -> float:
    """The metric's mean over the model's last `months` months (NaN months skipped);
    NaN before the first month or when none has a value."""
    values = np.asarray(model.datacollector.model_vars.get(metric, [])[-months:], dtype=float)
    if model.steps == 0 or not np.isfinite(values).any():
        return math.nan
    return float(np.nanmean(values))


def key_share_text(model: ChannelModel) -> str:
    """The vendor's key-account share as the page's headline shows it: its mean over the
    last `SMOOTH` months (one month's share jumps with the few projects that close)."""
    value = smoothed(model, "share_vendor_key")
    return "—" if math.isnan(value) else f"{value:.3f}"


def seller_names(model: ChannelModel) -> list[str]:
    """The market's sellers, the vendor and the direct seller first (as in the metrics)."""
    first = [s for s in (model.vendor, model.direct_seller) if s is not None]
    return [s.name for s in first + [s for s in model.sellers if s not in first]]


def total_share_text(model: ChannelModel, seller: str) -> str:
    """A seller's share of the whole market last month, as the page shows it."""
    value = model.last[f"share_{seller}_total"]
    if model.steps == 0 or value is None or math.isnan(value):
        return "—"
    return f"{value:.3f}"


def echoes(name: str, current: Any, value: Any) -> bool:
    """Whether an input's new value is only the lever's current one as the input holds it
    (a slider snaps a value between its steps to the nearest and reports it): a person
    moving a slider moves it a whole step."""
    if isinstance(current, bool) or name not in SLIDERS:
        return value == current
    return abs(float(value) - float(current)) < SLIDERS[name][2] / 2 + 1e-9


def on_off(value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return term("on" if value else "off", lang)
    return f"{value:g}"


def held_text(model: ChannelModel, lang: str) -> str:
    """The levers a person holds in the run, as the page lists them."""
    return ", ".join(
        f"{lever_label(k, lang) if k in LEVERS else k} {on_off(v, lang)}"
        for k, v in model.held_levers.items()
    )


def winner_label(winner: str, lang: str) -> str:
    """A map cell's winner as the page names it: its strategy, or no clear winner."""
    return term("no_winner", lang) if winner == NO_WINNER else preset_label(winner, lang)


def winner_colour(winner: str) -> str:
    return WINNER_COLOURS.get(winner, "#9e9e9e")  # grey: no clear winner


def cell_name(x: float, y: float) -> str:
    return f"x={x:g}, y={y:g}"


def _png(fig: Figure) -> bytes:
    return figure_png(fig, dpi=90)


def _testid(testid: str, text: str, tag: str = "span", style: str = "") -> None:
    solara.v.Html(tag=tag, attributes={"data-testid": testid}, style_=style, children=[text])


# ------------------------------------------------------------------ components
@solara.component
def Status(model: DashboardModel, tick: int, prefix: str = "", compact: bool = False) -> None:
    """The month, the vendor's key-account share (smoothed), every seller's share of the
    whole market and the policy in force, as of `tick` (the session's count of changes:
    a new one draws it again). Test ids carry `prefix` in compare mode."""
    lang = model.lang
    with solara.Card(style={"padding": "6px 12px"}):
        with solara.Row(style={"align-items": "baseline", "flex-wrap": "wrap"}):
            solara.Text(f"{term('month', lang)}:")
            _testid(f"{prefix}month", model.date, tag="b")
            solara.Text("(")
            _testid(f"{prefix}step", str(model.steps))
            solara.Text(f"/ {model.config.steps})")
            solara.Text(f"{term('smoothed_headline', lang, months=SMOOTH)}:")
            _testid(f"{prefix}key-share", key_share_text(model), tag="b", style="font-size: 1.4em")
        with solara.Row(style={"flex-wrap": "wrap"}):
            solara.Text(f"{term('total_shares_now', lang)}:")
            for seller in seller_names(model):
                solara.Text(f"{seller_term(seller, lang)}:")
                _testid(f"{prefix}total-share-{seller}", total_share_text(model, seller))
        with solara.Row(style={"flex-wrap": "wrap"}):
            policy = f"{term('policy', lang)} ({preset_label(model.strategy.name, lang)})"
            solara.Text(policy if compact else f"{policy}:")
            if not compact:
                for name in LEVERS:
                    solara.Text(f"{lever_label(name, lang)}:")
                    _testid(f"{prefix}policy-{name}", on_off(getattr(model.strategy, name), lang))
        with solara.Row():
            solara.Text(f"{term('held', lang)}:")
            _testid(f"{prefix}held", held_text(model, lang) or "—")


@solara.component
def Picture(draw, dependencies: list, width: str = "100%") -> None:
    """A figure drawn to PNG when its dependencies change."""
    picture = solara.use_memo(draw, dependencies)
    if picture:
        solara.Image(picture, width=width)


PANEL = (6.4, 3.6)  # inches: a chart in half the page's width, its words readable


def _drawn(model: DashboardModel, build, *args) -> bytes:
    """One of the run's charts as PNG, at the size of half the page's width."""
    with model.lock:
        metrics, changes = metrics_frame(model), list(model.changes)
    fig = build(metrics, changes, model.lang, *args)
    if len(fig.axes) == 1:
        fig.set_size_inches(*PANEL)
        ax = fig.axes[0]
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles, labels, fontsize=8, loc="upper left", ncol=min(3, len(labels)))
    return _png(fig)


@solara.component
def RunView(session: Session, tick: int) -> None:
    """One run: the headline numbers, the key accounts and every seller's share, profits
    and conflict, shares by segment, the channel network and what the levers mean."""
    model = session.models["run"]
    lang = model.lang
    keys = [model, model.steps, len(model.changes), tick]
    Status(model, tick)
    with solara.Columns([1, 1]):
        Picture(lambda: _drawn(model, key_shares_figure), keys)
        Picture(lambda: _drawn(model, seller_shares_figure, seller_names(model)), keys)
    with solara.Columns([1, 1]):
        Picture(lambda: _drawn(model, profits_figure), keys)
        Picture(lambda: _drawn(model, conflict_figure), keys)
    Picture(lambda: _drawn(model, shares_figure), keys, width="80%")
    with solara.Columns([1, 1]):
        Picture(lambda: _network(model), keys)
        Meanings(lang)


def _network(model: DashboardModel) -> bytes:
    with model.lock:
        figure = network_figure(model, model.layout, model.lang)
    return _png(figure)


def side_name(session: Session, side: str) -> str:
    """A compare side as the page names it: its side, case and the levers held."""
    lang = session.lang
    held = held_text(session.models[side], lang)
    name = f"{term(f'side_{side}', lang)}: {case_label(session.cases[side], lang)}"
    return name + (f" + {held}" if held else "")


@solara.component
def CompareView(session: Session, tick: int) -> None:
    """Two runs at the same seed, stepping together: each side's numbers and every
    seller's share side by side, and the two overlaid."""
    left, right = session.models["left"], session.models["right"]
    keys = [left, right, left.steps, right.steps, tick]

    def overlay() -> bytes:
        runs = []
        for side in ("left", "right"):
            model = session.models[side]
            with model.lock:
                runs.append((side_name(session, side), metrics_frame(model), list(model.changes)))
        return _png(compare_figure(runs, session.lang))

    Picture(overlay, keys)
    with solara.Columns([1, 1]):
        for side, model in (("left", left), ("right", right)):
            with solara.Column():
                solara.v.Html(
                    tag="h3",
                    attributes={"data-testid": f"{side}-name"},
                    children=[side_name(session, side)],
                )
                Status(model, tick, prefix=f"{side}-", compact=True)
                Picture(lambda m=model: _drawn(m, seller_shares_figure, seller_names(m)), keys)


@solara.component
def MapView(session: Session, on_open) -> None:
    """The strategy map as a grid of cells, each its winner's colour; a click opens the
    cell's market in the run view."""
    lang = session.lang
    try:
        cells, summary = read_map_folder(SETTINGS.map_dir)
    except ValueError as exc:
        solara.Error(f"{SETTINGS.map_dir}: {exc}")
        return
    spec = summary["map"]
    overrides = {(c["x"], c["y"]): c for c in spec["cells"]}
    source = tuple(summary.get("source") or ())
    solara.Text(
        term(
            "map_hint",
            lang,
            kpi=kpi_label(spec["kpi"]),
            window=spec["window"],
            seeds=spec["seeds"],
        )
    )
    xs, ys = sorted(cells["x"].unique()), sorted(cells["y"].unique(), reverse=True)
    nearest = (
        (min(xs, key=lambda v: abs(v - source[0])), min(ys, key=lambda v: abs(v - source[1])))
        if len(source) == 2
        else None
    )
    by_cell = cells.set_index(["x", "y"])
    with solara.Row(style={"align-items": "center"}):
        solara.Text(f"y: {spec['y']}", style={"writing-mode": "vertical-rl"})
        with solara.Column(gap="4px"):
            for y in ys:
                with solara.Row(gap="4px", style={"align-items": "center"}):
                    solara.Text(f"{y:g}", style={"width": "3em", "text-align": "right"})
                    for x in xs:
                        row = by_cell.loc[(x, y)]
                        winner = str(row["winner"])
                        shown = winner_label(winner, lang)
                        lead = "" if winner == NO_WINNER else f"+{row['margin']:,.0f}"
                        star = " ★" if (x, y) == nearest else ""
                        words = solara.v.Html(
                            tag="div",
                            style_="white-space: normal; line-height: 1.25; text-transform: none; "
                            "letter-spacing: normal; font-size: 0.85em",
                            children=[shown, solara.v.Html(tag="br"), f"{lead}{star}"],
                        )
                        solara.Button(
                            children=[words],
                            on_click=lambda x=x, y=y, w=winner: on_open(
                                overrides[(x, y)], w, cell_name(x, y)
                            ),
                            color=winner_colour(winner),
                            dark=True,
                            style={"width": "11em", "height": "3.4em", "padding": "0 4px"},
                            attributes={"data-testid": f"cell-{x:g}-{y:g}"},
                        )
            with solara.Row(gap="4px"):
                solara.Text("", style={"width": "3em"})
                for x in xs:
                    solara.Text(f"{x:g}", style={"width": "11em", "text-align": "center"})
            solara.Text(f"x: {spec['x']}")
    with solara.Row(style={"flex-wrap": "wrap"}):
        for strategy in [*spec["strategies"], NO_WINNER]:
            solara.v.Html(
                tag="span",
                style_=f"background: {winner_colour(strategy)}; color: white; padding: 2px 8px; "
                "border-radius: 4px",
                children=[winner_label(strategy, lang)],
            )


@solara.component
def Meanings(lang: str) -> None:
    """What each lever means in the case's terms."""
    with solara.Card(term("meanings", lang)):
        for name in LEVERS:
            solara.v.Html(
                tag="p",
                children=[
                    solara.v.Html(tag="b", children=[lever_label(name, lang)]),
                    f" — {lever_meaning(name, lang)}",
                ],
            )


@solara.component
def Controls(
    session: Session, mode: str, playing: solara.Reactive[bool], redraw, tick: int
) -> None:
    """The run's choices (scenario or strategy, the seed) and Step, Play and Reset, as of
    `tick`."""
    lang = session.lang

    def choose(side: str):
        def pick(label: str) -> None:
            session.cases[side] = resolve_case(label)
            session.reset(mode)
            redraw()

        return pick

    def set_seed(seed: int) -> None:
        session.seed = int(seed)
        session.reset(mode)
        redraw()

    def step() -> None:
        session.step(mode)
        redraw()

    def toggle() -> None:
        with session.lock:  # a month under way ends first; none starts after a Pause
            playing.set(not playing.value)

    def reset() -> None:
        playing.set(False)
        session.reset(mode)
        redraw()

    shown = f"{term('scenario', lang)} / {term('strategy', lang)}"
    # one column of choices whatever the mode: the controls after it stay the same
    # widgets when the mode changes, so a click on Step meanwhile is not lost
    with solara.Column(gap="0px"):
        for side in session.sides(mode):
            label = shown if side == "run" else f"{term(f'side_{side}', lang)}: {shown}"
            solara.Select(
                label=label,
                value=case_label(session.cases[side], lang),
                values=list(cases(lang)),
                on_value=choose(side),
            )
    with solara.Row(style={"align-items": "baseline"}):
        solara.Text(f"{term('seed', lang)}:")
        _testid("seed", str(session.seed), tag="b")
    solara.SliderInt("", value=session.seed, min=0, max=99, on_value=set_seed, thumb_label=False)
    running = session.running(mode)
    with solara.Row():
        solara.Button("Step", on_click=step, disabled=not running or playing.value)
        solara.Button(
            "Pause" if playing.value else "Play",
            on_click=toggle,
            disabled=not running,
        )
        solara.Button("Reset", on_click=reset)
    if session.cell:
        _testid("cell", term("market_cell", lang, cell=session.cell_name), tag="p")

        def leave() -> None:
            session.leave_cell()
            redraw()

        solara.Button(term("default_market", lang), on_click=leave, text=True)


@solara.component
def Levers(session: Session, mode: str, redraw, tick: int) -> None:
    """Inputs for the main levers: they show the policy in force and change it in the
    running models from the next month on (and in the runs a Reset starts). In compare
    mode they apply to the left run, the right one or both."""
    lang = session.lang
    target = solara.use_reactive("both")
    sides = ("run",)
    with solara.Column(gap="0px"):  # as in Controls: the inputs after it stay the same
        if mode == "compare":
            solara.Text(f"{term('levers_apply', lang)}:")
            solara.ToggleButtonsSingle(
                value=target.value,
                on_value=target.set,
                children=[
                    solara.Button(term(f"side_{s}", lang), value=s)
                    for s in ("left", "right", "both")
                ],
            )
            sides = ("left", "right") if target.value == "both" else (target.value,)
    shown = session.models[sides[0]]

    def setter(name: str):
        def set_value(value: Any) -> None:
            if all(echoes(name, getattr(session.models[s].strategy, name), value) for s in sides):
                return  # an input echoing the value it was given: nothing was chosen
            session.set_levers(sides, name, value)
            redraw()

        return set_value

    def release() -> None:
        session.release(sides)
        redraw()

    with solara.Card(term("levers", lang), style={"padding": "6px"}):
        with solara.Row():
            solara.Button(term("release", lang), on_click=release, text=True)
        for name in LEVERS:
            value = getattr(shown.strategy, name)
            label = lever_label(name, lang)
            if isinstance(value, bool):
                solara.Checkbox(label=label, value=value, on_value=setter(name))
            else:
                lo, hi, step = SLIDERS[name]
                with solara.Column(gap="0px"):
                    solara.Text(f"{label}: {value:g}", style={"font-size": "0.9em"})
                    solara.SliderFloat(
                        "",
                        value=float(value),
                        min=lo,
                        max=hi,
                        step=step,
                        on_value=setter(name),
                        thumb_label=False,
                    )


@solara.component
def Page() -> None:
    """One browser session: its own runs, in three views."""
    lang = SETTINGS.lang
    session = solara.use_memo(lambda: Session(SETTINGS.lang, SETTINGS.market), [])
    tick = solara.use_reactive(0)
    tab = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    mode = MODES[tab.value]
    if mode in SIDES:
        session.ready(mode)

    def redraw() -> None:
        tick.set(tick.value + 1)

    def play(cancel: threading.Event) -> None:
        while True:
            with session.lock:  # Pause takes the lock too: no month starts after it
                if not playing.value or cancel.is_set():
                    break
                if not session.running(mode):
                    playing.set(False)
                    break
                session.step(mode)
            redraw()
            cancel.wait(PLAY_S)

    solara.use_thread(play, dependencies=[playing.value, mode])

    def open_cell(cell: dict[str, Any], winner: str, name: str) -> None:
        playing.set(False)
        session.open_cell(cell, winner, name)
        tab.set(0)
        redraw()

    def switch(index: int) -> None:
        playing.set(False)
        tab.set(index)

    solara.Title(term("title", lang))
    with solara.Sidebar():
        if mode in SIDES:
            Controls(session, mode, playing, redraw, tick.value)
            Levers(session, mode, redraw, tick.value)
        else:
            where = SETTINGS.map_dir
            shown = term("builtin_map", lang) if where == BUILTIN_MAP else str(where)
            solara.Markdown(term("map_source", lang, where=shown))
    with solara.lab.Tabs(value=tab.value, on_value=switch):
        solara.lab.Tab(term("tab_run", lang))
        solara.lab.Tab(term("tab_compare", lang))
        solara.lab.Tab(term("tab_map", lang))
    with solara.Column(style={"width": "100%"}):
        if mode == "run":
            RunView(session, tick.value)
        elif mode == "compare":
            CompareView(session, tick.value)
        else:
            MapView(session, open_cell)
