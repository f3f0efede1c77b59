"""Settings of the users chain: lists, sample sizes and the model bar (run config defaults).

Nothing here describes the simulator: the lists are public facts (URL shorteners, the
Freenom free TLDs) and the sizes are compute budgets.
"""

from __future__ import annotations

from dataclasses import dataclass

# Curated general-purpose URL shorteners (public services; link hubs such as linktr.ee are
# not shorteners: they show a page of links under the owner's name).
SHORTENERS: tuple[str, ...] = (
    "adf.ly", "bit.do", "bit.ly", "bl.ink", "buff.ly", "clck.ru", "cli.gs", "cutt.ly", "db.tt",
    "goo.gl", "is.gd", "j.mp", "lnkd.in", "mcaf.ee", "ow.ly", "po.st", "qr.ae", "rb.gy",
    "rebrand.ly", "s.id", "short.io", "shorturl.at", "soo.gd", "t.co", "t.ly", "tiny.cc",
    "tinyurl.com", "tr.im", "u.to", "urlz.fr", "v.gd", "x.co", "zpr.io",
)
# Link-in-bio pages and music smart links: one page under the artist's name with links to
# their releases and profiles (Linktree, Linkfire's lnk.to, Feature.fm, ToneDen, ...).
# Legitimate musicians promote releases with them; on their own they are not spam evidence.
LINK_HUBS: tuple[str, ...] = (
    "album.link", "beacons.ai", "bfan.link", "bio.link", "campsite.bio", "ditto.fm", "fanlink.tv", "feature.fm",
    "ffm.to", "found.ee", "hypeddit.com", "linkin.bio", "linktr.ee", "lnk.bio", "lnk.to", "odesli.co", "orcd.co",
    "push.fm", "smarturl.it", "solo.to", "song.link", "songwhip.com", "toneden.io",
)
# Domains whose registrations were given away for free (Freenom), long favoured by spam.
FREE_TLDS: tuple[str, ...] = ("cf", "ga", "gq", "ml", "tk")
# Cheap TLDs that lead public "most abused TLD" rankings (e.g. Spamhaus), besides the free ones.
ABUSED_TLDS: tuple[str, ...] = ("buzz", "club", "icu", "online", "rest", "site", "top", "work", "xyz")
# Commercial call-to-action and service words of self-promoting businesses (SEO accounts:
# the seed found plumbers, attorneys, wedding photographers...). Matched as whole words.
COMMERCIAL_TERMS: tuple[str, ...] = (
    "agency", "attorney", "best price", "best prices", "bonus", "buy now", "call now", "call us", "casino",
    "cheap", "company", "coupon", "dentist", "discount", "essay", "free quote", "insurance", "lawyer", "llc",
    "loan", "loans", "locksmith", "ltd", "marketing", "order now", "pills", "plumber", "plumbing", "promo code",
    "rental", "repair", "seo", "service", "services", "visit our website", "weight loss", "wholesale",
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
    # promotion bar (on the held-out balanced sample labelled like the training data)
    min_accuracy: float = 0.90
    min_spam_auc: float = 0.95
    max_regression: float = 0.01
    # spam share of this run vs the previous one (a warning, not blocking)
    spam_share_tolerance: float = 0.5
    seed: int = 0


DEFAULT_CONFIG = UsersConfig()
