"""simulator.users: no import cycle, raw records, imported-user dumps (shape, truth, CLI)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from simulator import population as P
from simulator import users as U
from simulator import words

ROOT = Path(__file__).resolve().parents[2]
MODULES = ["rng", "words", "population", "graph", "users", "truth", "server", "faults", "catalog",
           "catalog_bulk", "catalog_text", "testing", "__main__"]


def test_each_module_imports_alone_and_population_does_not_import_graph():
    code = (
        "import importlib, sys\n"
        f"for m in {MODULES!r}:\n"
        "    for k in [k for k in sys.modules if k.startswith('simulator')]: del sys.modules[k]\n"
        "    importlib.import_module('simulator.' + m)\n"
        "for k in [k for k in sys.modules if k.startswith('simulator')]: del sys.modules[k]\n"
        "import simulator.population as p\n"
        "p.code_of(1, 5); p.user_object(1, 5, 0, 0); p.web_profiles(1, 5); p.description(1, 5)\n"
        "assert 'simulator.graph' not in sys.modules and 'simulator.users' not in sys.modules, sorted(sys.modules)\n"
        "import simulator.graph\n"
        "assert 'simulator.users' not in sys.modules\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_population_user_moved_with_a_clear_error():
    with pytest.raises(AttributeError, match="simulator.users.user"):
        P.user  # noqa: B018


def test_raw_records_follow_the_contract():
    recs = U.raw_records(3, 1, 300)
    assert [r["id"] for r in recs] == list(range(1, 301))
    for r in recs:
        if P.code_of(3, r["id"]) == P.DEAD:
            assert r["status"] == "gone" and r["user"] is None
        else:
            assert r["status"] == "fetched" and r["user"]["id"] == r["id"]
            assert r["web_profiles"] == P.web_profiles(3, r["id"])
            assert r["user"] == U.user(3, r["id"], 300)
    t = U.user_truth(3, range(1, 301))
    assert list(t.columns) == ["id", "class", "four_class", "is_spam", "hard_case"]
    assert (t["four_class"].isna() == (t["class"] == "dead")).all()
    assert (t.loc[t["is_spam"], "four_class"] == "Spam").all()


def _read_dump(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_user_dump_shape_and_truth(tmp_path):
    info = U.write_user_dump(tmp_path / "landing" / "user_dumps" / "platform.jsonl.gz")
    users = _read_dump(Path(info["path"]))
    truth = pd.read_parquet(info["truth_path"])
    assert info["users"] == len(users) == len(truth) == 3000 and info["spam"] == 1500
    assert [u["id"] for u in users] == truth["id"].tolist() and truth["id"].is_unique
    assert truth["is_spam"].mean() == 0.5 and "superstar" not in set(truth["class"])
    assert all(isinstance(u["web_profiles"], list) for u in users)
    assert min(u["id"] for u in users) >= 1_000_000
    assert set(truth["hard_case"].dropna()) == {"camouflaged_spam", "seo_normal_counts", "legit_shortener",
                                                "new_heavy_follower"}
    by = dict(zip(truth["id"], zip(truth["class"], truth["hard_case"], strict=True), strict=True))
    porn = [u for u in users if by[u["id"]] == ("spam_porn", None)]
    assert min(u["followings_count"] for u in porn) >= 500  # not the crawl's 250-350 band
    assert any(u["description"] and not u["description"].isascii() for u in users)
    fakes = Counter((u["created_at"], u["description"]) for u in users if by[u["id"]][0] == "spam_fake")
    assert max(fakes.values()) >= 4
    hubs = [u for u in users if by[u["id"]][1] == "legit_shortener"]
    assert all(any(h in p["url"] for p in u["web_profiles"] for h in words.LINK_HUBS) for u in hubs)
    # deterministic, and the seed matters
    again, _ = U.user_dump()
    assert again == users and U.user_dump(seed=6)[0] != users


def test_users_dump_cli(tmp_path):
    env_py = [sys.executable, "-m", "simulator", "users-dump"]
    h = subprocess.run([*env_py, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert h.returncode == 0 and "--spam-share" in h.stdout
    out = tmp_path / "d.jsonl"
    r = subprocess.run([*env_py, "--users", "200", "--spam-share", "0.25", "--out", str(out),
                        "--truth", str(tmp_path / "t.csv")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    truth = pd.read_csv(tmp_path / "t.csv")
    assert len(lines) == 200 and truth["is_spam"].sum() == 50
    bad = subprocess.run([*env_py, "--out", str(tmp_path / "d.txt")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "jsonl" in bad.stderr
