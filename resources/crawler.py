"""An async crawler for the platform's api-v2: polite, resilient and fast.

* httpx ``AsyncClient`` with keep-alive over ``KeepAliveTransport`` (see
  ``resources/http_transport.py`` for why); at most ``concurrency`` requests in flight.
* A token bucket caps the request rate (``rate_limit_rps``; 0 = no cap).
* Retries with exponential backoff and full jitter on 5xx, timeouts, dropped connections,
  malformed JSON and truncated pages; a recorded failure after ``max_retries``.
* 429: honours ``Retry-After``; when 429s dominate the recent responses (a storm) every
  request pauses together, for longer each time the storm goes on.
* ``client_id`` is added to every request (``next_href`` drops it) and is redacted from
  every error text this module produces; URLs are never logged with their query.
* Fail fast: 401/403 raise ``PlatformAuthError`` (names ``OFFBEAT_CLIENT_ID``); an API
  that cannot be reached (DNS failure, connection refused, connect timeout) or that
  answers nothing but failures raises ``PlatformUnreachableError`` (names
  ``OFFBEAT_API_BASE_URL``) within seconds instead of retrying every id for minutes.
  Either is sticky: every later request of the crawler raises it too.

Plain Python (no Dagster): the ``PlatformAPI`` resource builds one per run.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from resources.http_transport import KeepAliveTransport

RETRYABLE_STATUS = {500, 502, 503, 504, 520, 522, 524}


class PlatformAuthError(RuntimeError):
    """The API refused our client id (401/403): every request would fail, so stop."""


class PlatformUnreachableError(RuntimeError):
    """The API cannot be reached, or answers every request with a failure: stop."""


class CollectionError(RuntimeError):
    """A page of a collection could not be fetched after retries."""


@dataclass
class FetchResult:
    """Outcome of one logical GET after retries."""

    outcome: str  # "ok" | "gone" | "failed"
    data: Any = None
    http_status: int | None = None
    error: str | None = None
    attempts: int = 0


@dataclass
class CrawlStats:
    requests: int = 0
    retries: int = 0
    storms: int = 0
    by_status: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)

    def as_metadata(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "rate_limit_storms": self.storms,
            "responses_by_status": dict(sorted((str(k), v) for k, v in self.by_status.items())),
            "errors_by_kind": dict(sorted(self.errors.items())),
        }


class TokenBucket:
    """At most ``rate`` acquisitions per second on average, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: float | None = None):
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate / 10)
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        if self.rate <= 0:
            return
        async with self._lock:
            while True:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)


def cursor_time_ms(next_href: str | None) -> int | None:
    """The time of a page's last item, encoded in its ``next_href`` ``offset`` (epoch ms)."""
    if not next_href:
        return None
    values = parse_qs(urlsplit(next_href).query).get("offset")
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None


class Crawler:
    """Use as ``async with Crawler(...) as c:``; then ``await c.get(path)``."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        *,
        concurrency: int = 64,
        rate_limit_rps: float = 0,
        timeout_s: float = 10.0,
        max_retries: int = 8,
        backoff_base_s: float = 0.05,
        backoff_max_s: float = 5.0,
        storm_window: int = 50,
        storm_share: float = 0.5,
        unreachable_after: int = 3,
        failing_after: int = 20,
        down_after_s: float = 30.0,
        seed: int | None = None,
    ):
        if not client_id:
            raise ValueError("client_id is empty: set OFFBEAT_CLIENT_ID")
        if urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).netloc:
            raise ValueError(f"API base URL {base_url!r} is not an http(s) URL: set OFFBEAT_API_BASE_URL "
                             "(e.g. https://api-v2.example.com)")
        self.base_url = base_url.rstrip("/")
        self._client_id = client_id
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self._bucket = TokenBucket(rate_limit_rps)
        self._sem = asyncio.Semaphore(concurrency)
        self._recent = deque(maxlen=storm_window)  # True where a response was a 429
        self._storm_share = storm_share
        self._pause_until = 0.0
        self._storm_level = 0
        self._rng = random.Random(seed)
        self.stats = CrawlStats()
        self._client: httpx.AsyncClient | None = None
        self.unreachable_after = unreachable_after
        self.failing_after = failing_after
        self.down_after_s = down_after_s
        self._fatal: Exception | None = None
        self._answered = False  # any 200/404 so far: the API works for us
        self._last_answer = time.monotonic()
        self._failures_in_a_row = 0  # attempts without a usable answer (429s excluded)
        self._unreachable_in_a_row = 0  # attempts that could not connect at all

    async def __aenter__(self) -> Crawler:
        self._client = httpx.AsyncClient(
            transport=KeepAliveTransport(max_connections=self.concurrency),
            timeout=httpx.Timeout(self.timeout_s),
            headers={"Accept": "application/json", "User-Agent": "offbeat-crawler/0.1"},
            trust_env=False,
        )
        return self

    async def __aexit__(self, *exc) -> None:
        if self._client is not None:
            await self._client.aclose()
        self._client = None

    # ---- helpers ------------------------------------------------------------------
    def redact(self, text: str) -> str:
        return text.replace(self._client_id, "***") if self._client_id else text

    def _url(self, path_or_url: str, params: dict[str, Any] | None) -> str:
        """Absolute URL with client_id added back (``next_href`` does not carry it)."""
        if path_or_url.startswith(("http://", "https://")):
            parts = urlsplit(path_or_url)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            path = parts.path
        else:
            query, path = {}, path_or_url
        query.update({k: v for k, v in (params or {}).items() if v is not None})
        query["client_id"] = self._client_id
        return f"{self.base_url}{path}?{urlencode(query)}"

    def _backoff(self, attempt: int) -> float:
        return self._rng.uniform(0, min(self.backoff_max_s, self.backoff_base_s * 2**attempt))

    @property
    def paused_until(self) -> float:
        """``time.monotonic()`` until which no request is sent (a 429 storm's pause)."""
        return self._pause_until

    async def _wait_for_global_pause(self) -> None:
        while (delay := self._pause_until - time.monotonic()) > 0:
            await asyncio.sleep(delay)

    def _raise_if_fatal(self) -> None:
        if self._fatal is not None:
            raise type(self._fatal)(str(self._fatal))

    def _note_failure(self, kind: str, detail: str, unreachable: bool) -> None:
        """Count an attempt without a usable answer; stop the crawl when the API is down
        for us: nothing reachable from the start (``unreachable_after`` attempts in a row),
        only failures from the start (``failing_after``), or, after it worked, neither for
        ``down_after_s`` seconds."""
        self._failures_in_a_row += 1
        self._unreachable_in_a_row = self._unreachable_in_a_row + 1 if unreachable else 0
        silent_s = time.monotonic() - self._last_answer
        where = f"the platform API at {self.base_url}"
        if unreachable and self._unreachable_in_a_row >= self.unreachable_after and (
            not self._answered or silent_s >= self.down_after_s
        ):
            self._fatal = PlatformUnreachableError(self.redact(
                f"cannot reach {where}: {kind} ({detail}), {self._unreachable_in_a_row} attempts in a row: "
                "check OFFBEAT_API_BASE_URL (and that the API is up and reachable from here)"
            ))
        elif self._failures_in_a_row >= self.failing_after and (not self._answered or silent_s >= self.down_after_s):
            self._fatal = PlatformUnreachableError(self.redact(
                f"{where} answered {self._failures_in_a_row} requests in a row with failures (last: {kind}: "
                f"{detail}) and nothing usable: check OFFBEAT_API_BASE_URL (is it the api-v2 root?)"
            ))
        if self._fatal is not None:
            raise self._fatal

    def _note_answer(self) -> None:
        self._answered = True
        self._last_answer = time.monotonic()
        self._failures_in_a_row = self._unreachable_in_a_row = 0

    def _note_response(self, is_429: bool) -> None:
        self._recent.append(is_429)
        full = len(self._recent) == self._recent.maxlen
        if full and sum(self._recent) >= self._storm_share * len(self._recent):
            self._storm_level = min(self._storm_level + 1, 6)
            self._pause_until = max(self._pause_until, time.monotonic() + 0.25 * 2**self._storm_level)
            self.stats.storms += 1
            self._recent.clear()
        elif not is_429 and self._storm_level and not any(self._recent):
            self._storm_level = 0

    # ---- the one request loop -----------------------------------------------------
    async def get(self, path_or_url: str, params: dict[str, Any] | None = None) -> FetchResult:
        """GET with retries; ``ok`` (parsed JSON), ``gone`` (404) or ``failed`` (last error)."""
        assert self._client is not None, "use 'async with Crawler(...)'"
        url = self._url(path_or_url, params)
        error, status = "not attempted", None
        for attempt in range(self.max_retries + 1):
            self._raise_if_fatal()
            if attempt:
                self.stats.retries += 1
            await self._wait_for_global_pause()
            await self._bucket.acquire()
            resp, retry_after, kind, unreachable = None, None, "", False
            async with self._sem:
                # A storm may have begun while this request queued: it waits too.
                await self._wait_for_global_pause()
                self._raise_if_fatal()
                self.stats.requests += 1
                try:
                    resp = await self._client.get(url)
                except httpx.TimeoutException as e:
                    kind = "connect timeout" if isinstance(e, httpx.ConnectTimeout) else "timeout"
                    error, status, unreachable = f"{kind} ({type(e).__name__})", None, kind == "connect timeout"
                except httpx.TransportError as e:  # refused, DNS, dropped connection, protocol error
                    kind, unreachable = _transport_error_kind(e)
                    error, status = self.redact(f"{kind}: {type(e).__name__}: {e}"), None
            if resp is not None:
                status = resp.status_code
                self.stats.by_status[status] += 1
                self._note_response(status == 429)
                if status == 200:
                    try:
                        data = json.loads(resp.content)
                        self._note_answer()
                        return FetchResult("ok", data, 200, None, attempt + 1)
                    except (json.JSONDecodeError, UnicodeDecodeError):
                        kind, error = "malformed JSON", "malformed or truncated JSON in a 200 response"
                elif status == 404:
                    self._note_answer()
                    return FetchResult("gone", None, 404, None, attempt + 1)
                elif status in (401, 403):
                    self.stats.errors[f"HTTP {status}"] += 1
                    self._fatal = PlatformAuthError(self.redact(
                        f"the platform API at {self.base_url} answered {status} "
                        f"({'unauthorized' if status == 401 else 'forbidden'}) for {urlsplit(url).path}: "
                        "check OFFBEAT_CLIENT_ID (missing, revoked or without access)"
                    ))
                    raise self._fatal
                elif status == 429:
                    kind, error = "HTTP 429", "429 rate limited"
                    retry_after = _retry_after_seconds(resp.headers.get("Retry-After"))
                elif status in RETRYABLE_STATUS:
                    kind = error = f"HTTP {status}"
                else:
                    self.stats.errors[f"HTTP {status}"] += 1
                    return FetchResult("failed", None, status, f"HTTP {status} (not retryable)", attempt + 1)
            self.stats.errors[kind] += 1
            if status != 429:
                self._note_failure(kind, error, unreachable)
            if attempt < self.max_retries:
                delay = retry_after if retry_after is not None else self._backoff(attempt)
                await asyncio.sleep(delay)
        return FetchResult("failed", None, status, self.redact(error), self.max_retries + 1)

    async def pages(self, path: str, limit: int, params: dict[str, Any] | None = None):
        """Yield ``(items, cursor_time_ms)`` for each page of a collection, oldest cursor last.

        ``cursor_time_ms`` is the time of the page's last item, from the ``next_href``
        offset (None on the final page). Raises ``CollectionError`` if a page fails.
        """
        url: str | None = path
        query = {**(params or {}), "limit": limit}
        while url:
            result = await self.get(url, query)
            if result.outcome == "gone":
                return
            if result.outcome != "ok" or not isinstance(result.data, dict) or not isinstance(
                result.data.get("collection"), list
            ):
                raise CollectionError(
                    f"{urlsplit(self._url(path, None)).path}: {result.error or 'not a collection page'}"
                )
            next_href = result.data.get("next_href")
            yield result.data["collection"], cursor_time_ms(next_href)
            url, query = next_href, None


def _transport_error_kind(e: httpx.TransportError) -> tuple[str, bool]:
    """(kind for ``errors_by_kind``, whether the host could not be reached at all)."""
    if isinstance(e, httpx.ConnectError):
        cause = e.__cause__ or e.__context__
        if isinstance(cause, socket.gaierror):
            return "DNS failure", True
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused", True
        return "connect error", True
    if isinstance(e, httpx.ReadError | httpx.RemoteProtocolError):
        return "dropped connection", False
    return type(e).__name__, False


def _retry_after_seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, min(float(value), 60.0))
    except ValueError:
        return None
