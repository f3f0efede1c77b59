"""Start moto's standalone S3 server on 127.0.0.1 (a real HTTP endpoint for tests and demos).

    python infra/scripts/s3_endpoint.py [--port 0]

Prints ``OFFBEAT_S3_ENDPOINT_URL=http://127.0.0.1:PORT`` once it answers, then serves until
killed. Also importable: ``start_s3_endpoint()`` returns ``(process, url)``.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except Exception as e:  # noqa: BLE001 - any failure means "not up yet"
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {timeout}s: {e}") from e
            time.sleep(0.1)


def start_s3_endpoint(port: int = 0) -> tuple[subprocess.Popen, str]:
    port = port or free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/moto-api/")
    except Exception:
        proc.kill()
        raise
    return proc, url


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    proc, url = start_s3_endpoint(args.port)
    print(f"OFFBEAT_S3_ENDPOINT_URL={url}", flush=True)
    try:
        proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
