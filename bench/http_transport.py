"""HTTP client cost: httpx over our KeepAliveTransport vs httpx's default transport.

Both send the same 6,000 GETs of ``/users/{id}`` to the simulator with 64 in flight, in
one run; we report requests/s and the client's CPU time per request (user + system, of
this process only: the simulator runs in its own process on the same 2 cores).
"""

from __future__ import annotations

import asyncio
import resource
import time

import httpx

from bench.harness import record
from resources.http_transport import KeepAliveTransport
from simulator.testing import running_simulator

REQUESTS, IN_FLIGHT = 6_000, 64


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def _run(url: str, transport: httpx.AsyncBaseTransport | None) -> tuple[float, float]:
    """(requests/s, client CPU microseconds per request)."""
    kwargs = {"transport": transport} if transport else {"limits": httpx.Limits(max_connections=IN_FLIGHT)}
    async with httpx.AsyncClient(trust_env=False, **kwargs) as client:
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def one(uid: int) -> int:
            async with gate:
                return (await client.get(f"{url}/users/{uid}", params={"client_id": "bench"})).status_code

        start, cpu0 = time.perf_counter(), _cpu_s()
        statuses = await asyncio.gather(*(one(u) for u in range(1, REQUESTS + 1)))
        elapsed, cpu = time.perf_counter() - start, _cpu_s() - cpu0
    assert set(statuses) <= {200, 404}, set(statuses)
    return REQUESTS / elapsed, cpu / REQUESTS * 1e6


def main() -> None:
    with running_simulator(seed=1, users=1_000_000) as url:
        base_rate, base_cpu = asyncio.run(_run(url, None))
        rate, cpu = asyncio.run(_run(url, KeepAliveTransport(max_connections=IN_FLIGHT)))
    print(f"client CPU per request: ours {cpu:,.0f} us, httpx default {base_cpu:,.0f} us")
    record("http_client_requests", rate, base_rate, "requests/s",
           f"{REQUESTS:,} GET /users/{{id}} to the simulator, {IN_FLIGHT} in flight; ours: httpx.AsyncClient over "
           f"KeepAliveTransport ({cpu:,.0f} us client CPU/request); baseline: httpx.AsyncClient default "
           f"transport, httpcore ({base_cpu:,.0f} us/request)")


if __name__ == "__main__":
    main()
