"""Figures in English or in the case's Chinese terms, drawn with a font that has them."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import to_rgba

from channelsim import cli, compose
from channelsim.analysis.figures import (
    network_figure,
    network_layout,
    run_figures,
    seller_colours,
    seller_shares_figure,
)
from channelsim.domain import Segment
from channelsim.experiment.run import simulate
from channelsim.labels import LEVERS, TERMS, font_rc, lever_label, lever_meaning, term
from channelsim.model import ChannelModel
from tests.conftest import SMALL


def missing_glyphs(draw) -> list[str]:
    """The 'Glyph ... missing from font' warnings raised while `draw` renders."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_the_case_terms_are_the_sources_own():
    assert term("key", "zh") == "大客户"
    assert term("global", "zh") == "全球大客户"
    assert "直销" in term("direct", "zh")
    assert "渠道" in term("conflict_title", "zh")
    assert lever_label("customer_care", "zh") == "客户关怀"
    assert lever_label("deal_registration", "zh") == "项目报备"
    assert term("key") == "Key accounts"  # English stays the default


def test_every_term_and_lever_is_in_both_languages():
    for key, (en, zh) in TERMS.items():
        assert en and zh, key
    for name in LEVERS:
        for lang in ("en", "zh"):
            assert lever_label(name, lang) and lever_meaning(name, lang)
        assert lever_meaning(name, "zh") != lever_meaning(name, "en")


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="lang='fr' is not allowed: expected one of en, zh"):
        term("key", "fr")


def test_chinese_labels_need_the_cjk_font_and_draw_with_it():
    def title(rc):
        with plt.rc_context(rc):
            fig, ax = plt.subplots()
            ax.set_title(term("key", "zh"))
            fig.canvas.draw()
            plt.close(fig)

    assert missing_glyphs(lambda: title({"font.family": ["DejaVu Sans"]}))  # the check bites
    assert font_rc("zh")["font.family"][1:]  # a CJK font after the Latin one
    assert missing_glyphs(lambda: title(font_rc("zh"))) == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_run_figures_in_each_language_draw_every_glyph(tmp_path, lang):
    metrics, model = simulate(compose(["scenario=history", *SMALL]))
    paths: list = []
    problems = missing_glyphs(
        lambda: paths.extend(run_figures(metrics, tmp_path, model.changes, lang=lang))
    )
    assert problems == []
    assert [p.name for p in paths] == ["shares.png", "profits.png", "conflict_satisfaction.png"]
    assert all(p.stat().st_size > 10_000 for p in paths)
    fig = network_figure(model, lang=lang)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert ("大客户:厂商" in labels) == (lang == "zh")
    assert missing_glyphs(lambda: fig.canvas.draw()) == []
    plt.close(fig)


def test_the_seller_chart_in_chinese_draws_every_glyph():
    metrics, model = simulate(compose(["steps=6", *SMALL]))
    fig = seller_shares_figure(metrics, model.changes, lang="zh")
    assert fig.axes[0].get_title() == "各厂商占整个市场采购量的份额(3个月均值)"
    assert missing_glyphs(lambda: fig.canvas.draw()) == []


def test_run_with_lang_zh_writes_its_figures(tmp_path, capsys):
    out = tmp_path / "run"
    code = cli.main(["run", "--lang", "zh", "steps=12", *SMALL, f"hydra.run.dir={out}"])
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in (out / "figures").iterdir()) == [
        "conflict_satisfaction.png",
        "profits.png",
        "shares.png",
    ]


def test_network_figure_colours_key_accounts_by_supplier():
    model = ChannelModel(compose(SMALL))
    for _ in range(6):
        model.step()
    layout = network_layout(model)
    shown = [int(node[1:]) for node in layout if node.startswith("a")]
    assert len(shown) == 12 * 3  # a sample of 12 key accounts in each of 3 regions
    assert all(model.accounts.segment[shown] == Segment.KEY)
    fig = network_figure(model, layout)
    accounts = fig.axes[0].collections[-1]  # drawn last
    colours = seller_colours([seller.name for seller in model.sellers])
    expected = [to_rgba(colours[int(s)]) for s in model.accounts.incumbent[shown]]
    assert [tuple(c) for c in accounts.get_facecolors()] == expected
    assert {model.vendor.row, model.direct_seller.row} <= set(
        model.accounts.incumbent[shown].tolist()
    )
    plt.close(fig)
