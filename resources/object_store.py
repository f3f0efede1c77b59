"""The object store: one interface, two backends (a local directory and S3).

Every zone of the design (landing, raw, quarantine, reports) lives in the object store
under a key such as ``raw/users/range=1-1000/part-00000.jsonl.gz``. Keys always use ``/``.

Guarantees both backends give, and that ``tests/resources/test_object_store.py`` checks
against each of them:

* ``list`` returns every key under a prefix, however many (S3 pages past 1,000 keys).
* Writes are atomic: a reader sees either the old object or the complete new one, never
  a half-written one. The local backend writes a hidden temporary file beside the target
  and renames it; the S3 backend streams a multipart upload that only becomes visible
  when it is completed (or one ``PutObject`` for small objects).
* Large objects stream in both directions: nothing holds a whole object in memory.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import tempfile
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import dagster as dg
from pydantic import PrivateAttr

TMP_MARKER = ".offbeat-tmp-"  # local temporary files; never listed, never read


def _check_key(key: str) -> str:
    if not key or key.startswith("/") or ".." in key.split("/") or key.endswith("/"):
        raise ValueError(f"invalid object key {key!r}: use a relative path such as 'raw/x.json'")
    return key


class ObjectStore(dg.ConfigurableResource, ABC):
    """Where landing, raw, quarantine and report files live (see DESIGN.md, storage zones)."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[str]:
        """Every key under ``prefix``, in lexicographic order."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Delete one object; deleting a missing key is not an error."""

    @abstractmethod
    @contextmanager
    def open_write(self, key: str) -> Iterator[IO[bytes]]:
        """A binary stream that publishes ``key`` atomically when the block exits cleanly.

        If the block raises (or the process dies), nothing becomes visible.
        """

    @abstractmethod
    @contextmanager
    def open_read(self, key: str) -> Iterator[IO[bytes]]:
        """A streaming binary reader. Raises ``FileNotFoundError`` for a missing key."""

    @abstractmethod
    def describe(self) -> str:
        """Where the store is, for logs and metadata (never contains credentials)."""

    @abstractmethod
    @contextmanager
    def local_paths(self, keys: list[str]) -> Iterator[list[str]]:
        """Absolute local file paths for ``keys`` (same order), valid inside the block.

        What Spark or any file-based reader needs: the local backend yields its own files;
        S3 streams each object into a temporary directory that is removed on exit. Raises
        ``FileNotFoundError`` for a missing key. Treat the files as read-only.
        """

    # ---- conveniences shared by both backends -------------------------------------
    def put_bytes(self, key: str, data: bytes) -> None:
        with self.open_write(key) as f:
            f.write(data)

    def get_bytes(self, key: str) -> bytes:
        with self.open_read(key) as f:
            return f.read()

    def delete_prefix(self, prefix: str) -> int:
        keys = list(self.list(prefix))
        for key in keys:
            self.delete(key)
        return len(keys)

    def upload_file(self, path: str | os.PathLike, key: str, chunk_bytes: int = 8 << 20) -> None:
        with open(path, "rb") as src, self.open_write(key) as dst:
            shutil.copyfileobj(src, dst, chunk_bytes)

    def download_file(self, key: str, path: str | os.PathLike, chunk_bytes: int = 8 << 20) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        tmp = f"{path}{TMP_MARKER}{uuid.uuid4().hex}"
        with self.open_read(key) as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, chunk_bytes)
        os.replace(tmp, path)

    def write_jsonl_gz(self, key: str, records: Iterable[dict[str, Any]]) -> int:
        """Write records as gzip JSON Lines (atomically); returns the number written."""
        n = 0
        with self.open_write(key) as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            text = io.TextIOWrapper(gz, encoding="utf-8", newline="\n")
            for record in records:
                text.write(json.dumps(record, ensure_ascii=False, sort_keys=True))
                text.write("\n")
                n += 1
            text.flush()
            text.detach()
        return n

    def read_jsonl_gz(self, key: str) -> Iterator[dict[str, Any]]:
        with self.open_read(key) as raw, gzip.GzipFile(fileobj=raw, mode="rb") as gz:
            for line in io.TextIOWrapper(gz, encoding="utf-8"):
                if line.strip():
                    yield json.loads(line)


class LocalObjectStore(ObjectStore):
    """The embedded default: a directory on local disk (``./data`` unless configured)."""

    root: str = "data"

    def _path(self, key: str) -> Path:
        return Path(self.root) / _check_key(key)

    def describe(self) -> str:
        return f"file://{Path(self.root).resolve()}"

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str = "") -> Iterator[str]:
        root = Path(self.root)
        if not root.is_dir():
            return iter(())
        # Walk only the directory that can contain the prefix.
        base = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = root / base if base else root
        if not start.is_dir():
            return iter(())
        keys = []
        for dirpath, _dirs, files in os.walk(start):
            for name in files:
                if TMP_MARKER in name:
                    continue
                key = Path(dirpath, name).relative_to(root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        return iter(sorted(keys))

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    @contextmanager
    def open_write(self, key: str) -> Iterator[IO[bytes]]:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}{TMP_MARKER}{uuid.uuid4().hex}")
        f = open(tmp, "wb")
        try:
            yield f
            f.flush()
            os.fsync(f.fileno())
            f.close()
            os.replace(tmp, target)  # atomic on POSIX: readers see old or new, never half
        except BaseException:
            f.close()
            tmp.unlink(missing_ok=True)
            raise

    @contextmanager
    def local_paths(self, keys: list[str]) -> Iterator[list[str]]:
        paths = []
        for key in keys:
            path = self._path(key)
            if not path.is_file():
                raise FileNotFoundError(f"no object {key!r} in {self.describe()}")
            paths.append(str(path.resolve()))
        yield paths

    @contextmanager
    def open_read(self, key: str) -> Iterator[IO[bytes]]:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(f"no object {key!r} in {self.describe()}")
        with open(path, "rb") as f:
            yield f


class _MultipartWriter(io.RawIOBase):
    """Buffers writes; uploads parts once the buffer passes ``part_bytes``."""

    def __init__(self, client, bucket: str, key: str, part_bytes: int):
        self._client, self._bucket, self._key = client, bucket, key
        self._part_bytes = part_bytes
        self._buf = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self._buf += b
        while len(self._buf) >= self._part_bytes:
            self._upload_part(bytes(self._buf[: self._part_bytes]))
            del self._buf[: self._part_bytes]
        return len(b)

    def _upload_part(self, data: bytes) -> None:
        if self._upload_id is None:
            resp = self._client.create_multipart_upload(Bucket=self._bucket, Key=self._key)
            self._upload_id = resp["UploadId"]
        n = len(self._parts) + 1
        resp = self._client.upload_part(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=n, Body=data
        )
        self._parts.append({"PartNumber": n, "ETag": resp["ETag"]})

    def publish(self) -> None:
        if self._upload_id is None:  # small object: one PutObject
            self._client.put_object(Bucket=self._bucket, Key=self._key, Body=bytes(self._buf))
            return
        if self._buf:
            self._upload_part(bytes(self._buf))
            self._buf.clear()
        self._client.complete_multipart_upload(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},
        )

    def abort(self) -> None:
        if self._upload_id is not None:
            self._client.abort_multipart_upload(
                Bucket=self._bucket, Key=self._key, UploadId=self._upload_id
            )


class ObjectStoreUnavailable(RuntimeError):
    """The configured bucket or endpoint cannot be used (raised when a run starts)."""


class S3ObjectStore(ObjectStore):
    """Any S3-compatible endpoint through boto3.

    Credentials: boto3's default chain (environment, shared config, SSO, instance or pod
    role) unless the key fields are set (with ``dg.EnvVar``, see resources/environment.py);
    then the session token is passed too, so temporary credentials work. They never appear
    in logs or metadata.

    When a run starts (``setup_for_execution``), one ``HeadBucket`` with short timeouts
    checks that the endpoint answers and the bucket exists, so a wrong setting fails the run
    at once with the variable to fix rather than in the middle of the first asset.
    """

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region_name: str = "us-east-1"
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    aws_session_token: str | None = None
    multipart_threshold_bytes: int = 8 << 20  # also the part size (S3 minimum is 5 MiB)
    max_pool_connections: int = 32
    check_on_start: bool = True

    _client: Any = PrivateAttr(default=None)

    def _make_client(self, **config: Any):
        import boto3
        from botocore.config import Config

        keys: dict[str, Any] = {}
        if self.aws_access_key_id:  # explicit keys; otherwise boto3's default chain
            keys = {
                "aws_access_key_id": self.aws_access_key_id,
                "aws_secret_access_key": self.aws_secret_access_key,
                "aws_session_token": self.aws_session_token or None,
            }
        # A session of our own: the default chain is resolved now, not cached process-wide.
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region_name,
            config=Config(max_pool_connections=self.max_pool_connections, **config),
            **keys,
        )

    @property
    def client(self):
        if self._client is None:
            self._client = self._make_client(
                connect_timeout=10, retries={"max_attempts": 5, "mode": "standard"}
            )
        return self._client

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        if self.check_on_start:
            self.check_available()

    def check_available(self) -> None:
        """Fail fast, naming the setting to fix, if the endpoint or bucket is unusable."""
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        endpoint = self.endpoint_url or f"AWS S3 ({self.region_name})"
        probe = self._make_client(
            connect_timeout=3, read_timeout=5, retries={"max_attempts": 2, "mode": "standard"}
        )
        try:
            probe.head_bucket(Bucket=self.bucket)
        except ClientError as e:
            code = str(e.response.get("Error", {}).get("Code"))
            if code in ("404", "NoSuchBucket", "NotFound"):
                raise ObjectStoreUnavailable(
                    f"S3 bucket {self.bucket!r} does not exist at {endpoint}: check "
                    f"OFFBEAT_S3_BUCKET (and OFFBEAT_S3_ENDPOINT_URL)"
                ) from e
            if code in ("403", "AccessDenied", "Forbidden"):
                raise ObjectStoreUnavailable(
                    f"access to S3 bucket {self.bucket!r} at {endpoint} is denied: check "
                    f"OFFBEAT_S3_BUCKET and the credentials (AWS_ACCESS_KEY_ID, "
                    f"AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN or the instance role)"
                ) from e
            raise ObjectStoreUnavailable(
                f"S3 bucket {self.bucket!r} at {endpoint} answered {code}: check "
                f"OFFBEAT_S3_BUCKET and OFFBEAT_S3_ENDPOINT_URL"
            ) from e
        except NoCredentialsError as e:
            raise ObjectStoreUnavailable(
                f"no AWS credentials found for S3 bucket {self.bucket!r} at {endpoint}: set "
                f"AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) or use an "
                f"instance role"
            ) from e
        except BotoCoreError as e:
            raise ObjectStoreUnavailable(
                f"S3 endpoint {endpoint} is unreachable ({type(e).__name__}): check "
                f"OFFBEAT_S3_ENDPOINT_URL (bucket {self.bucket!r}, OFFBEAT_S3_BUCKET)"
            ) from e

    def _k(self, key: str) -> str:
        key = _check_key(key)
        return f"{self.prefix.strip('/')}/{key}" if self.prefix.strip("/") else key

    def describe(self) -> str:
        where = f"s3://{self.bucket}/{self.prefix.strip('/')}"
        return f"{where} via {self.endpoint_url}" if self.endpoint_url else where

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist (local endpoints and first runs)."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._k(key))
            return True
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def list(self, prefix: str = "") -> Iterator[str]:
        strip = len(self._k("x")) - 1  # length of our own prefix (with its '/')
        full = self._k("x")[:-1] + prefix
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=full):
            for obj in page.get("Contents", []):
                yield obj["Key"][strip:]

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._k(key))

    def delete_prefix(self, prefix: str) -> int:
        keys = list(self.list(prefix))
        for i in range(0, len(keys), 1000):
            batch = [{"Key": self._k(k)} for k in keys[i : i + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
        return len(keys)

    @contextmanager
    def open_write(self, key: str) -> Iterator[IO[bytes]]:
        writer = _MultipartWriter(self.client, self.bucket, self._k(key), self.multipart_threshold_bytes)
        try:
            yield writer  # type: ignore[misc]
            writer.publish()
        except BaseException:
            writer.abort()
            raise

    @contextmanager
    def local_paths(self, keys: list[str]) -> Iterator[list[str]]:
        with tempfile.TemporaryDirectory(prefix="offbeat-s3-") as tmp:
            paths = []
            for key in keys:
                # Keep the key's layout (and file name, so suffixes like .gz still tell
                # readers the codec); keys are validated so they cannot escape ``tmp``.
                path = os.path.join(tmp, _check_key(key))
                self.download_file(key, path)  # streamed in chunks
                paths.append(path)
            yield paths

    @contextmanager
    def open_read(self, key: str) -> Iterator[IO[bytes]]:
        from botocore.exceptions import ClientError

        try:
            resp = self.client.get_object(Bucket=self.bucket, Key=self._k(key))
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileNotFoundError(f"no object {key!r} in {self.describe()}") from e
            raise
        body = resp["Body"]
        try:
            yield body
        finally:
            body.close()
