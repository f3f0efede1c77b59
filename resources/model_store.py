"""Versioned models in the object store, with a promoted pointer.

Layout under ``models/<name>/``::

    versions/<version>/model.pkl      the pickled model (e.g. assets.users.model.SpamModel)
    versions/<version>/schema.json    feature schema: names and order, classes, library versions
    versions/<version>/metrics.json   evaluation metrics
    versions/<version>/config.json    the run config the model was trained with (JSON; older
                                      versions may have none): scoring serves with it
    promoted.json                     {"version", "promoted_at", "reason"}: what scoring uses

Each object is written atomically; ``metrics.json`` is written last of a version (a version
is complete when it is there) and ``promoted.json`` after it, so a reader sees the previous
promoted version or the new one, never a half-saved model. Versions are never
overwritten (a timestamp plus a content hash).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from resources.object_store import ObjectStore

PROMOTED = "promoted.json"


@dataclass
class ModelVersion:
    name: str
    version: str
    schema: dict[str, Any]
    metrics: dict[str, Any]
    model_bytes: bytes
    config: dict[str, Any] | None = None  # the run config it was trained with (None: not stored)


class ModelStore:
    """Save, list, load and promote versions of a named model in an ObjectStore."""

    def __init__(self, store: ObjectStore, name: str = "spam_model", root: str = "models"):
        if not name or "/" in name:
            raise ValueError(f"invalid model name {name!r}")
        self.store, self.name, self.root = store, name, root.strip("/")

    @property
    def prefix(self) -> str:
        return f"{self.root}/{self.name}/"

    def _key(self, version: str, file: str) -> str:
        return f"{self.prefix}versions/{version}/{file}"

    def save(self, model_bytes: bytes, schema: dict, metrics: dict, now: dt.datetime | None = None,
             config: dict | None = None) -> str:
        """Store a new version (with the run ``config`` it was trained with, when given);
        returns its id (not promoted)."""
        now = now or dt.datetime.now(dt.UTC)
        digest = hashlib.sha256(model_bytes).hexdigest()[:10]
        version = f"{now.strftime('%Y%m%dT%H%M%S%fZ')}-{digest}"
        self.store.put_bytes(self._key(version, "model.pkl"), model_bytes)
        self.store.put_bytes(self._key(version, "schema.json"), json.dumps(schema, indent=2, sort_keys=True).encode())
        if config is not None:
            self.store.put_bytes(self._key(version, "config.json"),
                                 json.dumps(config, indent=2, sort_keys=True).encode())
        self.store.put_bytes(self._key(version, "metrics.json"),
                             json.dumps(metrics, indent=2, sort_keys=True, default=str).encode())
        return version

    def versions(self) -> list[str]:
        """Complete versions (all three files present), oldest first."""
        seen: dict[str, set[str]] = {}
        for key in self.store.list(f"{self.prefix}versions/"):
            parts = key[len(self.prefix) + len("versions/"):].split("/")
            if len(parts) == 2:
                seen.setdefault(parts[0], set()).add(parts[1])
        return sorted(v for v, files in seen.items() if {"model.pkl", "schema.json", "metrics.json"} <= files)

    def load(self, version: str) -> ModelVersion:
        try:
            return ModelVersion(
                name=self.name, version=version,
                schema=json.loads(self.store.get_bytes(self._key(version, "schema.json"))),
                metrics=json.loads(self.store.get_bytes(self._key(version, "metrics.json"))),
                model_bytes=self.store.get_bytes(self._key(version, "model.pkl")),
                config=self.config_of(version),
            )
        except FileNotFoundError as e:
            raise FileNotFoundError(f"model {self.name} has no complete version {version!r}") from e

    def config_of(self, version: str) -> dict | None:
        """The run config ``version`` was trained with (None when it stored none)."""
        key = self._key(version, "config.json")
        return json.loads(self.store.get_bytes(key)) if self.store.exists(key) else None

    def promoted(self) -> dict | None:
        """The promoted pointer ({"version", "promoted_at", "reason"}) or None."""
        try:
            return json.loads(self.store.get_bytes(self.prefix + PROMOTED))
        except FileNotFoundError:
            return None

    def promoted_version(self) -> str | None:
        p = self.promoted()
        return p["version"] if p else None

    def load_promoted(self) -> ModelVersion | None:
        v = self.promoted_version()
        return self.load(v) if v else None

    def promote(self, version: str, reason: str = "", now: dt.datetime | None = None) -> dict:
        if version not in self.versions():
            raise FileNotFoundError(f"model {self.name} has no complete version {version!r}")
        pointer = {"version": version, "promoted_at": (now or dt.datetime.now(dt.UTC)).isoformat(),
                   "reason": reason, "previous": self.promoted_version()}
        self.store.put_bytes(self.prefix + PROMOTED, json.dumps(pointer, indent=2).encode())
        return pointer
