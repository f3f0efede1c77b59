"""Run the simulator in a subprocess for tests: ``with running_simulator(...) as base_url``."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class SimulatorProcess:
    """One ``python -m simulator serve`` subprocess on 127.0.0.1."""

    def __init__(self, seed: int = 1, users: int = 10_000, port: int = 0, timeout: float = 30.0, **fault_flags: float):
        self.seed, self.users, self.timeout = seed, users, timeout
        self.port = port
        self.fault_flags = fault_flags
        self.proc: subprocess.Popen | None = None
        self.base_url: str | None = None

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "simulator", "serve", "--seed", str(self.seed), "--users", str(self.users),
               "--port", str(self.port)]
        for name, value in self.fault_flags.items():
            cmd += [f"--{name.replace('_', '-')}", str(value)]
        return cmd

    def start(self) -> str:
        """Start and wait for readiness; returns the base URL. A restart reuses the port."""
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     cwd=str(ROOT), env=env)
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert self.proc and self.proc.stdout
            for line in self.proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        try:
            while True:
                line = lines.get(timeout=self.timeout)
                if line is None:
                    err = self.proc.stderr.read() if self.proc.stderr else ""
                    raise RuntimeError(f"simulator exited before it was ready: {err.strip()[-2000:]}")
                if line.startswith("SIMULATOR READY "):
                    self.base_url = line.split()[-1]
                    self.port = int(self.base_url.rsplit(":", 1)[1])
                    return self.base_url
        except queue.Empty:
            self.kill()
            raise RuntimeError(f"simulator not ready after {self.timeout} s") from None

    def kill(self) -> None:
        """Kill the server (SIGKILL, like a crash); ``start()`` brings it back on the same port."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()

    def __enter__(self) -> SimulatorProcess:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.kill()


class SimulatorURL(str):
    """The base URL (a ``str``) that also knows its process: ``.kill()``, ``.restart()``."""

    process: SimulatorProcess

    def kill(self) -> None:
        self.process.kill()

    def restart(self) -> str:
        self.process.kill()
        return self.process.start()


@contextmanager
def running_simulator(seed: int = 1, users: int = 10_000, **fault_flags: float) -> Iterator[SimulatorURL]:
    """Start ``python -m simulator serve`` on a free 127.0.0.1 port; yield its base URL.

    ``fault_flags`` are the serve flags with underscores (``rate_429=0.1``,
    ``drop_rate=0.05``, ``slow_seconds=2``...). The yielded URL is a ``str`` with
    ``.kill()`` and ``.restart()`` (same port) for crash tests; the process is killed on exit.
    """
    proc = SimulatorProcess(seed=seed, users=users, **fault_flags)
    url = SimulatorURL(proc.start())
    url.process = proc
    try:
        yield url
    finally:
        proc.kill()
