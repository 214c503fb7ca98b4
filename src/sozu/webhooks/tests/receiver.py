"""A real HTTP(S) receiver on 127.0.0.1 that records what it is sent (webhook tests).

Besides answering, it can misbehave the way a hostile or broken receiver does: hold the request
until released, trickle its answer one byte at a time forever, or send an endless body.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

Mode = Literal["answer", "hold", "trickle", "huge"]


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers 500 to the first `fail_first` requests, then `status` (200 by default).

    `mode`: "answer" answers at once; "hold" waits until `release` is set, then answers;
    "trickle" sends its answer one byte every `trickle_seconds`, never finishing; "huge"
    answers 200 with a body that never ends. `tls` is (certificate file, key file) to serve
    HTTPS; the names clients asked for (SNI) are kept in `server_names`.
    """

    fail_first: int = 0
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    mode: Mode = "answer"
    trickle_seconds: float = 0.05
    tls: tuple[str, str] | None = None
    requests: list[Received] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    #: Requests being handled now, and the most handled at once.
    active: int = 0
    max_active: int = 0
    #: Bytes of endless answers ("trickle", "huge") written, and whether the client hung up
    #: before the receiver stopped.
    bytes_sent: int = 0
    client_hung_up: bool = False
    _server: ThreadingHTTPServer | None = None
    _stopped: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}/hooks/sozu"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    receiver.requests.append(Received(self.path, dict(self.headers), body))
                    failing = len(receiver.requests) <= receiver.fail_first
                    receiver.active += 1
                    receiver.max_active = max(receiver.max_active, receiver.active)
                try:
                    if receiver.mode == "trickle":
                        self._endless(
                            b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a", receiver.trickle_seconds
                        )
                        return
                    if receiver.mode == "huge":
                        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"
                        self._endless(head, b"0" * 65536, 0)
                        return
                    if receiver.mode == "hold":
                        receiver.release.wait(60)
                    self.send_response(500 if failing else receiver.status)
                    for name, value in receiver.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                finally:
                    with receiver._lock:
                        receiver.active -= 1

            def _endless(self, head: bytes, chunk: bytes, pause: float) -> None:
                try:
                    self.wfile.write(head)
                    while not receiver._stopped.is_set():
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        with receiver._lock:
                            receiver.bytes_sent += len(chunk)
                        time.sleep(pause)
                except OSError:  # the client hung up: what a careful client does in the end
                    with receiver._lock:
                        receiver.client_hung_up = not receiver._stopped.is_set()
                self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            context.sni_callback = self._remember_server_name
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def _remember_server_name(
        self, sock: ssl.SSLObject, name: str | None, context: ssl.SSLContext
    ) -> None:
        with self._lock:
            self.server_names.append(name)

    def stop(self) -> None:
        self._stopped.set()
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def unreachable_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    return f"http://127.0.0.1:{port}/hooks"
