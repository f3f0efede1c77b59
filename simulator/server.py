"""The api-v2 server: a raw ASGI callable (no framework) served by uvicorn.

Paths: ``/users/{id}``, ``/users/{id}/web-profiles``, ``/users/{id}/followers``,
``/users/{id}/followings``, ``/users/{id}/tracks``, ``/tracks/{id}/reposters``.
Every request needs a non-empty ``client_id`` query parameter (401 otherwise). Dead ids
and ids above ``users`` are 404. Collections are ``{"collection": [...], "next_href": ...}``
with ``limit`` (default 50, at most 200) and an ``offset`` cursor: the epoch milliseconds
of the last item of the previous page; a page holds the items strictly older than it.
``next_href`` is absolute, on the server's own host, and never carries ``client_id``.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import socket
import sys
from collections.abc import Callable
from urllib.parse import parse_qs

from simulator import graph, population
from simulator.faults import ERROR_429_JSON, FaultConfig, FaultInjector
from simulator.users import user as api_user

DEFAULT_LIMIT, MAX_LIMIT = 50, 200
JSON = [(b"content-type", b"application/json; charset=utf-8")]


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def _error(status: int, message: str) -> tuple[int, bytes]:
    return status, _dumps({"code": status, "message": message, "errors": [{"error_message": message}]})


class SimulatorApp:
    """ASGI app answering api-v2 requests for one (seed, users) population."""

    def __init__(self, seed: int, users: int, faults: FaultConfig | None = None):
        if users < 1:
            raise ValueError(f"users must be >= 1, got {users}")
        self.seed, self.users = seed, users
        self.faults = FaultInjector(faults or FaultConfig(), seed)

    # ---- routing ---------------------------------------------------------------------
    def handle(self, path: str, query: dict[str, list[str]], base: str) -> tuple[int, bytes]:
        """(status, body) of a request, before faults."""
        if not query.get("client_id", [""])[0]:
            return _error(401, "client_id is required")
        parts = path.strip("/").split("/")
        if len(parts) < 2 or not parts[1].isdigit() or parts[0] not in ("users", "tracks"):
            return _error(404, "not found")
        ident = int(parts[1])
        sub = parts[2] if len(parts) == 3 else None
        if len(parts) > 3:
            return _error(404, "not found")
        seed, users = self.seed, self.users
        if parts[0] == "tracks":
            if sub != "reposters" or not graph.track_exists(seed, ident, users):
                return _error(404, "not found")
            return self._page(graph.reposters(seed, ident, users), self._user, path, query, base)
        if sub is None:
            u = api_user(seed, ident, users)
            return (200, _dumps(u)) if u is not None else _error(404, "not found")
        if not self._alive(ident):
            return _error(404, "not found")
        if sub == "web-profiles":
            return 200, _dumps(population.web_profiles(seed, ident))
        source: dict[str, Callable] = {"followers": graph.followers, "followings": graph.followings, "tracks": graph.tracks}
        if sub not in source:
            return _error(404, "not found")
        render = self._track if sub == "tracks" else self._user
        return self._page(source[sub](seed, ident, users), render, path, query, base)

    def _alive(self, ident: int) -> bool:
        return 0 < ident <= self.users and population.code_of(self.seed, ident) != population.DEAD

    def _user(self, ident: int) -> dict:
        return api_user(self.seed, ident, self.users) or {"id": ident, "kind": "user"}

    def _track(self, ident: int) -> dict:
        return graph.track(self.seed, ident, self.users) or {"id": ident, "kind": "track"}

    def _page(self, items, render, path: str, query: dict[str, list[str]], base: str) -> tuple[int, bytes]:
        try:
            limit = int(query.get("limit", [DEFAULT_LIMIT])[0])
            offset = query.get("offset", [None])[0]
            offset_ms = int(offset) if offset not in (None, "") else None
        except ValueError:
            return _error(400, "limit and offset must be integers")
        if limit < 1:
            return _error(400, "limit must be >= 1")
        limit = min(limit, MAX_LIMIT)
        start = 0 if offset_ms is None else bisect.bisect_right(items, -offset_ms, key=lambda t: -t[0])
        page = items[start : start + limit]
        next_href = None
        if start + limit < len(items) and page:
            next_href = f"{base}{path}?offset={page[-1][0]}&limit={limit}"
        return 200, _dumps({"collection": [render(i) for _, i in page], "next_href": next_href})

    # ---- ASGI ------------------------------------------------------------------------
    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        faults = self.faults
        if faults.rate_limited():
            await _respond(send, 429, ERROR_429_JSON, [*JSON, (b"retry-after", b"1")])
            return
        delay = faults.latency_s()
        if delay:
            await asyncio.sleep(delay)
        fault = faults.draw()
        if fault == "drop":
            await _drop(send)
            return
        if fault == "429":
            headers, body = faults.response_429()
            await _respond(send, 429, body, headers)
            return
        if fault == "5xx":
            status = faults.status_5xx()
            await _respond(send, status, _dumps({"code": status, "message": "server error"}), JSON)
            return
        if fault == "slow":
            await asyncio.sleep(faults.config.slow_seconds)
        host, port = scope.get("server") or ("127.0.0.1", 80)
        query = parse_qs(scope["query_string"].decode("latin-1"))
        status, body = faults.auth_error(query) or self.handle(scope["path"], query, f"http://{host}:{port}")
        if status == 200 and fault == "malformed":
            body = b"{'collection': [" + body[1:40] + b", NaN,}"
        elif status == 200 and fault == "truncated":
            body = body[: max(1, len(body) // 2)]
        await _respond(send, status, body, JSON)


async def _respond(send, status: int, body: bytes, headers) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _drop(send) -> None:
    """Close the connection without any response (uvicorn's protocol owns the transport)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:  # not uvicorn's cycle: start a response and never finish it
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
        raise ConnectionAbortedError("dropped by fault injection")
    transport.close()
    for _ in range(3):  # let connection_lost run so uvicorn does not try to answer
        await asyncio.sleep(0)


def serve(seed: int, users: int, port: int = 0, host: str = "127.0.0.1", faults: FaultConfig | None = None) -> None:
    """Serve until killed; prints ``SIMULATOR READY http://HOST:PORT`` once listening."""
    import uvicorn

    app = SimulatorApp(seed, users, faults)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    real_port = sock.getsockname()[1]
    config = uvicorn.Config(app, loop="uvloop", http="httptools", lifespan="on", access_log=False,
                            log_level="warning", backlog=2048, timeout_keep_alive=30)

    class _Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets=sockets)
            print(f"SIMULATOR READY http://{host}:{real_port}", flush=True)

    _Server(config).run(sockets=[sock])
    sys.stdout.flush()
