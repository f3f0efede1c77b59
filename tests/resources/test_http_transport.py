"""KeepAliveTransport against real sockets: the simulator, and a raw HTTP/1.1 server on
127.0.0.1 whose answers are written byte by byte (chunked bodies, read-to-close bodies,
keep-alive connections the server closes, garbage, silence)."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading

import httpx
import pytest

from resources.http_transport import KeepAliveTransport
from simulator import users
from simulator.testing import running_simulator

CANNED = {
    b"/chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
                 b"5\r\n{\"a\":\r\n3\r\n 1}\r\n0\r\n\r\n",
    b"/close": b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
    b"/until-close": b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nread me until the end",
    b"/garbage": b"this is not http\r\n\r\n",
    b"/half": b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part",
    b"/gzip": None,  # filled below
}


class RawServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 that answers from CANNED; keep-alive for
    /ok; ``/silent`` never answers; connections are counted."""

    def __init__(self, tls: ssl.SSLContext | None = None):
        import gzip

        self.tls = tls

        CANNED[b"/gzip"] = (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
                            % len(gz := gzip.compress(b'{"zipped": true}'))) + gz
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket):
        buf = b""
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            self.conns.append(conn)
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                path = head.split(b" ")[1].split(b"?")[0]
                if path == b"/silent":
                    continue
                if path == b"/ok":
                    body = json.dumps({"path": head.split(b" ")[1].decode()}).encode()
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                    continue
                conn.sendall(CANNED[path])
                conn.close()
                return
        except OSError:
            return

    def close_idle(self):
        """Close every connection from the server side (as a keep-alive timeout would)."""
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
                c.close()
            except OSError:
                pass
        self.conns.clear()

    def url(self, path: str) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}{path}"


@pytest.fixture
def raw_server():
    server = RawServer()
    yield server
    server.sock.close()
    server.close_idle()


def client(max_connections: int = 4, timeout: float = 5.0, verify: bool | str = True) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=KeepAliveTransport(max_connections=max_connections, verify=verify),
                             timeout=httpx.Timeout(timeout))


def self_signed_cert(directory) -> tuple[str, str]:
    """(cert.pem, key.pem) of a self-signed certificate for 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "offbeat test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def test_reuses_connections_and_bounds_them():
    async def go(url):
        async with client(max_connections=4) as c:
            ids = range(1, 401)
            responses = await asyncio.gather(*(c.get(f"{url}/users/{i}", params={"client_id": "t"}) for i in ids))
            return responses, c._transport.connections_opened

    with running_simulator(seed=3, users=500) as url:
        responses, opened = asyncio.run(go(url))
    assert opened <= 4  # 400 requests over at most 4 keep-alive connections
    for i, r in zip(range(1, 401), responses, strict=True):
        expected = users.user(3, i, 500)
        if expected is None:
            assert r.status_code == 404
        else:
            assert r.status_code == 200 and r.json() == expected


def test_chunked_close_until_close_and_gzip_bodies(raw_server):
    async def go():
        async with client() as c:
            return [await c.get(raw_server.url(p)) for p in ("/chunked", "/close", "/until-close", "/gzip")]

    chunked, close, until_close, gz = asyncio.run(go())
    assert chunked.json() == {"a": 1}
    assert close.text == "ok"
    assert until_close.text == "read me until the end"
    assert gz.json() == {"zipped": True}


def test_idle_connection_closed_by_server_is_replaced_transparently(raw_server):
    async def go():
        async with client(max_connections=1) as c:
            first = await c.get(raw_server.url("/ok?n=1"))
            raw_server.close_idle()
            await asyncio.sleep(0.05)
            second = await c.get(raw_server.url("/ok?n=2"))
            return first, second, c._transport.connections_opened

    first, second, opened = asyncio.run(go())
    assert first.json() == {"path": "/ok?n=1"} and second.json() == {"path": "/ok?n=2"}
    assert opened == 2


@pytest.mark.parametrize(
    ("path", "error"),
    [("/garbage", httpx.RemoteProtocolError), ("/half", httpx.ReadError), ("/silent", httpx.ReadTimeout)],
)
def test_broken_responses_raise_httpx_errors(raw_server, path, error):
    async def go():
        async with client(timeout=0.5) as c:
            await c.get(raw_server.url(path))

    with pytest.raises(error):
        asyncio.run(go())


def test_refused_connection_is_a_connect_error():
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]  # closed at the end of the block: nothing listens there

    async def go():
        async with client() as c:
            await c.get(f"http://127.0.0.1:{port}/")

    with pytest.raises(httpx.ConnectError):
        asyncio.run(go())


def test_https_verifies_the_server_and_keeps_connections_alive(tmp_path):
    cert, key = self_signed_cert(tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server = RawServer(tls=tls)

    async def go(verify):
        async with client(verify=verify) as c:
            responses = [await c.get(server.url(f"/ok?n={i}")) for i in range(5)]
            return responses, c._transport.connections_opened

    try:
        responses, opened = asyncio.run(go(cert))  # trusts exactly this certificate
        assert [r.json()["path"] for r in responses] == [f"/ok?n={i}" for i in range(5)]
        assert opened == 1
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            asyncio.run(go(True))  # the default CA bundle does not know it
    finally:
        server.sock.close()
        server.close_idle()
