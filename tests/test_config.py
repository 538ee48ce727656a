"""Config composition, presets, scenarios, user config folders and validation."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from channelsim import ChannelConfig, ConfigError, compose
from channelsim.config.compose import compose_run
from channelsim.config.schema import ScenarioEvent, StrategyConfig
from channelsim.config.validate import validate
from channelsim.experiment.run import config_hash
from channelsim.model import ChannelModel

from .conftest import SMALL

DUO = ["market=china_pc_2002_duo"]  # the two-seller market


def test_compose_returns_the_typed_default():
    cfg = compose([])
    assert isinstance(cfg, ChannelConfig)
    assert isinstance(cfg.strategy, StrategyConfig)
    assert (cfg.seed, cfg.steps) == (0, 60)
    assert cfg.market.name == "china_pc_2002" and cfg.market.n_regions == 7
    assert cfg.market.start == "2002-01"
    assert cfg.strategy.name == "relationship_channel"
    assert cfg.scenario.name == "none" and cfg.scenario.events == []


@pytest.mark.parametrize(
    "name", ["direct", "traditional_channel", "relationship_channel", "dual", "direct_seller"]
)
def test_every_strategy_preset_composes(name):
    cfg = compose([f"strategy={name}"])
    assert cfg.strategy.name == name


def test_dual_builds_on_the_relationship_channel():
    rel, dual = (
        compose(["strategy=relationship_channel"]).strategy,
        compose(["strategy=dual"]).strategy,
    )
    assert dual.online_store and not rel.online_store
    assert dual.training_budget == rel.training_budget


def test_scenario_resolves_its_presets_with_command_line_levers():
    cfg = compose(["scenario=copy_direct", "strategy.training_budget=77"])
    assert set(cfg.presets) == {"traditional_channel", "direct"}
    assert cfg.strategy.name == "traditional_channel"
    assert all(p.training_budget == 77 for p in cfg.presets.values())
    assert cfg.lever_overrides == {"training_budget": 77.0}


def test_strategy_choice_is_ignored_under_a_scenario():
    cfg = compose(["scenario=history", "strategy=direct"])
    assert cfg.strategy.name == "traditional_channel"


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ("steps=-5", ["steps", "-5", "[1, 100000]"]),
        ("seed=abc", ["seed", "abc", "integer"]),
        ("seed=-1", ["seed", ">= 0"]),
        ("strategy=nosuch", ["strategy", "nosuch", "direct", "+2 more"]),  # cut to 100 columns
        ("scenario=nosuch", ["scenario", "history"]),
        ("market.n_regions=0", ["market.n_regions", "0", "[1, 1000]"]),
        ("strategy.rebat_rate=0.1", ["strategy.rebat_rate", "strategy.rebate_rate"]),
        ("strategy.map_enforced=maybe", ["strategy.map_enforced", "true or false"]),
        ("strategy.key_route=phone", ["strategy.key_route", "reseller", "+2 more"]),
        ("market.start=2002-13", ["market.start", "YYYY-MM"]),
        (
            "market.sellers.direct.policy.markup=2",
            ["market.sellers.direct.policy.markup", "[0, 1]"],
        ),
        (
            "market.sellers.direct.policy=nosuch",
            ["market.sellers.direct.policy", "nosuch", "direct"],
        ),
        ("strategy.approval_levels=2.5", ["strategy.approval_levels", "integer"]),
        ("nosuch=1", ["nosuch", "closest valid"]),
        ("+strategy.extra=1", ["adding"]),
        ("steps=[1", ["malformed"]),
        ("seed=1,2", ["sweep"]),
    ],
)
def test_bad_input_names_the_key_and_what_is_allowed(override, words):
    with pytest.raises(ConfigError) as info:
        compose([override])
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message, (word, message)


def test_each_seller_has_capabilities_under_the_same_names_and_a_policy():
    from dataclasses import fields

    from channelsim.config.schema import SellerConfig

    cfg = compose(DUO)
    names = [f.name for f in fields(SellerConfig)]
    for seller in (cfg.market.vendor, cfg.market.direct):
        assert isinstance(seller, SellerConfig)
        assert [f.name for f in fields(seller) if f.name in names] == names
    assert cfg.market.direct.policy.name == "direct_seller"
    assert cfg.market.direct.policy.key_route == "direct"
    other = compose([*DUO, "market.sellers.direct.policy=direct"]).market.direct.policy
    assert other == compose(["strategy=direct"]).strategy  # a preset is the same for both


def test_a_market_preset_sets_the_direct_sellers_levers(tmp_path):
    (tmp_path / "market").mkdir()
    (tmp_path / "market" / "mine.yaml").write_text(
        "defaults:\n  - china_pc_2002_duo\n  - _self_\nsellers:\n  direct:\n    policy:\n"
        "      markup: 0.25\n"
    )
    policy = compose(["market=mine"], config_dir=str(tmp_path)).market.direct.policy
    assert (policy.name, policy.markup, policy.phone_sales) == ("direct_seller", 0.25, 0.35)
    policy = compose(
        ["market.sellers.direct.policy=direct", "market.sellers.direct.policy.phone_sales=0.35"]
    )
    assert (policy.market.direct.policy.phone_sales, policy.market.direct.policy.care_cost) == (
        0.35,
        0.5,  # the direct preset's own: StrategyConfig's default, as for the vendor
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            ["market.sellers.direct.policy=relationship_channel"],
            r"^market.sellers.direct.policy=relationship_channel routes accounts through partners "
            r"\(key_route=joint_team\), but market.sellers.direct.partner_share is 0: give it "
            r"resellers, and take as many from another seller's partner_share$",
        ),
        (
            ["market.sellers.direct.partner_share=0.3"],
            r"^market.sellers.\*.partner_share must add up to 1 \(direct 0.3 \+ vendor 1\): "
            r"every reseller carries one seller's products$",
        ),
        (
            ["market.sellers.vendor.partner_share=0", "market.sellers.direct.partner_share=1"],
            r"^strategy=relationship_channel routes accounts through partners",
        ),
    ],
)
def test_a_seller_that_routes_accounts_through_partners_needs_a_share_of_them(overrides, message):
    with pytest.raises(ConfigError, match=message):
        compose([*DUO, *overrides])


def test_a_partner_share_too_small_to_give_a_seller_a_reseller_in_a_region_is_refused():
    with pytest.raises(
        ConfigError, match=r"^market.sellers.direct.partner_share=0.02 is too small: of "
    ):
        compose(
            [
                *DUO,
                "market.sellers.direct.partner_share=0.02",
                "market.sellers.vendor.partner_share=0.98",
            ]
        )


def test_a_dated_route_through_partners_for_a_seller_without_them_is_refused():
    cfg = compose([])
    change = {"sellers.direct.policy.key_route": "reseller"}
    event = ScenarioEvent(date="2003-01", market=change, source="test")
    cfg.scenario = dataclasses.replace(cfg.scenario, name="turn", events=[event])
    with pytest.raises(
        ConfigError,
        match=r"^scenario.events\[0\].market routes accounts through partners "
        r"\(key_route=reseller\), but market.sellers.direct.partner_share is 0",
    ):
        validate(cfg)


def test_a_scenario_that_turns_a_vendor_without_partners_to_a_channel_is_refused():
    shares = ["market.sellers.vendor.partner_share=0", "market.sellers.direct.partner_share=1"]
    cfg = compose([*DUO, "strategy=direct", *shares])  # it sells direct: no partners needed
    event = ScenarioEvent(date="2003-01", strategy="relationship_channel", source="test")
    cfg.scenario = dataclasses.replace(cfg.scenario, name="turn", events=[event])
    cfg.presets["relationship_channel"] = compose(["strategy=relationship_channel"]).strategy
    with pytest.raises(ConfigError, match=r"^scenario.events\[0\].strategy=relationship_ch"):
        validate(cfg)


def test_partner_shares_split_the_resellers_by_region():
    cfg = compose(
        [
            *SMALL,
            "market.sellers.direct.policy=relationship_channel",
            "market.sellers.direct.partner_share=0.25",
            "market.sellers.vendor.partner_share=0.75",
        ]
    )
    model = ChannelModel(cfg)
    t = model.resellers
    start = t.active
    for region in np.unique(t.region[start]):
        here = start & (t.region == region)
        assert (t.seller[here] == model.direct_seller.row).sum() == round(0.25 * here.sum())


def test_keys_that_moved_still_work_with_a_one_line_note(capsys, fresh_notes):
    cfg = compose(["market.direct.markup=0.2", "market.vendor_brand_trust=0.9"])
    assert (cfg.market.direct.policy.markup, cfg.market.vendor.brand_trust) == (0.2, 0.9)
    compose(["market.direct.markup=0.3"])  # noted once a process
    assert capsys.readouterr().err.splitlines() == [
        "channelsim: note: market.direct.markup is now market.sellers.direct.policy.markup",
        "channelsim: note: market.vendor_brand_trust is now market.sellers.vendor.brand_trust",
    ]


def test_target_is_never_instantiated():
    with pytest.raises(ConfigError, match="_target_"):
        compose(["strategy._target_=os.system"])


def test_user_presets_from_a_config_dir(tmp_path):
    (tmp_path / "strategy").mkdir()
    (tmp_path / "strategy" / "my_policy.yaml").write_text(
        "defaults:\n  - relationship_channel\n  - _self_\nrebate_rate: 0.11\n"
    )
    (tmp_path / "market").mkdir()
    (tmp_path / "market" / "tiny.yaml").write_text(
        "defaults:\n  - china_pc_2002_duo\n  - _self_\n"
        "n_regions: 2\nresellers_per_region: 5\nkey_accounts_per_region: 5\n"
    )
    cfg = compose(["strategy=my_policy", "market=tiny"], config_dir=str(tmp_path))
    assert cfg.strategy.name == "my_policy"
    assert cfg.strategy.rebate_rate == 0.11
    assert cfg.strategy.erp_integration  # inherited from relationship_channel
    assert cfg.market.n_regions == 2 and cfg.market.name == "tiny"


def test_a_scenario_reads_its_presets_again_once_their_files_change(tmp_path):
    (tmp_path / "strategy").mkdir()
    preset = tmp_path / "strategy" / "mine.yaml"
    preset.write_text("defaults:\n  - relationship_channel\n  - _self_\nrebate_rate: 0.11\n")
    (tmp_path / "scenario").mkdir()
    (tmp_path / "scenario" / "switch.yaml").write_text(
        "name: switch\nevents:\n  - date: '2002-01'\n    strategy: traditional_channel\n"
        "  - date: '2003-01'\n    strategy: mine\n"
    )
    args = (["scenario=switch"], str(tmp_path))
    first = compose(*args)
    assert first.presets["mine"].rebate_rate == 0.11
    assert compose(*args) == first  # the same files: the same presets
    preset.write_text("defaults:\n  - relationship_channel\n  - _self_\nrebate_rate: 0.05\n")
    assert compose(*args).presets["mine"].rebate_rate == 0.05
    changed = compose(["scenario=switch", "strategy.rebate_rate=0.02"], str(tmp_path))
    assert changed.presets["mine"].rebate_rate == 0.02  # the user's levers still win
    assert compose(*args).presets["mine"].rebate_rate == 0.05  # and leave the kept preset


def test_a_kept_parse_loads_what_omegaconf_loads_and_each_load_is_a_copy(tmp_path):
    from importlib import resources

    from channelsim.config import hydra_speed

    files = sorted(Path(str(resources.files("channelsim.configs"))).rglob("*.yaml"))
    assert len(files) > 20
    for path in files:
        with open(path, encoding="utf-8") as f:
            assert hydra_speed.load(f) == hydra_speed.OMEGACONF_LOAD(str(path)), path
    mine = tmp_path / "mine.yaml"
    mine.write_text("levels: [1, 2]\n")
    first = hydra_speed.load(mine)
    first.levels.append(3)  # a caller's change stays its own
    assert hydra_speed.load(mine).levels == [1, 2]
    mine.write_text("levels: [4]\n")  # a changed file is parsed anew
    assert hydra_speed.load(mine).levels == [4]


def test_hydra_shares_the_one_config_store_and_composes_as_before():
    import copy

    from hydra.core.config_store import ConfigStore

    compose([])  # installs the speed-ups
    store = ConfigStore.instance()
    assert copy.deepcopy(store) is store
    node = store.load("base_config.yaml").node
    node.seed = 99  # a loaded schema is still a copy
    assert store.load("base_config.yaml").node.seed == 0


def test_a_config_composed_again_is_equal_and_a_copy():
    first = compose(["strategy=direct"])
    first.strategy.rebate_rate = 0.42
    again = compose(["strategy=direct"])
    assert again.strategy.rebate_rate != 0.42
    first.strategy.rebate_rate = again.strategy.rebate_rate
    assert again == first
    # the run's seed and months are set on the kept config, as composing would set them
    args = ["strategy=direct", "seed=5", "steps=7", "strategy.rebate_rate=0.03"]
    assert compose(args) == compose_run(args).config
    assert compose(args[:3]) == compose_run(args[:3]).config
    with pytest.raises(ConfigError, match="steps"):
        compose(["strategy=direct", "steps=0"])


def test_user_preset_values_are_validated(tmp_path):
    (tmp_path / "strategy").mkdir()
    (tmp_path / "strategy" / "bad.yaml").write_text("rebate_rate: 7\n")
    with pytest.raises(ConfigError, match=r"strategy.rebate_rate=7"):
        compose(["strategy=bad"], config_dir=str(tmp_path))
    (tmp_path / "strategy" / "typo.yaml").write_text("rebate_rat: 0.1\n")
    with pytest.raises(ConfigError, match="rebate_rat"):
        compose(["strategy=typo"], config_dir=str(tmp_path))
    (tmp_path / "strategy" / "evil.yaml").write_text("_target_: os.system\n")
    with pytest.raises(ConfigError, match="_target_"):
        compose(["strategy=evil"], config_dir=str(tmp_path))


def test_missing_config_dir_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="no such folder"):
        compose([], config_dir=str(tmp_path / "nope"))


def test_default_market_preset_states_every_value_the_schema_defaults_to():
    from dataclasses import asdict
    from importlib import resources

    from omegaconf import OmegaConf

    from channelsim.config.compose import CONFIG_MODULE
    from channelsim.config.schema import MarketConfig, SellerConfig

    def preset(path: str) -> dict:
        text = resources.files(CONFIG_MODULE).joinpath(path).read_text()
        return OmegaConf.to_container(OmegaConf.create(text))

    schema = asdict(MarketConfig())
    market = preset("market/china_pc_2002_duo.yaml")
    sellers = market.pop("sellers")
    assert {**market, "sellers": {}} == {**schema, "name": "china_pc_2002_duo"}
    # every seller states every capability; the direct seller names its policy's preset
    capabilities = set(asdict(SellerConfig())) - {"policy"}
    assert all(set(seller) - {"policy"} == capabilities for seller in sellers.values())
    assert sellers["direct"]["policy"] == {"name": "direct_seller"}
    # the whole market builds on it, and states every capability of the brands it adds
    whole = preset("market/china_pc_2002.yaml")
    assert whole["defaults"] == ["china_pc_2002_duo", "_self_"]
    added = {k: v for k, v in whole["sellers"].items() if k not in sellers}
    assert sorted(added) == ["globalbrands", "localbrands", "others"]
    assert all(set(seller) - {"policy"} == capabilities for seller in added.values())


def test_a_list_of_names_in_an_error_is_cut_to_the_line_and_counts_the_rest():
    from channelsim.config.validate import ERROR_ROOM, listed

    names = [f"name_{i:02d}" for i in range(30)]
    text = listed("x='y' is not allowed: one of ", names, " (see --help)")
    assert len(text) <= ERROR_ROOM
    shown = text.removeprefix("x='y' is not allowed: one of ").split(", ")
    assert shown[-1] == f"+{30 - len(shown[:-1])} more"  # the names first, then the tail
    assert shown[:-1] == names[: len(shown) - 1]
    assert listed("one of ", ["a", "b"], " (tail)") == "one of a, b (tail)"
    assert listed("k: ", ["x" * 100]) == "k: " + "x" * 100  # one name, however long


def test_a_population_range_with_its_ends_crossed_is_refused():
    with pytest.raises(ConfigError) as err:
        compose(["market.population.aptitude_lo=1.5", "market.population.aptitude_hi=1.2"])
    assert str(err.value) == (
        "market.population.aptitude_lo=1.5 is not allowed: at most "
        "market.population.aptitude_hi (1.2)"
    )


def test_a_list_parameter_is_checked_for_its_length_and_range():
    assert compose(["market.buyers.centre_key=[1,1,1,1]"]).market.buyers.centre_key == [1.0] * 4
    for bad in ("[1,1,1]", "[1,1,1,-1]", "0.5"):
        with pytest.raises(ConfigError) as err:
            compose([f"market.buyers.centre_key={bad}"])
        assert str(err.value).endswith("expected a list of 4 numbers in [0.01, 100]")


SHARES = [
    *DUO,
    "market.sellers.direct.partner_share=0.3",
    "market.sellers.vendor.partner_share=0.7",
]


@pytest.mark.parametrize(
    "overrides",
    [
        ["market.n_regions=2", "market.key_accounts_per_region=20"],
        ["scenario=history", "strategy.rebate_rate=0.05", "market.n_regions=2"],
        ["strategy=direct", "market.sellers.direct.policy.markup=0.2", "strategy.markup=0.1"],
        ["market.growth=0.1", "market=linear_duopoly", "seed=3"],
        ["experiment=optimize_online_gap", "steps=12", "strategy.online_price_gap=0.1"],
        [
            "strategy@market.sellers.direct.policy=relationship_channel",
            "scenario=copy_direct",
            *SHARES,
        ],
        ["strategy.partner_tiering=true", "market.growth=1e-1", "strategy.training_budget=5"],
        ["scenario=copy_direct", "market.start=2004-06", "steps=12", "market.growth=0.2"],
    ],
)
def test_compose_sets_values_on_a_kept_base_exactly_as_hydra_composes_them(overrides):
    """`compose` has Hydra compose the config of the other overrides once and sets the
    strategy and market values on a copy: the same config, hash included, every time."""
    whole = compose_run(overrides).config
    for _ in range(2):  # the base composed, then kept
        fast = compose(overrides)
        assert fast == whole and repr(fast) == repr(whole)
        assert config_hash(fast) == config_hash(whole)
    fast.strategy.rebate_rate = 0.5  # a copy: the kept base stays as it was
    assert compose(overrides) == whole


def test_a_value_valid_only_with_the_rest_is_judged_with_it():
    with pytest.raises(ConfigError, match="partner_share"):
        compose([*DUO, "strategy@market.sellers.direct.policy=relationship_channel"])
    assert compose(["strategy@market.sellers.direct.policy=relationship_channel", *SHARES]) == (
        compose_run(["strategy@market.sellers.direct.policy=relationship_channel", *SHARES]).config
    )
