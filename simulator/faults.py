"""Fault injection: which fault, if any, hits one request.

Each flag is independent. Draws come from one seeded RNG per server process (content is
deterministic; the sequence of faults depends on request order, so it is not repeated
exactly across runs).

Credentials: a ``client_id`` starting with ``revoked-`` is answered 401 and one starting
with ``forbidden-`` 403 (a revoked or banned key), so clients can test their handling of
both without a real account.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, fields

ERROR_429_JSON = (
    b'{"code": 429, "message": "rate_limit_exceeded", "status": "429 - Too Many Requests", '
    b'"errors": [{"error_message": "rate_limit_exceeded"}], "error": null, "error_code": "rate_limit_exceeded"}'
)
ERROR_429_TEXT = b"Please slow down."
AUTH_ERRORS = {"revoked-": (401, b'{"code": 401, "message": "invalid client_id", "errors": []}'),
               "forbidden-": (403, b'{"code": 403, "message": "client_id forbidden", "errors": []}')}


@dataclass(frozen=True)
class FaultConfig:
    """Fault flags of ``serve`` (shares are per request, in [0, 1])."""

    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    rate_429: float = 0.0
    rate_limit_rps: float = 0.0  # 0 = no server-side rate limit
    rate_5xx: float = 0.0
    drop_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 5.0
    malformed_rate: float = 0.0
    truncated_rate: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if v < 0:
                raise ValueError(f"{f.name} must be >= 0, got {v}")
            if f.name in SHARE_FIELDS and v > 1:
                raise ValueError(f"{f.name} is a share of requests in [0, 1], got {v}")


SHARE_FIELDS = ("rate_429", "rate_5xx", "drop_rate", "slow_rate", "malformed_rate", "truncated_rate")


# order in which faults are tried; the first that hits wins
FAULTS = ("drop", "429", "5xx", "slow", "malformed", "truncated")


class FaultInjector:
    """Draws latency and faults per request; holds the server-side token bucket."""

    def __init__(self, config: FaultConfig, seed: int = 0):
        self.config = config
        self._rng = random.Random(f"faults:{seed}")
        self._n429 = 0
        rps = config.rate_limit_rps
        self._tokens = max(1.0, rps)
        self._last = time.monotonic()

    @staticmethod
    def auth_error(query: dict[str, list[str]]) -> tuple[int, bytes] | None:
        """(status, body) for a revoked (401) or forbidden (403) ``client_id``, else None."""
        client_id = query.get("client_id", [""])[0]
        for prefix, answer in AUTH_ERRORS.items():
            if client_id.startswith(prefix):
                return answer
        return None

    def rate_limited(self) -> bool:
        """Token bucket of ``rate_limit_rps`` (burst = one second's worth)."""
        rps = self.config.rate_limit_rps
        if rps <= 0:
            return False
        now = time.monotonic()
        self._tokens = min(max(1.0, rps), self._tokens + (now - self._last) * rps)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return False
        return True

    def latency_s(self) -> float:
        c = self.config
        if c.latency_ms <= 0 and c.latency_jitter_ms <= 0:
            return 0.0
        return max(0.0, self._rng.gauss(c.latency_ms, c.latency_jitter_ms)) / 1000

    def draw(self) -> str | None:
        c = self.config
        shares = (c.drop_rate, c.rate_429, c.rate_5xx, c.slow_rate, c.malformed_rate, c.truncated_rate)
        for name, share in zip(FAULTS, shares, strict=True):
            if share > 0 and self._rng.random() < share:
                return name
        return None

    def response_429(self) -> tuple[list[tuple[bytes, bytes]], bytes]:
        """Headers and body of an injected 429: half with Retry-After, bodies alternate."""
        self._n429 += 1
        json_body = self._n429 % 2 == 1
        headers = [(b"content-type", b"application/json" if json_body else b"text/plain")]
        if self._rng.random() < 0.5:
            headers.append((b"retry-after", b"1"))
        return headers, ERROR_429_JSON if json_body else ERROR_429_TEXT

    def status_5xx(self) -> int:
        return self._rng.choice((500, 502, 503, 504))
