"""Run config of the users assets: each asset declares only the fields it reads (what the
Launchpad shows for it), and builds the chain's ``UsersConfig`` from them.

The config a model was trained with is stored beside the model version (the scoring
service serves a posted user with it): ``spam_model`` merges what ``user_features`` and
``user_clusters`` ran with (each keeps its config in the object store beside its output)
with its own fields (``trained_with``), and the model store keeps that as JSON
(``config_dict`` / ``config_from_dict``).
"""

from __future__ import annotations

import dataclasses
import json

import dagster as dg
from pydantic import Field

from assets.users.config import DEFAULT_CONFIG, UsersConfig
from resources.object_store import ObjectStore

# Where a step keeps the config it last ran with (next to the cluster pipeline's pickle).
STEP_CONFIG_KEY = "models/{step}/config.json"
# Run-config names the chain's UsersConfig may still call by their old name (one place).
OLD_NAMES = {"min_agreement": "min_accuracy"}
_CHAIN_FIELDS = {f.name for f in dataclasses.fields(UsersConfig)}


def _default(name: str):
    """The chain's default of a run-config field (``UsersConfig``), lists as lists."""
    value = getattr(DEFAULT_CONFIG, name if name in _CHAIN_FIELDS else OLD_NAMES.get(name, name))
    return list(value) if isinstance(value, tuple) else value


def chain_name(name: str) -> str:
    """The ``UsersConfig`` field a run-config field sets (raises when there is none)."""
    if name in _CHAIN_FIELDS:
        return name
    if OLD_NAMES.get(name) in _CHAIN_FIELDS:
        return OLD_NAMES[name]
    raise KeyError(f"run config field {name!r} has no UsersConfig field to go to")


def config_dict(config: UsersConfig) -> dict:
    """``config`` as plain JSON values (tuples as lists)."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def config_from_dict(values: dict | None, base: UsersConfig = DEFAULT_CONFIG) -> UsersConfig:
    """A ``UsersConfig`` from stored values: lists back to tuples, old field names mapped,
    fields the chain no longer has ignored, missing ones from ``base``."""
    known = {}
    for k, v in (values or {}).items():
        try:
            name = chain_name(k)
        except KeyError:
            continue
        if isinstance(v, list):
            v = tuple(tuple(x) if isinstance(x, list) else x for x in v)
        known[name] = v
    return dataclasses.replace(base, **known)


class UsersStepConfig(dg.Config):
    """Base of the users assets' run config: its fields go into ``UsersConfig``."""

    def chain_values(self) -> dict:
        """This step's fields under their ``UsersConfig`` names (lists as tuples)."""
        out = {}
        for k, v in self.model_dump().items():
            out[chain_name(k)] = tuple(v) if isinstance(v, list) else v
        return out

    def users_config(self, base: UsersConfig = DEFAULT_CONFIG) -> UsersConfig:
        return dataclasses.replace(base, **self.chain_values())


class UserFeaturesConfig(UsersStepConfig):
    """Lists and stock-phrase rules the features are computed with."""

    shorteners: list[str] = Field(default=_default("shorteners"), description=(
        "Domains of general-purpose URL shorteners (a link on one sets url_shortener)."))
    link_hubs: list[str] = Field(default=_default("link_hubs"), description=(
        "Domains of link-in-bio pages and music smart links (sets url_link_hub)."))
    free_tlds: list[str] = Field(default=_default("free_tlds"), description=(
        "TLDs whose registrations were given away for free (random-looking names on them set random_free_domain)."))
    abused_tlds: list[str] = Field(default=_default("abused_tlds"), description=(
        "Much-abused TLDs besides the free ones (a link on one sets abused_tld)."))
    commercial_terms: list[str] = Field(default=_default("commercial_terms"), description=(
        "Commercial call-to-action words and phrases, matched as whole words (commercial_terms counts them)."))
    stock_phrase_max_words: int = Field(default=_default("stock_phrase_max_words"), description=(
        "A sentence of at most this many words can be a stock phrase."))
    stock_phrase_min_descriptions: int = Field(default=_default("stock_phrase_min_descriptions"), description=(
        "A short sentence used by at least this many distinct descriptions is a stock phrase."))


class UserClustersConfig(UsersStepConfig):
    """K-Means: the sample it is fitted on, the k range of the inertia curve, its starts."""

    cluster_sample_size: int = Field(default=_default("cluster_sample_size"), description=(
        "Users sampled uniformly to fit K-Means (feature selection uses the same sample); every user is "
        "assigned on Spark."))
    k_min: int = Field(default=_default("k_min"), description="Smallest k of the inertia curve.")
    k_max: int = Field(default=_default("k_max"), description="Largest k of the inertia curve.")
    kmeans_n_init: int = Field(default=_default("kmeans_n_init"), description=(
        "K-Means starts per k (the best is kept)."))
    seed: int = Field(default=_default("seed"), description=(
        "Seed of the sample and of the K-Means starts: the same seed on the same users gives the same clusters."))


class SpamModelConfig(UsersStepConfig):
    """Training samples, the network, and the promotion bar."""

    train_per_class: int = Field(default=_default("train_per_class"), description=(
        "Training users per class (balanced; smaller classes are weighted up)."))
    test_per_class: int = Field(default=_default("test_per_class"), description=(
        "Held-out users per class (disjoint from training)."))
    hidden_layers: list[int] = Field(default=_default("hidden_layers"), description=(
        "Units per hidden layer of the network."))
    mlp_alpha: float = Field(default=_default("mlp_alpha"), description=(
        "L2 penalty of the network (robustness to noisy training labels)."))
    model_features: str = Field(default=_default("model_features"), description=(
        "'all' features or the CFS-'selected' ones as model inputs."))
    seed: int = Field(default=_default("seed"), description=(
        "Seed of the train/test samples and of the network's initialisation."))
    spam_threshold: float = Field(default=_default("spam_threshold"), description=(
        "predicted_class is spam where the network's P(spam) is at least this (spam and the rest weigh half "
        "each in training, so 0.5 is where they are equally likely)."))
    min_agreement: float = Field(default=_default("min_agreement"), description=(
        "Promotion bar: agreement of the model with the chain's own training labels (clusters corrected by "
        "labelling functions and known labels) on the held-out sample. Not spam truth: real metrics are in "
        "bench/RESULTS.md."))
    min_spam_auc: float = Field(default=_default("min_spam_auc"), description=(
        "Promotion bar: ROC-AUC of P(spam) against the same held-out labels."))
    max_regression: float = Field(default=_default("max_regression"), description=(
        "A new model may agree at most this much less than the promoted one on the same held-out sample; "
        "otherwise the promoted one is kept (and scores)."))


class SpamScoresConfig(UsersStepConfig):
    """The spam-share warning of spam_scores."""

    spam_share_tolerance: float = Field(default=_default("spam_share_tolerance"), description=(
        "Warn when the spam share moves by more than this fraction of the previous run's share."))


# The steps before the model whose config the model's stored config records.
STEPS_BEFORE_MODEL = ("user_features", "user_clusters")


def save_step_config(store: ObjectStore, step: str, config: UsersStepConfig) -> str:
    """Keep what ``step`` ran with (its own fields, chain names) in the object store."""
    key = STEP_CONFIG_KEY.format(step=step)
    values = json.loads(json.dumps(config.chain_values()))
    store.put_bytes(key, json.dumps(values, indent=2, sort_keys=True).encode())
    return key


def load_step_config(store: ObjectStore, step: str) -> dict | None:
    key = STEP_CONFIG_KEY.format(step=step)
    return json.loads(store.get_bytes(key)) if store.exists(key) else None


def trained_with(store: ObjectStore, model_config: SpamModelConfig) -> tuple[UsersConfig, list[str]]:
    """The config a model trained now is trained with: what the earlier steps last ran with
    (defaults for a step that kept none: listed in the second value), then the model's own
    fields."""
    cfg, missing = DEFAULT_CONFIG, []
    for step in STEPS_BEFORE_MODEL:
        values = load_step_config(store, step)
        if values is None:
            missing.append(step)
        cfg = config_from_dict(values, cfg)
    return model_config.users_config(cfg), missing
