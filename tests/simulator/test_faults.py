"""Each fault flag has its observable effect at about the configured share."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from simulator import population
from simulator.testing import running_simulator

N = 400


def _ids() -> list[int]:
    return [i for i in range(1, 3000) if population.user_class(1, i) != "dead"][:50]


def _hit(url: str, n: int = N, timeout: float = 5.0) -> list:
    out = []
    ids = _ids()
    with httpx.Client(timeout=timeout) as c:
        for k in range(n):
            try:
                out.append(c.get(f"{url}/users/{ids[k % len(ids)]}", params={"client_id": "t"}))
            except httpx.TransportError as e:
                out.append(e)
    return out


def _share(results, pred) -> float:
    return sum(1 for r in results if pred(r)) / len(results)


def _bad_json(r) -> bool:
    if not isinstance(r, httpx.Response) or r.status_code != 200:
        return False
    try:
        json.loads(r.content)
        return False
    except ValueError:
        return True


def test_rate_429_share_and_shapes():
    with running_simulator(users=3000, rate_429=0.3) as url:
        res = _hit(url)
    r429 = [r for r in res if isinstance(r, httpx.Response) and r.status_code == 429]
    assert 0.22 < len(r429) / N < 0.38
    assert any("retry-after" in r.headers for r in r429) and any("retry-after" not in r.headers for r in r429)
    assert any(r.text == "Please slow down." for r in r429)
    assert any(r.headers["content-type"].startswith("application/json") and r.json()["code"] == 429 for r in r429)


def test_rate_5xx_share():
    with running_simulator(users=3000, rate_5xx=0.2) as url:
        res = _hit(url)
    assert 0.13 < _share(res, lambda r: isinstance(r, httpx.Response) and r.status_code >= 500) < 0.27


def test_drop_rate_closes_connections():
    with running_simulator(users=3000, drop_rate=0.2) as url:
        res = _hit(url)
    dropped = _share(res, lambda r: isinstance(r, httpx.RemoteProtocolError))
    assert 0.13 < dropped < 0.27
    assert all(isinstance(r, httpx.Response | httpx.RemoteProtocolError) for r in res)
    assert _share(res, lambda r: isinstance(r, httpx.Response) and r.status_code >= 500) == 0


def test_malformed_and_truncated_shares():
    with running_simulator(users=3000, malformed_rate=0.15, truncated_rate=0.15) as url:
        res = _hit(url)
    bad = [r for r in res if _bad_json(r)]
    # malformed first, truncated from the rest: 0.15 + 0.85 * 0.15
    assert 0.2 < len(bad) / N < 0.36
    assert any(r.content.startswith(b"{'collection'") for r in bad)
    assert any(r.content.startswith(b'{"id":') for r in bad)


def test_slow_rate_exceeds_client_timeout():
    with running_simulator(users=3000, slow_rate=0.5, slow_seconds=1.5) as url:
        res = _hit(url, n=16, timeout=0.5)
    timeouts = _share(res, lambda r: isinstance(r, httpx.TimeoutException))
    assert 0.15 < timeouts < 0.85


def test_latency():
    with running_simulator(users=3000, latency_ms=40, latency_jitter_ms=5) as url:
        t = time.monotonic()
        _hit(url, n=20)
        per = (time.monotonic() - t) / 20
    assert 0.03 < per < 0.2


def test_server_side_rate_limit():
    with running_simulator(users=3000, rate_limit_rps=50) as url:
        t = time.monotonic()
        res = _hit(url, n=300)
        elapsed = time.monotonic() - t
    ok = _share(res, lambda r: isinstance(r, httpx.Response) and r.status_code != 429) * 300
    limited = [r for r in res if isinstance(r, httpx.Response) and r.status_code == 429]
    assert limited and all(r.headers.get("retry-after") == "1" for r in limited)
    assert ok <= 50 + 50 * elapsed + 5


@pytest.mark.parametrize("flag", ["--rate-429", "--drop-rate"])
def test_bad_flag_values_are_rejected(flag):
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-m", "simulator", "serve", "--users", "10", flag, "1.5"],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "share in [0, 1]" in p.stderr


def test_revoked_and_forbidden_client_ids():
    """A client id starting with ``revoked-`` gets 401, ``forbidden-`` 403; others are served."""
    uid = _ids()[0]
    with running_simulator(users=3000) as url, httpx.Client(timeout=5) as c:
        assert c.get(f"{url}/users/{uid}", params={"client_id": "revoked-abc"}).status_code == 401
        assert c.get(f"{url}/users/{uid}", params={"client_id": "forbidden-abc"}).status_code == 403
        assert c.get(f"{url}/users/{uid}", params={"client_id": "ok-abc"}).status_code == 200
