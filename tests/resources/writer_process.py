"""Child process for the interrupted-write test: starts a large write and waits to be killed.

argv[1] is the store as JSON: {"kind": "local"|"s3", ...fields}. Prints "WRITING" once
more than one part has been written (so an S3 multipart upload is in flight), then sleeps
inside the write until the parent kills it with SIGKILL.
"""

import json
import sys
import time

from resources.object_store import LocalObjectStore, S3ObjectStore

spec = json.loads(sys.argv[1])
kind = spec.pop("kind")
store = LocalObjectStore(**spec) if kind == "local" else S3ObjectStore(**spec)
chunk = b"x" * (1 << 20)
with store.open_write("big/killed.bin") as f:
    for _ in range(12):  # 12 MiB: more than two 5 MiB parts
        f.write(chunk)
    print("WRITING", flush=True)
    time.sleep(600)
