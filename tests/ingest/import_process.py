"""Child process for the streamed-import test: imports a generated N-row SQL dump through
the ``raw_user_imports`` asset and reports its peak memory growth.

Arguments: object-store root, rows. Prints one JSON line: rows imported, seconds, RSS
before the import (after a warm-up run that loads every lazily imported module) and the
peak RSS sampled every 5 ms while it ran.
"""

import json
import sys
import threading
import time

import dagster as dg

from assets.ingest.assets import raw_user_imports
from resources.object_store import LocalObjectStore


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def write_sql(store: LocalObjectStore, key: str, n: int, per_insert: int = 1000) -> int:
    """A MariaDB-style dump (extended INSERTs of ``per_insert`` rows), streamed to the store."""
    with store.open_write(key) as f:
        f.write(b"-- generated\nCREATE TABLE `users` (`id` int(11) NOT NULL, `username` varchar(200));\n")
        for start in range(1, n + 1, per_insert):
            rows = ",\n".join(f"({i}, 'user-{i}', 'User {i}', {i % 97}, {i % 13}, {i % 7})"
                              for i in range(start, min(n, start + per_insert - 1) + 1))
            f.write(("INSERT INTO `users` (`id`, `permalink`, `username`, `followers_count`, "
                     "`followings_count`, `track_count`) VALUES\n" + rows + ";\n").encode())
    return store._path(key).stat().st_size


root, n = sys.argv[1], int(sys.argv[2])
store = LocalObjectStore(root=root)
store.put_bytes("landing/user_dumps/warmup.csv", b"id,username\n1,a\n")
assert dg.materialize([raw_user_imports], resources={"object_store": store}).success  # warm-up
store.delete("landing/user_dumps/warmup.csv")
dump_bytes = write_sql(store, "landing/user_dumps/big.sql", n)
before = rss_bytes()
peak = before
done = threading.Event()


def sample() -> None:
    global peak
    while not done.is_set():
        peak = max(peak, rss_bytes())
        time.sleep(0.005)


sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
t0, cpu0 = time.monotonic(), time.process_time()
result = dg.materialize([raw_user_imports], resources={"object_store": store})
seconds, cpu = time.monotonic() - t0, time.process_time() - cpu0
done.set()
sampler.join()
mat = result.asset_materializations_for_node("raw_user_imports")[0]
print(json.dumps({"success": result.success, "rows": mat.metadata["dagster/row_count"].value,
                  "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "dump_bytes": dump_bytes,
                  "rss_before": before, "rss_peak": peak}), flush=True)
