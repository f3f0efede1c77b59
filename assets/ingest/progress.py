"""Progress lines for long work: done/total, rate and ETA, at most every few seconds."""

from __future__ import annotations

import time
from collections.abc import Callable


class Progress:
    def __init__(self, total: int, what: str, log: Callable[[str], None], every_s: float = 5.0):
        self.total, self.what, self.log, self.every_s = total, what, log, every_s
        self.done = 0
        self.started = self.last = time.monotonic()

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def advance(self, n: int, force: bool = False) -> None:
        self.done += n
        now = time.monotonic()
        if force or now - self.last >= self.every_s or self.done >= self.total:
            self.last = now
            rate = self.rate
            eta = (self.total - self.done) / rate if rate > 0 else float("inf")
            eta_text = f"{eta:.0f}s" if eta != float("inf") else "?"
            pct = 100.0 * self.done / self.total if self.total else 100.0
            self.log(f"{self.what}: {self.done}/{self.total} ({pct:.1f}%), {rate:.0f}/s, ETA {eta_text}")
