"""The scoring service: HTTP on 127.0.0.1, the promoted spam model, users from the warehouse.

    python -m assets.users.service [--host 127.0.0.1] [--port 8787]

* ``GET /users/{id}``: the user's features from the warehouse table ``user_features``,
  scored with the promoted model (404 if the id is not a live user there).
* ``POST /score``: one api-v2 user object (JSON; ``web_profiles`` list optional inside).
  Row features are computed by the same code as the Spark job; whole-table features
  (duplicate descriptions and URLs, fake batches, stock phrases) are looked up in the
  warehouse tables ``user_features``, ``user_urls`` and ``stock_phrases``.
* ``GET /health``: the model version in use, and where its config came from.

A posted user's features are computed with the run config the promoted model was trained
with (stored beside the version: lists, stock-phrase rules), so the service and the batch
run that trained the model agree; a version stored without one is served with the
defaults (``UsersConfig()``), and ``/health`` says so.

Clear 4xx errors: 400 malformed JSON or wrong types (the message names the field), 404
unknown id or path, 405 wrong method, 413 body too large; 503 while no model is promoted.
The promoted pointer is checked at most every ``reload_seconds``; a new promoted version
is loaded without a restart. Object store and warehouse come from the same environment
variables as the Dagster code (resources/environment.py); the warehouse must be a local
directory here (the service reads Parquet with pyarrow).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.dataset as ds

from assets.users import features
from assets.users.config import DEFAULT_CONFIG, UsersConfig
from assets.users.model import SpamModel
from assets.users.run_config import config_from_dict
from assets.users.scoring import score_frame
from resources.model_store import ModelStore
from resources.object_store import ObjectStore

MAX_BODY = 1 << 20
_USER_PATH = re.compile(r"^/users/([^/]+)/?$")
COUNT_FIELDS = ("followers_count", "followings_count", "track_count", "likes_count", "playlist_count",
                "playlist_likes_count", "reposts_count", "comments_count")
STRING_FIELDS = ("username", "permalink", "description", "created_at", "last_modified")


class BadRequest(ValueError):
    """A client error with its HTTP status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _int_or_none(user: dict, f: str) -> int | None:
    v = user.get(f)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise BadRequest(f"field {f!r} must be a non-negative integer or null, got {json.dumps(v)[:40]}")
    return v


def _epoch(value: str | None, field: str) -> float | None:
    if value is None:
        return None
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"field {field!r} must be an ISO 8601 time, got {value[:40]!r}") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.timestamp()


def validate_user(user: Any) -> dict:
    """The checked fields of one posted api-v2 user object (raises BadRequest)."""
    if not isinstance(user, dict):
        raise BadRequest("body must be one JSON object (an api-v2 user)")
    uid = user.get("id")
    if isinstance(uid, bool) or not isinstance(uid, int) or uid <= 0:
        raise BadRequest("field 'id' must be a positive integer")
    out: dict[str, Any] = {"user_id": uid}
    for f in COUNT_FIELDS:
        out[f] = _int_or_none(user, f)
    for f in STRING_FIELDS:
        v = user.get(f)
        if v is not None and not isinstance(v, str):
            raise BadRequest(f"field {f!r} must be a string or null")
        out[f] = v
    sub = user.get("creator_subscription") or {}
    subs = user.get("creator_subscriptions") or []
    if not isinstance(sub, dict) or not isinstance(subs, list):
        raise BadRequest("creator_subscription(s) must be an object / a list")
    product = ((sub.get("product") or {}).get("id") if isinstance(sub.get("product"), dict) else None) or (
        ((subs[0] or {}).get("product") or {}).get("id") if subs and isinstance(subs[0], dict) else None)
    product = (product or "free").lower()
    out["plan"] = ("pro_unlimited" if "unlimited" in product else "pro" if "pro" in product
                   else "free" if product == "free" else "other")
    profiles = user.get("web_profiles")
    if profiles is None:
        profiles = []
    if not isinstance(profiles, list) or not all(isinstance(p, dict) for p in profiles):
        raise BadRequest("field 'web_profiles' must be a list of objects or null")
    for p in profiles:
        for f in ("url", "title"):
            if p.get(f) is not None and not isinstance(p.get(f), str):
                raise BadRequest(f"web_profiles[].{f} must be a string or null")
    out["urls"] = [p.get("url") for p in profiles]
    out["titles"] = [p.get("title") for p in profiles]
    out["created_epoch"] = _epoch(out["created_at"], "created_at")
    out["fetched_epoch"] = time.time()
    return out


class Lookups:
    """The warehouse tables the service reads (pyarrow datasets, reopened when rewritten)."""

    def __init__(self, warehouse_dir: str):
        self.dir = warehouse_dir
        self._cache: dict[str, tuple[float, ds.Dataset]] = {}
        self._lock = threading.Lock()

    def table(self, name: str) -> ds.Dataset | None:
        path = os.path.join(self.dir, name)
        if not os.path.isdir(path):
            return None
        mtime = max((os.path.getmtime(os.path.join(path, f)) for f in os.listdir(path)), default=0.0)
        with self._lock:
            hit = self._cache.get(name)
            if hit is None or hit[0] != mtime:
                hit = (mtime, ds.dataset(path, format="parquet", exclude_invalid_files=True))
                self._cache[name] = hit
            return hit[1]

    def features_of(self, user_id: int) -> pd.DataFrame:
        t = self.table("user_features")
        if t is None:
            raise BadRequest("the warehouse has no user_features table yet", 503)
        return t.to_table(filter=pc.field("user_id") == user_id).to_pandas()

    def count(self, name: str, flt, exclude_user: int) -> int:
        t = self.table(name)
        if t is None:
            return 0
        return int(t.count_rows(filter=flt & (pc.field("user_id") != exclude_user)))

    def table_features(self, row: pd.Series, config: UsersConfig) -> dict[str, float]:
        """Whole-table features of one posted user against the warehouse population."""
        uid = int(row["user_id"])
        out = {"duplicate_descriptions": 0.0, "fake_batch_size": 0.0, "duplicate_urls": 0.0, "stock_phrase_share": 0.0}
        key = row["description_key"]
        if key:
            out["duplicate_descriptions"] = float(self.count("user_features", pc.field("description_key") == key, uid))
            if not pd.isna(row["created_second"]):
                out["fake_batch_size"] = float(self.count(
                    "user_features", (pc.field("description_key") == key)
                    & (pc.field("created_second") == int(row["created_second"])), uid))
        urls = self.table("user_urls")
        if urls is not None and len(row["url_keys"]):
            t = urls.to_table(filter=pc.field("url_key").isin(list(row["url_keys"]))
                              & (pc.field("user_id") != uid), columns=["url_key", "user_id"]).to_pandas()
            out["duplicate_urls"] = float(t.groupby("url_key")["user_id"].nunique().max()) if len(t) else 0.0
        stock = self.table("stock_phrases")
        if stock is not None and len(row["phrases"]) and row["n_sentences"] >= 2:
            n = stock.count_rows(filter=pc.field("phrase").isin(list(row["phrases"])))
            out["stock_phrase_share"] = min(1.0, n / max(int(row["n_sentences"]), 1))
        return out


class ScoringService:
    """The promoted model and the run config it was trained with (reloaded when promotion
    changes), plus feature lookups."""

    def __init__(self, store: ObjectStore, warehouse_dir: str, model_name: str = "spam_model",
                 reload_seconds: float = 1.0, config: UsersConfig = DEFAULT_CONFIG):
        self.models = ModelStore(store, model_name)
        self.lookups = Lookups(warehouse_dir)
        self.reload_seconds = reload_seconds
        self.fallback_config = config  # for a version stored without its config
        self._served: tuple[SpamModel, UsersConfig, str] | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def served(self) -> tuple[SpamModel, UsersConfig, str]:
        """(promoted model, the config it was trained with, where that config came from)."""
        with self._lock:
            now = time.monotonic()
            if self._served is None or now - self._checked >= self.reload_seconds:
                self._checked = now
                version = self.models.promoted_version()
                if version is not None and (self._served is None or self._served[0].version != version):
                    stored = self.models.load(version)
                    loaded = SpamModel.from_bytes(stored.model_bytes)
                    loaded.version = version
                    if stored.config is None:
                        self._served = (loaded, self.fallback_config, "defaults (the version stored no config)")
                    else:
                        self._served = (loaded, config_from_dict(stored.config), "the promoted version")
            if self._served is None:
                raise BadRequest("no promoted spam model yet: materialise spam_model", 503)
            return self._served

    def model(self) -> SpamModel:
        return self.served()[0]

    @property
    def config(self) -> UsersConfig:
        """The config posted users are featurised with (the promoted model's)."""
        return self.served()[1]

    def health(self) -> dict:
        model, _config, source = self.served()
        return {"status": "ok", "model_version": model.version, "config": source}

    def score_features(self, feats: pd.DataFrame, model: SpamModel | None = None) -> dict:
        model = model or self.model()
        out = score_frame(model, feats).iloc[0].to_dict()
        out["user_id"] = int(out["user_id"])
        out["spam_probability"] = round(float(out["spam_probability"]), 6)
        out["features"] = {f: float(feats.iloc[0][f]) for f in features.FEATURES}
        return out

    def score_id(self, user_id: int) -> dict:
        feats = self.lookups.features_of(user_id)
        if feats.empty:
            raise BadRequest(f"user {user_id} is not a live user in the warehouse", 404)
        return {**self.score_features(feats.iloc[:1]), "source": "warehouse"}

    def score_posted(self, user: Any) -> dict:
        row_in = pd.DataFrame([validate_user(user)])
        model, config, _source = self.served()  # one model with its own config
        rows = features.row_features(row_in, config)
        row = rows.iloc[0]
        extra = self.lookups.table_features(row, config)
        feats = rows.assign(**extra)
        return {**self.score_features(feats, model), "source": "posted"}


def make_handler(service: ScoringService):
    class Handler(BaseHTTPRequestHandler):
        server_version = "offbeat-scores/1"

        def log_message(self, fmt, *args):  # quiet by default; errors still answer in JSON
            pass

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body, default=_json_default).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _guard(self, fn) -> None:
            try:
                self._send(200, fn())
            except BadRequest as e:
                self._send(e.status, {"error": str(e), "status": e.status})
            except Exception as e:  # noqa: BLE001  (a server error must still answer)
                self._send(500, {"error": f"internal error: {type(e).__name__}", "status": 500})

        def do_GET(self):  # noqa: N802
            if self.path.rstrip("/") == "/health":
                return self._guard(service.health)
            m = _USER_PATH.match(self.path.split("?")[0])
            if not m:
                return self._send(404, {"error": f"no such path {self.path}; use GET /users/{{id}} or POST /score",
                                        "status": 404})
            raw = m.group(1)

            def run():
                if not raw.isdigit() or int(raw) <= 0:
                    raise BadRequest(f"user id must be a positive integer, got {raw[:40]!r}")
                return service.score_id(int(raw))

            self._guard(run)

        def do_POST(self):  # noqa: N802
            if self.path.rstrip("/") != "/score":
                return self._send(404, {"error": f"no such path {self.path}; POST /score", "status": 404})

            def run():
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    raise BadRequest(f"body over {MAX_BODY} bytes", 413)
                body = self.rfile.read(length)
                try:
                    user = json.loads(body.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError) as e:
                    raise BadRequest(f"malformed JSON: {e}") from None
                return service.score_posted(user)

            self._guard(run)

        def do_PUT(self):  # noqa: N802
            self._send(405, {"error": "method not allowed", "status": 405})

        do_DELETE = do_PUT

    return Handler


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    return str(o)


def serve(service: ScoringService, host: str = "127.0.0.1", port: int = 8787) -> ThreadingHTTPServer:
    """A started server (in a daemon thread); ``server.server_address`` has the port."""
    server = ThreadingHTTPServer((host, port), make_handler(service))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="scores-http", daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> None:
    from resources.environment import build_resources

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default=os.environ.get("OFFBEAT_SCORES_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("OFFBEAT_SCORES_PORT", "8787")))
    p.add_argument("--reload-seconds", type=float, default=2.0)
    args = p.parse_args(argv)
    res = build_resources()
    wh = res["warehouse"].uri
    if "://" in wh and not wh.startswith("file://"):
        raise SystemExit(f"the scoring service reads a local warehouse; OFFBEAT_WAREHOUSE_URI is {wh}")
    store = res["object_store"]
    service = ScoringService(store, wh.removeprefix("file://"), reload_seconds=args.reload_seconds)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(service))
    print(f"scoring service on http://{args.host}:{server.server_address[1]} "
          f"(models in {store.describe()}, warehouse {wh})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
