"""The dashboard page: Mesa's SolaraViz runs a ChannelModel month by month.

SolaraViz's sidebar holds Step, Play and Reset and the run's inputs (scenario or
strategy, seed); Reset rebuilds the model as ``DashboardModel(**inputs)``, a thin
adapter that composes channelsim's typed config from them. The main area shows what
the running model holds: the month, the vendor's key-account share and every seller's
share of the whole market, the policy in force, levers that change it from the next
month on, charts with the policy changes marked, the channel network, and what each
lever means in the case's terms.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any

import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization.utils import force_update, update_counter

from channelsim.analysis.figures import (
    conflict_figure,
    network_figure,
    network_layout,
    profits_figure,
    seller_shares_figure,
    seller_term,
    shares_figure,
)
from channelsim.analysis.report import figure_png
from channelsim.config import compose
from channelsim.config.compose import group_options
from channelsim.experiment.run import metrics_frame
from channelsim.labels import (
    LEVERS,
    check_lang,
    lever_label,
    lever_meaning,
    preset_label,
    term,
)
from channelsim.model import ChannelModel

SCENARIOS = ("history", "stay_traditional", "copy_direct")
STRATEGY_PREFIX = "strategy: "
START = {"case": "history", "seed": 0}
# the levers' input ranges on the page (the schema allows wider)
SLIDERS: dict[str, tuple[float, float, float]] = {
    "rebate_rate": (0.0, 0.10, 0.005),
    "training_budget": (0.0, 1000.0, 50.0),
    "am_turnover": (0.0, 0.20, 0.01),
    "audit_probability": (0.0, 1.0, 0.05),
    "online_price_gap": (-0.10, 0.20, 0.01),
}


@dataclass
class Settings:
    """What the page was started with (`channelsim dashboard --lang ...`)."""

    lang: str = "en"
    market: tuple[str, ...] = ()  # market overrides, e.g. a small market for a class


SETTINGS = Settings()


def configure(lang: str = "en", market: tuple[str, ...] = ()) -> None:
    """Set the language and market of pages opened from now on."""
    SETTINGS.lang = check_lang(lang)
    SETTINGS.market = tuple(market)


@dataclass
class LeverChoices:
    """The levers a person set on the page in one session; a Reset starts the new run
    with them in force from its first month."""

    values: dict[str, Any] = field(default_factory=dict)


def cases(lang: str = "en") -> dict[str, str]:
    """The choices of the scenario-or-strategy input: label shown -> case."""
    out = {term(name, lang): name for name in SCENARIOS}
    for name in group_options("strategy", None):
        shown = f"{term('strategy', lang)}: {preset_label(name, lang)}" if lang == "zh" else None
        out[shown or STRATEGY_PREFIX + name] = STRATEGY_PREFIX + name
    return out


def resolve_case(case: str) -> str:
    """A case from its label in either language (or the case itself)."""
    for lang in ("en", "zh"):
        if case in (known := cases(lang)):
            return known[case]
    return case


class DashboardModel(ChannelModel):
    """A ChannelModel built from the dashboard's inputs as keyword arguments (SolaraViz
    rebuilds it with ``type(model)(**inputs)`` on Reset).

    Args:
        case: a scenario name (a dated timeline of strategies) or ``"strategy: NAME"``
            (one strategy throughout).
        seed: the run's seed.
        levers: the levers the person set on the page, in force from the first month.
        market: market overrides (``market.KEY=VALUE``).
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


# ------------------------------------------------------------------ what is shown
def key_share_text(model: ChannelModel) -> str:
    """The vendor's key-account share last month, as the page shows it."""
    value = model.last["share_vendor_key"]
    if model.steps == 0 or value is None or math.isnan(value):
        return "—"
    return f"{value:.3f}"


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


def on_off(value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return term("on" if value else "off", lang)
    return f"{value:g}"


def _png(fig: Figure) -> bytes:
    return figure_png(fig, dpi=80)


def _testid(testid: str, text: str, tag: str = "span") -> None:
    solara.v.Html(tag=tag, attributes={"data-testid": testid}, children=[text])


@solara.component
def Status(model: DashboardModel) -> None:
    """The month, the vendor's key-account share, every seller's share of the whole
    market and the policy in force."""
    update_counter.get()
    lang = model.lang
    with solara.Card():
        with solara.Row():
            solara.Text(f"{term('month', lang)}:")
            _testid("month", model.date, tag="b")
            solara.Text("(")
            _testid("step", str(model.steps))
            solara.Text(f"/ {model.config.steps})")
            solara.Text(f"{term('key_share_now', lang)}:")
            _testid("key-share", key_share_text(model), tag="b")
        with solara.Row(style={"flex-wrap": "wrap"}):
            solara.Text(f"{term('total_shares_now', lang)}:")
            for seller in seller_names(model):
                solara.Text(f"{seller_term(seller, lang)}:")
                _testid(f"total-share-{seller}", total_share_text(model, seller))
        with solara.Row(style={"flex-wrap": "wrap"}):
            solara.Text(f"{term('policy', lang)} ({preset_label(model.strategy.name, lang)}):")
            for name in LEVERS:
                solara.Text(f"{lever_label(name, lang)}:")
                _testid(f"policy-{name}", on_off(getattr(model.strategy, name), lang))
        held = ", ".join(
            f"{lever_label(k, lang) if k in LEVERS else k} {on_off(v, lang)}"
            for k, v in model.held_levers.items()
        )
        with solara.Row():
            solara.Text(f"{term('held', lang)}:")
            _testid("held", held or "—")


@solara.component
def Levers(model: DashboardModel, choices: LeverChoices) -> None:
    """Inputs for the main levers, showing the policy in force and changing it in the
    running model from the next month on (and in the runs a Reset starts)."""
    update_counter.get()
    lang = model.lang

    def setter(name: str):
        def set_value(value: Any) -> None:
            choices.values[name] = value
            model.set_levers(**{name: value})
            force_update()

        return set_value

    def release() -> None:
        choices.values.clear()
        model.release_levers()
        force_update()

    with solara.Card(term("levers", lang)):
        solara.Button(term("release", lang), on_click=release, text=True)
        for name in LEVERS:
            value = getattr(model.strategy, name)
            label = lever_label(name, lang)
            if isinstance(value, bool):
                solara.Checkbox(label=label, value=value, on_value=setter(name))
            else:
                lo, hi, step = SLIDERS[name]
                solara.SliderFloat(
                    f"{label}: {value:g}",
                    value=float(value),
                    min=lo,
                    max=hi,
                    step=step,
                    on_value=setter(name),
                )


@solara.component
def Charts(model: DashboardModel) -> None:
    """Shares by segment, every seller's share of the whole market, profits, and conflict
    with satisfaction, as the run goes."""
    counter = update_counter.get()
    lang = model.lang

    def draw() -> list[bytes]:
        with model.lock:
            if model.steps == 0:
                return []
            metrics, changes = metrics_frame(model), list(model.changes)
            sellers = seller_names(model)
        return [
            _png(shares_figure(metrics, changes, lang)),
            _png(seller_shares_figure(metrics, changes, lang, sellers)),
            _png(profits_figure(metrics, changes, lang)),
            _png(conflict_figure(metrics, changes, lang)),
        ]

    pictures = solara.use_memo(draw, [model, model.steps, len(model.changes), counter])
    if not pictures:
        solara.Info(term("start_hint", lang))
        return
    solara.Image(pictures[0], width="100%")
    solara.Image(pictures[1], width="100%")
    with solara.Columns([1, 1]):
        solara.Image(pictures[2], width="100%")
        solara.Image(pictures[3], width="100%")


@solara.component
def Network(model: DashboardModel) -> None:
    """The channel network as it stands."""
    counter = update_counter.get()

    def draw() -> bytes:
        with model.lock:
            figure = network_figure(model, model.layout, model.lang)
        return _png(figure)

    picture = solara.use_memo(draw, [model, model.steps, counter])
    solara.Image(picture, width="100%")


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
def Dashboard(model: solara.Reactive[DashboardModel], choices: LeverChoices) -> None:
    """The main area, beside SolaraViz's sidebar."""
    current = model.value
    with solara.Column(style={"width": "100%"}):
        Status(current)
        with solara.Columns([2, 1]):
            Charts(current)
            Levers(current, choices)
        with solara.Columns([1, 1]):
            Network(current)
            Meanings(current.lang)


def model_params(choices: LeverChoices, lang: str, market: tuple[str, ...]) -> dict[str, Any]:
    """SolaraViz's inputs, rebuilt into a model on Reset (fixed values pass through)."""
    return {
        "case": {
            "type": "Select",
            "value": term(START["case"], lang),
            "values": list(cases(lang)),
            "label": f"{term('scenario', lang)} / {term('strategy', lang)}",
        },
        "seed": {
            "type": "SliderInt",
            "value": START["seed"],
            "min": 0,
            "max": 99,
            "step": 1,
            "label": term("seed", lang),
        },
        "levers": choices,
        "market": market,
        "lang": lang,
    }


@solara.component
def Page() -> None:
    """One browser session: its own lever choices and its own model."""
    lang, market = SETTINGS.lang, SETTINGS.market
    choices = solara.use_memo(LeverChoices, [])
    start = solara.use_memo(
        lambda: DashboardModel(levers=choices, market=market, lang=lang, **START), []
    )
    model = solara.use_reactive(start)
    SolaraViz(
        model,
        components=[],
        model_params=model_params(choices, lang, market),
        name=term("title", lang),
        play_interval=200,
    )
    Dashboard(model, choices)
