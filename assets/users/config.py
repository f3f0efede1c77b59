"""Settings of the users chain: lists, sample sizes, the label model and the model bar
(run config defaults).

The lists are public facts, each with its source in a comment; none is taken from the
simulator (``simulator/words.py`` plants a few of the same public names, e.g. bit.ly or the
Freenom TLDs, because they are what spammers use; nothing here was derived from it: checked
with ``grep`` of every entry against ``simulator/words.py``, see the issue-17 report). The
word list ``commercial_terms`` is run config: a platform sets its own. The sizes are compute
budgets; the thresholds are named where they are read.
"""

from __future__ import annotations

from dataclasses import dataclass

# General-purpose URL shorteners anyone can create links on (public services; source: the
# services listed in Wikipedia's "URL shortening" article and its "Notable URL shortening
# services" list). Not in the list: platform wrappers nobody can choose (Twitter's t.co
# wraps EVERY link on Twitter, so it says nothing about the account), and link-in-bio pages
# (linktr.ee and the like show a page of links under the owner's name: LINK_HUBS).
SHORTENERS: tuple[str, ...] = (
    "adf.ly", "bit.do", "bit.ly", "bl.ink", "buff.ly", "clck.ru", "cli.gs", "cutt.ly", "db.tt",
    "goo.gl", "is.gd", "j.mp", "lnkd.in", "mcaf.ee", "ow.ly", "po.st", "qr.ae", "rb.gy",
    "rebrand.ly", "s.id", "short.io", "shorturl.at", "soo.gd", "t.ly", "tiny.cc",
    "tinyurl.com", "tr.im", "u.to", "urlz.fr", "v.gd", "x.co", "zpr.io",
)
# Link-in-bio pages and music smart links (the services' own sites: Linktree, Beacons,
# Linkfire's lnk.to, Feature.fm's ffm.to, ToneDen, Hypeddit, Songwhip, Odesli/song.link,
# ...): a feature column (url_link_hub) only; the chain states no evidence either way from it.
LINK_HUBS: tuple[str, ...] = (
    "album.link", "beacons.ai", "bfan.link", "bio.link", "campsite.bio", "ditto.fm", "fanlink.tv", "feature.fm",
    "ffm.to", "found.ee", "hypeddit.com", "linkin.bio", "linktr.ee", "lnk.bio", "lnk.to", "odesli.co", "orcd.co",
    "push.fm", "smarturl.it", "solo.to", "song.link", "songwhip.com", "toneden.io",
)
# TLDs whose registrations Freenom gave away for free (.tk .ml .ga .cf .gq), long the most
# abused by phishing and spam (Interisle Consulting, "Phishing Landscape" 2021-2023;
# Spamhaus TLD statistics).
FREE_TLDS: tuple[str, ...] = ("cf", "ga", "gq", "ml", "tk")
# Cheap TLDs that have led Spamhaus's "The World's Most Abused TLDs" ranking
# (spamhaus.org/statistics/tlds, 2020-2024 snapshots), besides the free ones.
ABUSED_TLDS: tuple[str, ...] = ("buzz", "club", "icu", "online", "rest", "site", "top", "work", "xyz")
# Default commercial call-to-action words: a few entries of Mailmeteor's public list of
# e-mail spam trigger words (mailmeteor.com/blog/spam-words, "Spam words to avoid"),
# matched as whole words. Run config: a platform adds its own.
COMMERCIAL_TERMS: tuple[str, ...] = (
    "act now", "best price", "best prices", "buy now", "call now", "cheap", "click here", "discount",
    "earn money", "extra income", "free quote", "lowest price", "make money", "order now", "promo code",
    "visit our website", "wholesale", "work from home",
)


@dataclass(frozen=True)
class UsersConfig:
    """Every knob of the chain; defaults are the run-config defaults of the assets."""

    shorteners: tuple[str, ...] = SHORTENERS
    link_hubs: tuple[str, ...] = LINK_HUBS
    free_tlds: tuple[str, ...] = FREE_TLDS
    abused_tlds: tuple[str, ...] = ABUSED_TLDS
    commercial_terms: tuple[str, ...] = COMMERCIAL_TERMS
    # a sentence of at most this many words, seen in at least this many distinct
    # descriptions, is a stock phrase
    stock_phrase_max_words: int = 4
    stock_phrase_min_descriptions: int = 3
    # clustering
    k_min: int = 2
    k_max: int = 10
    # K-Means is fitted, and feature selection (CFS) runs, on a uniform sample of this many
    # users: correlations from 50k users are within ~0.01 of the whole table's, at a fixed cost
    cluster_sample_size: int = 50_000
    kmeans_n_init: int = 4
    # model
    train_per_class: int = 5_000
    test_per_class: int = 5_000
    hidden_layers: tuple[int, ...] = (64, 32)
    mlp_alpha: float = 1e-2  # L2 penalty: smoother boundaries, robust to noisy cluster labels
    model_features: str = "all"  # "all" features or the CFS-"selected" ones
    # predicted_class is "spam" where the network's P(spam) >= this (spam and not-spam weigh
    # half each in training, so 0.5 is where they are equally likely)
    spam_threshold: float = 0.5
    # promotion bar (on the held-out balanced sample labelled like the training data): the
    # model's AGREEMENT with those labels (metrics["agreement"]), not spam truth; the field
    # keeps its old name until the assets' config is renamed with it
    min_accuracy: float = 0.90
    min_spam_auc: float = 0.95
    max_regression: float = 0.01
    # spam share of this run vs the previous one (a warning, not blocking)
    spam_share_tolerance: float = 0.5
    seed: int = 0


DEFAULT_CONFIG = UsersConfig()
