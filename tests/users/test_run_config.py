"""Scenario: an operator opens a users asset on the Launchpad and sees only the fields that
asset reads, each described, with the chain's defaults; what they set reaches the chain's
UsersConfig, and a stored config comes back as the same UsersConfig."""

from __future__ import annotations

import dataclasses

import pytest

from assets.users import assets as ua
from assets.users.config import DEFAULT_CONFIG, UsersConfig
from assets.users.run_config import (
    SpamModelConfig,
    SpamScoresConfig,
    UserClustersConfig,
    UserFeaturesConfig,
    chain_name,
    config_dict,
    config_from_dict,
)

STEP_CONFIGS = {ua.user_features: UserFeaturesConfig, ua.user_clusters: UserClustersConfig,
                ua.spam_model: SpamModelConfig, ua.spam_scores: SpamScoresConfig}


def _launchpad_fields(asset) -> set[str]:
    schema = asset.op.config_schema
    fields = getattr(schema.config_type, "fields", None) if schema is not None else None
    return set(fields or ())


@pytest.mark.parametrize("asset", list(STEP_CONFIGS), ids=lambda a: a.key.path[-1])
def test_each_asset_has_its_own_config(asset):
    cls = STEP_CONFIGS[asset]
    assert _launchpad_fields(asset) == set(cls.model_fields)
    for name, f in cls.model_fields.items():
        assert f.description and len(f.description) > 15, name
        default = getattr(DEFAULT_CONFIG, chain_name(name))
        assert f.default == (list(default) if isinstance(default, tuple) else default), name


def test_no_field_is_on_every_launchpad():
    """The old shared class put 13 fields on all five assets; now a field is on one asset,
    except the seed (clusters and model each draw their own random numbers)."""
    seen: dict[str, list[str]] = {}
    for asset, cls in STEP_CONFIGS.items():
        for name in cls.model_fields:
            seen.setdefault(name, []).append(asset.key.path[-1])
    shared = {k: v for k, v in seen.items() if len(v) > 1}
    assert shared == {"seed": ["user_clusters", "spam_model"]}
    assert _launchpad_fields(ua.feature_selection) == set()  # it runs on user_clusters' sample
    assert len(_launchpad_fields(ua.spam_scores)) == 1


def test_fields_reach_the_chain_config():
    cfg = UserFeaturesConfig(shorteners=["sho.rt"], stock_phrase_min_descriptions=7).users_config()
    assert cfg.shorteners == ("sho.rt",) and cfg.stock_phrase_min_descriptions == 7
    assert cfg.k_max == DEFAULT_CONFIG.k_max
    model = SpamModelConfig(hidden_layers=[8], seed=3, min_agreement=0.5).users_config(cfg)
    assert model.hidden_layers == (8,) and model.seed == 3 and model.shorteners == ("sho.rt",)
    bar_field = chain_name("min_agreement")
    assert getattr(model, bar_field) == 0.5


def test_stored_config_round_trip():
    cfg = dataclasses.replace(DEFAULT_CONFIG, shorteners=("a.b",), hidden_layers=(16, 4), seed=9)
    stored = config_dict(cfg)
    assert stored["shorteners"] == ["a.b"] and stored["hidden_layers"] == [16, 4]
    assert config_from_dict(stored) == cfg
    # a field the chain no longer has is ignored; a missing one takes the default
    partial = {k: v for k, v in stored.items() if k != "k_max"} | {"retired_knob": 1}
    back = config_from_dict(partial)
    assert back.k_max == UsersConfig().k_max and back.shorteners == ("a.b",)
