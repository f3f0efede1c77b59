"""Ground truth: what the population and the catalog feed planted, for scoring detectors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd

from simulator import population as P


def user_classes(seed: int, users: int, first_id: int = 1, last_id: int | None = None) -> pd.DataFrame:
    """(id, class, hard_case) for ids first_id..last_id (default: all of 1..users).

    ``hard_case`` names the planted hard variant (camouflaged_spam, seo_normal_counts,
    legit_shortener, new_heavy_follower) or is None; see ``population.variant_codes``.
    """
    last = users if last_id is None else min(last_id, users)
    ids = np.arange(first_id, last + 1, dtype=np.int64)
    codes = P.class_codes(seed, ids)
    variants = P.variant_codes(seed, ids, codes)
    return pd.DataFrame({"id": ids, "class": pd.Series(codes).map(P.CLASS_NAMES).to_numpy(),
                         "hard_case": pd.Series(variants).map(P.HARD_CASE_NAMES).to_numpy()})


def ids_of(seed: int, users: int, class_name: str) -> list[int]:
    """Every id in 1..users of one class (e.g. 'bot_multifollow', 'maven', 'follow_farm')."""
    df = user_classes(seed, users)
    return df.loc[df["class"] == class_name, "id"].tolist()


def bot_ids(seed: int, users: int) -> list[int]:
    """Multi-follow bots and follow-farm members."""
    df = user_classes(seed, users)
    return df.loc[df["class"].isin(["bot_multifollow", "follow_farm"]), "id"].tolist()


def maven_ids(seed: int, users: int) -> list[int]:
    return ids_of(seed, users, "maven")


def catalog_frames(seed: int, days: int, tracks_per_day: int, start_date: str | dt.date = "2024-01-01",
                   fmt: str = "mixed", bad_row_rate: float = 0.01) -> dict[str, pd.DataFrame]:
    """labels (label_id, role, kind, network_id, group_id, script) and bad_rows (track_id, kind, date, key, row)."""
    from simulator.catalog import catalog_truth

    t = catalog_truth(seed, days, tracks_per_day, start_date, fmt, bad_row_rate)
    return {
        "labels": pd.DataFrame(t.labels, columns=["label_id", "role", "kind", "network_id", "group_id", "script"]),
        "bad_rows": pd.DataFrame(t.bad_rows, columns=["track_id", "kind", "date", "key", "row"]),
    }


def truth_tables(*, user_seed: int = 1, users: int = 10_000, first_id: int = 1, last_id: int | None = None,
                 catalog_seed: int = 2, days: int | None = None, tracks_per_day: int | None = None,
                 start_date: str | dt.date = "2024-01-01", fmt: str = "mixed", bad_row_rate: float = 0.01
                 ) -> dict[str, pd.DataFrame]:
    """Every truth table: users (id, class), plus labels and bad_rows when a catalog size is given."""
    tables = {"users": user_classes(user_seed, users, first_id, last_id)}
    if days is not None and tracks_per_day is not None:
        tables.update(catalog_frames(catalog_seed, days, tracks_per_day, start_date, fmt, bad_row_rate))
    return tables


def write_truth(out: str, tables: dict[str, pd.DataFrame], meta: dict) -> list[str]:
    """FILE.json (one document) or FILE.parquet (one FILE.<table>.parquet per table)."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".json":
        users = tables["users"]
        doc = {
            "meta": meta,
            "user_classes": dict(zip(users["id"].astype(str), users["class"], strict=True)),
            "bot_ids": users.loc[users["class"].isin(["bot_multifollow", "follow_farm"]), "id"].tolist(),
            "maven_ids": users.loc[users["class"] == "maven", "id"].tolist(),
            "hard_cases": {str(i): h for i, h in zip(users["id"], users["hard_case"], strict=True) if isinstance(h, str)},
        }
        if "labels" in tables:
            labels = tables["labels"]
            doc["fraud_label_ids"] = sorted(labels.loc[labels["role"] == "fraud", "label_id"])
            doc["networks"] = dict(sorted(zip(labels["label_id"], labels["network_id"], strict=True)))
            doc["networks"] = {k: v for k, v in doc["networks"].items() if isinstance(v, str)}
            doc["near_miss_groups"] = labels.dropna(subset=["group_id"]).groupby("group_id")["label_id"].apply(sorted).to_dict()
            legit = labels[labels["role"] == "legit"]
            doc["lookalike_labels"] = legit.groupby("kind")["label_id"].apply(sorted).to_dict()
            doc["labels"] = labels.astype(object).where(labels.notna(), None).to_dict("records")
            doc["bad_rows"] = tables["bad_rows"].to_dict("records")
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=int))
        return [str(path)]
    if path.suffix == ".parquet":
        written = []
        for name, df in tables.items():
            p = path.with_name(f"{path.stem}.{name}.parquet")
            df.to_parquet(p, index=False)
            written.append(str(p))
        return written
    raise ValueError(f"--out must end in .json or .parquet, got {out!r}")


def main_truth(args) -> int:
    import sys

    if (args.days is None) != (args.tracks_per_day is None):
        print("error: give both --days and --tracks-per-day (or neither)", file=sys.stderr)
        return 2
    user_seed = args.user_seed if args.user_seed is not None else (args.seed if args.seed is not None else 1)
    catalog_seed = args.catalog_seed if args.catalog_seed is not None else (args.seed if args.seed is not None else 2)
    meta = {"user_seed": user_seed, "users": args.users, "catalog_seed": catalog_seed, "days": args.days,
            "tracks_per_day": args.tracks_per_day, "start_date": str(args.start_date), "bad_row_rate": args.bad_row_rate}
    try:
        tables = truth_tables(user_seed=user_seed, users=args.users, first_id=args.first_id, last_id=args.last_id,
                              catalog_seed=catalog_seed, days=args.days, tracks_per_day=args.tracks_per_day,
                              start_date=args.start_date, bad_row_rate=args.bad_row_rate)
        files = write_truth(args.out, tables, meta)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print("\n".join(files))
    return 0
