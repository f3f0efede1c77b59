"""One plain simulator server for the whole module set (faults get their own servers)."""

from __future__ import annotations

import httpx
import pytest

from simulator.testing import running_simulator

SEED, USERS = 1, 20_000


@pytest.fixture(scope="session")
def sim_url():
    with running_simulator(seed=SEED, users=USERS) as url:
        yield url


@pytest.fixture(scope="session")
def client():
    with httpx.Client(timeout=10) as c:
        yield c


def get(client: httpx.Client, url: str, **params) -> httpx.Response:
    return client.get(url, params={"client_id": "test", **params})
