"""Simulator throughput: /users/{id} requests per second on loopback, vs a static server.

Load tool: ``wrk`` (Debian package) with random user ids among 1,000,000 (about 30% are
dead, i.e. 404, as a crawler sees them). Baseline: ``python -m http.server`` serving one
small static JSON file, measured by the same wrk command in the same run. When wrk is
missing, an httpx-based async load generator in a separate process is used instead
(and the notes say so).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import record
from simulator.testing import running_simulator

USERS = 1_000_000
DURATION_S, CONNECTIONS = 10, 32
LUA = """
math.randomseed(42)
request = function()
  return wrk.format("GET", "/users/" .. math.random(1, USERS) .. "?client_id=bench")
end
""".replace("USERS", str(USERS))


def _wrk(url: str, script: str | None) -> float:
    cmd = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{DURATION_S}s", "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise RuntimeError(f"cannot parse wrk output:\n{out}")
    print(out)
    return float(m.group(1))


_HTTPX_LOAD = r"""
import asyncio, random, sys, time, httpx
url, random_ids, duration, conns = sys.argv[1], sys.argv[2] == "1", float(sys.argv[3]), int(sys.argv[4])
async def worker(c, stop, counts):
    r = random.Random()
    while time.monotonic() < stop:
        u = f"{url}/users/{r.randint(1, 1_000_000)}?client_id=bench" if random_ids else url
        await c.get(u); counts[0] += 1
async def main():
    counts = [0]; stop = time.monotonic() + duration
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=conns)) as c:
        await asyncio.gather(*(worker(c, stop, counts) for _ in range(conns)))
    print(counts[0] / duration)
asyncio.run(main())
"""


def _httpx(url: str, random_ids: bool) -> float:
    out = subprocess.run([sys.executable, "-c", _HTTPX_LOAD, url, "1" if random_ids else "0", str(DURATION_S),
                          str(CONNECTIONS)], capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1])


def _static_server(root: str) -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", root],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import httpx

    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/user.json")
            break
        except httpx.TransportError:
            time.sleep(0.1)
    return proc, f"http://127.0.0.1:{port}/user.json"


def main() -> None:
    use_wrk = shutil.which("wrk") is not None
    with tempfile.TemporaryDirectory() as tmp:
        fixture = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "api-v2" / "user.json"
        Path(tmp, "user.json").write_bytes(fixture.read_bytes() if fixture.exists() else b'{"id": 1, "kind": "user"}')
        script = os.path.join(tmp, "users.lua")
        Path(script).write_text(LUA)
        with running_simulator(seed=1, users=USERS) as url:
            ours = _wrk(url, script) if use_wrk else _httpx(url, True)
        proc, static_url = _static_server(tmp)
        try:
            base = _wrk(static_url, None) if use_wrk else _httpx(static_url, False)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    tool = f"wrk -t1 -c{CONNECTIONS} -d{DURATION_S}s" if use_wrk else "httpx async load generator (wrk missing)"
    record("simulator_throughput", ours, base, "requests/s",
           f"{tool}; ours: /users/{{random id of 1M}} (~30% 404), 1 uvicorn process; "
           f"baseline: python -m http.server static user.json; 2 shared cores; target >= 2000")


if __name__ == "__main__":
    main()
