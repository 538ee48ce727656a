"""Words shown to people — in figures and on the dashboard — in English or in the case's
own Chinese terms (大客户, 渠道, 直销 ...), and the CJK font matplotlib needs for them."""

from __future__ import annotations

import logging
import re
from pathlib import Path

LANGS = ("en", "zh")

# one entry a term: English first, then the case source's Chinese
TERMS: dict[str, tuple[str, str]] = {
    "vendor": ("vendor", "厂商"),
    "direct": ("direct seller", "直销厂商"),
    # the default market's other sellers (market.sellers), as a legend names them
    "globalbrands": ("global brands", "国际品牌"),
    "localbrands": ("local brands", "本土品牌"),
    "others": ("others", "其他"),
    "resellers": ("resellers (all)", "代理商(合计)"),
    "reseller": ("reseller", "代理商"),
    "distributor": ("distributor", "分销商"),
    "key": ("Key accounts", "大客户"),
    "global": ("Global accounts", "全球大客户"),
    "mid": ("Mid-market", "中型客户"),
    "txn": ("Transactional", "零散型客户"),
    "shares_title": ("Share of units bought, by segment", "各类客户的采购份额"),
    "key_share_title": ("Key accounts: share of units bought", "大客户采购份额"),
    "smoothed": ("{months}-month mean", "{months}个月均值"),
    "seller_shares_title": (
        "Share of the whole market's units, by seller ({months}-month means)",
        "各厂商占整个市场采购量的份额({months}个月均值)",
    ),
    "seller_share_axis": ("share of all units bought", "占全部采购量的份额"),
    "profits_title": ("Profits", "利润"),
    "profit_axis": ("profit a month (list-price units)", "月利润(按标价计)"),
    "conflict_title": ("Channel conflict and partner satisfaction", "渠道冲突与合作伙伴满意度"),
    "conflict": ("conflict index", "渠道冲突指数"),
    "satisfaction": ("partner satisfaction", "合作伙伴满意度"),
    "network_title": ("The channel network", "渠道网络"),
    "tier1": ("tier-1 partner", "一级合作伙伴"),
    "tier2": ("tier-2 partner", "二级合作伙伴"),
    "relationship_partner": ("relationship partner", "关系型合作伙伴"),
    "exited": ("left the channel", "已退出渠道"),
    "key_of": ("key account:", "大客户:"),
    "month": ("Month", "月份"),
    "key_share_now": ("Vendor's key-account share", "厂商大客户份额"),
    "total_shares_now": ("Share of the whole market", "整体市场份额"),
    "policy": ("Policy in force", "当前渠道政策"),
    "levers": ("Levers (take effect from the next month)", "政策杠杆(下月起生效)"),
    "meanings": ("What the levers mean in the case", "案例中各项政策的含义"),
    "scenario": ("Scenario", "情景"),
    "strategy": ("Strategy", "渠道策略"),
    "seed": ("Seed", "随机种子"),
    "on": ("on", "开"),
    "off": ("off", "关"),
    "held": ("Held by you through the scenario's switches", "手动设定(情景切换时保持)"),
    "release": ("Release my levers", "取消手动设定"),
    "title": ("channelsim — channel strategy", "channelsim — 渠道策略模拟"),
    "compare_title": (
        "Side by side, the same seed ({months}-month means)",
        "同一随机种子下的对比({months}个月均值)",
    ),
    "tab_run": ("Run", "运行"),
    "tab_compare": ("Compare", "对比"),
    "tab_map": ("Strategy map", "策略地图"),
    "side_left": ("left", "左"),
    "side_right": ("right", "右"),
    "side_both": ("both", "两边"),
    "levers_apply": ("Levers apply to", "杠杆作用于"),
    "smoothed_headline": (
        "Vendor's key-account share, {months}-month mean",
        "厂商大客户份额({months}个月均值)",
    ),
    "market_cell": ("Market: map cell {cell}", "市场: 地图格 {cell}"),
    "default_market": ("Back to the default market", "回到默认市场"),
    "map_hint": (
        "Each cell names the strategy that earns the vendor most there ({kpi}, {window}; "
        "paired over {seeds} seeds), with its lead over the runner-up; grey: no clear winner. "
        "★ the case's market. Click a cell to open that market in the run view.",
        "每格显示在该市场中厂商获利最多的策略({kpi}, {window}; {seeds}个随机种子配对比较)"
        "及其领先幅度; 灰色: 无明显胜者。★ 案例所在市场。点击一格, 在运行视图中打开该市场。",
    ),
    "no_winner": ("no clear winner", "无明显胜者"),
    "map_source": ("Map: {where}", "地图: {where}"),
    "builtin_map": (
        "built in (channelsim map experiment=map_china)",
        "内置(channelsim map experiment=map_china)",
    ),
    # the strategy presets (marked on the time axis when a scenario switches to one)
    "preset_direct": ("direct sales", "直销模式"),
    "preset_traditional_channel": ("traditional channel", "传统渠道"),
    "preset_relationship_channel": ("relationship channel", "关系型渠道"),
    "preset_dual": ("dual model", "深双化模式"),
    "preset_direct_seller": ("the direct seller's policy", "直销厂商的政策"),
    # a dated change marked on a time axis: a number on the line, its words in a legend
    "marks": ("Marked", "标记"),
    "you_set": ("you set {levers}", "手动设定: {levers}"),
    "event_change": ("{seller}: {what} {value}", "{seller}: {what} {value}"),
    "acquisition_change": ("{buyer} buys {share} of {seller}", "{buyer}收购{seller}的{share}"),
    # the case study's scenarios and figures
    "history": ("history", "历史路径"),
    "stay_traditional": ("stay_traditional", "维持传统渠道"),
    "copy_direct": ("copy_direct", "模仿直销"),
    "key_share_axis": ("vendor share of key-account units", "厂商在大客户采购中的份额"),
    "key_band_title": (
        "Key accounts: mean of {seeds} seeds with 95% band (3-month means)",
        "大客户:{seeds}个随机种子的均值与95%区间(3个月均值)",
    ),
    "segment_band_title": (
        "Vendor share of units by segment (6-month means, 95% bands)",
        "厂商在各类客户中的份额(6个月均值,95%区间)",
    ),
    "seller_band_title": (
        "Every seller's share of the whole market's units (3-month means, 95% bands)",
        "各厂商占整个市场采购量的份额(3个月均值,95%区间)",
    ),
    "vendor_profit_axis": ("vendor profit a month (list-price units)", "厂商月利润(按标价计)"),
    "vendor_profit_title": (
        "Vendor profit (3-month means, 95% bands)",
        "厂商利润(3个月均值,95%区间)",
    ),
    "event_low_end": ("direct seller leaves the low end", "直销厂商退出低端市场"),
    "ablation_axis": (
        "key-share recovery in {window} carried by the part (dashed: the whole recovery)",
        "{window}大客户份额回升中该部分的贡献(虚线:全部回升)",
    ),
    "ablation_title": (
        "Ablation of the relationship channel (95% intervals)",
        "关系型渠道各部分的分解(95%区间)",
    ),
}

# the dashboard's levers: (strategy field, English, Chinese, what it means in the case)
LEVERS: dict[str, tuple[str, str, str, str]] = {
    "rebate_rate": (
        "Rebate rate",
        "返利比例",
        "Paid on a quarter's purchases when the partner meets its target: money that buys "
        "partners' effort, and that price-cutters pass on to buyers.",
        "合作伙伴完成季度任务后按采购额返利:激励渠道投入,但也可能被用来压价。",
    ),
    "training_budget": (
        "Training budget",
        "培训预算",
        "The vendor's partner training: selling skill, product knowledge and how to beat the "
        "direct seller's offers — what turned resellers into a relationship channel.",
        "厂商对合作伙伴的培训:销售技能、产品知识和应对直销的方法——把代理商变成关系型渠道的关键。",
    ),
    "map_enforced": (
        "Enforce minimum advertised price",
        "执行最低限价",
        "Partners keep to the price floor, and price checks join the audits: less undercutting "
        "and less conflict between partners.",
        "合作伙伴遵守统一限价,价格检查纳入稽查:减少相互压价和渠道冲突。",
    ),
    "deal_registration": (
        "Deal registration",
        "项目报备",
        "A partner that registers a project first has it to itself: partners stop bidding "
        "against each other for the same key account.",
        "先报备项目的合作伙伴独享该项目:避免多家代理商争抢同一个大客户。",
    ),
    "erp_integration": (
        "ERP build-to-order",
        "ERP按单定制",
        "Partners configure to order through the vendor's ERP: key accounts get the "
        "configurations the direct seller was winning them with.",
        "合作伙伴通过厂商ERP按单配置:大客户得到与直销同样的定制产品。",
    ),
    "exclusive_partners": (
        "Exclusive partners",
        "独家代理",
        "Partners carry the vendor's brand alone, for better terms: their whole staff sells "
        "it, but firms that favour other brands leave the network.",
        "合作伙伴只代理本品牌,换取更优厚的条件:全部人手卖本品牌,但偏向其他品牌的代理商会离开渠道。",
    ),
    "customer_care": (
        "Customer care",
        "客户关怀",
        "Company-level care of each key account: the relationship stays with the vendor when "
        "an account manager leaves.",
        "公司层面的客户关怀:客户经理离职时,客户关系留在公司。",
    ),
    "am_turnover": (
        "Account-manager turnover",
        "客户经理流失率",
        "The monthly chance an account manager leaves, taking relationships along — the "
        "source's 'over-reliance on individual sales people'.",
        "客户经理每月离职的概率:关系随人流失,即案例所说的“过分依赖个人销售”。",
    ),
    "audit_probability": (
        "Audit probability",
        "稽查概率",
        "The monthly chance a reseller is audited for diverting stock across regions: "
        "anti-diversion enforcement against the gray market.",
        "代理商每月被稽查窜货的概率:打击跨区窜货和灰色市场。",
    ),
    "online_store": (
        "Online store",
        "网上直销",
        "The vendor sells to consumers online, in competition with its own resellers.",
        "厂商在网上直接向消费者销售,与自己的代理商竞争。",
    ),
    "online_price_gap": (
        "Online price below retail",
        "网上价格低于零售价",
        "How far the online price sits below the channel's retail price: the wider, the more "
        "the online store takes from resellers.",
        "网上价格比渠道零售价低多少:差价越大,对代理商的冲击越大。",
    ),
}

# the KPIs' names in every report (a sweep's, the case comparison's, a map's): the
# vendor's and the direct seller's by name, any other seller's and programme cost by rule
KPI_LABELS: dict[str, str] = {
    "share_vendor_total": "vendor share of all units",
    "profit_vendor": "vendor profit / month",
    "revenue_vendor": "vendor revenue / month",
    "profit_direct": "direct seller profit / month",
    "revenue_direct": "direct seller revenue / month",
    "profit_resellers": "reseller profit / month",
    "active_resellers": "active resellers",
    "partner_satisfaction": "partner satisfaction",
    "relationship_vendor_key": "vendor side's ties with key accounts",
    "relationship_direct_key": "direct seller's ties with key accounts",
    "relationships_lost": "relationships lost / month",
    "opportunities_open": "open key-account projects",
    "opportunities_won_vendor": "projects won by the vendor's side / month",
    "opportunities_won_direct": "projects won by the direct seller / month",
    "gray_market_units": "gray-market units / month",
    "conflict_index": "conflict index",
    "coverage_key": "key accounts covered",
    "mean_partner_capability": "partner capability",
    "vendor_margin_per_unit": "vendor margin / unit",
    "channel_program_cost": "channel programme cost / month",
    "bad_debt_vendor": "vendor bad debt / month",
    "units_online": "online units / month",
    "units_channel": "units through partners / month",
    "partner_exits": "partners leaving / month",
    "partner_entries": "partners entering / month",
    "complaint_share": "share of partners complaining",
    "price_dispersion": "price dispersion",
    "relationship_partners": "relationship partners",
    "tier1_resellers": "tier-1 resellers",
    "fines_vendor": "fines paid to the vendor / month",
}
KPI_SELLERS = {"vendor": "vendor", "direct": "direct seller"}
KPI_SEGMENTS = {
    "key": "key-account",
    "global": "global-account",
    "mid": "mid-market",
    "txn": "walk-in",
}
KPI_RULES = (
    (re.compile(r"^share_([a-z0-9_]+)_total$"), "{0} share of all units"),
    (re.compile(r"^share_([a-z0-9_]+?)_(key|global|mid|txn|total)$"), "{0} {1} share"),
    (re.compile(r"^win_rate_([a-z0-9_]+?)_key$"), "{0} key-account win rate"),
    (re.compile(r"^(profit|revenue|units)_([a-z0-9_]+)$"), "{1} {0} / month"),
    (re.compile(r"^field_reps_([a-z0-9_]+)$"), "{0} field reps"),
    (re.compile(r"^cost_([a-z0-9_]+)$"), "cost of {0} / month"),
    (re.compile(r"^funnel_(identified|qualified)$"), "projects {0} / month"),
    (re.compile(r"^funnel_([a-z]+)$"), "projects at {0} / month"),
)


def kpi_label(metric: str) -> str:
    """A KPI's name as every report shows it: `share_direct_mid` is "direct seller
    mid-market share", `profit_dell` "dell profit / month"."""
    if metric in KPI_LABELS:
        return KPI_LABELS[metric]
    for rule, text in KPI_RULES:
        found = rule.match(metric)
        if found:
            words = [
                KPI_SEGMENTS.get(g, KPI_SELLERS.get(g, g.replace("_", " "))) for g in found.groups()
            ]
            return text.format(*words)
    return metric.replace("_", " ")


CJK_FONTS = ("WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC")
CJK_FONT_FILES = ("wqyzenhei", "notosanscjk", "notosanssc", "sourcehansans")


def check_lang(lang: str) -> str:
    """`lang` itself, or a ValueError naming what is allowed."""
    if lang not in LANGS:
        raise ValueError(f"lang={lang!r} is not allowed: expected one of {', '.join(LANGS)}")
    return lang


def term(key: str, lang: str = "en", **fields: object) -> str:
    """One term in `lang`, with any `{field}` filled in."""
    text = TERMS[key][LANGS.index(check_lang(lang))]
    return text.format(**fields) if fields else text


def preset_label(name: str, lang: str = "en") -> str:
    """A strategy preset's name in `lang` (a user's own preset keeps its name)."""
    key = f"preset_{name}"
    return term(key, lang) if key in TERMS else name


def lever_label(name: str, lang: str = "en") -> str:
    en, zh, _, _ = LEVERS[name]
    return zh if lang == "zh" else en


def lever_meaning(name: str, lang: str = "en") -> str:
    _, _, en, zh = LEVERS[name]
    return zh if lang == "zh" else en


class FontMissing(RuntimeError):
    """No font on this machine draws Chinese."""


def font_rc(lang: str) -> dict[str, object]:
    """matplotlib settings that draw `lang` (for `plt.rc_context`): for Chinese, a CJK
    font as the fallback after the usual sans-serif font, found by name, or by file when
    matplotlib's font cache predates the font's install."""
    import matplotlib
    from matplotlib import font_manager

    if check_lang(lang) != "zh":
        return {}
    names = {f.name for f in font_manager.fontManager.ttflist}
    found = [name for name in CJK_FONTS if name in names]
    if not found:
        for path in font_manager.findSystemFonts():
            if any(part in Path(path).name.lower().replace("-", "") for part in CJK_FONT_FILES):
                font_manager.fontManager.addfont(path)
        names = {f.name for f in font_manager.fontManager.ttflist}
        found = [name for name in CJK_FONTS if name in names]
    if not found:
        raise FontMissing(
            "lang=zh needs a Chinese font: `make` installs fonts-wqy-zenhei "
            "(or: apt-get install fonts-wqy-zenhei)"
        )
    # the CJK fonts come in one weight: matplotlib's note that it used it instead is noise
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    # matplotlib falls back glyph by glyph along font.family: Latin text keeps its font
    first = matplotlib.rcParamsDefault["font.sans-serif"][0]
    return {"font.family": [first, *found], "axes.unicode_minus": False}
