"""A pretend internet for webhook tests: a resolver and routes to public addresses we control.

Tests cannot reach the real internet, and SSRF tests must see which address a delivery really
connects to. `FakeNetwork` answers DNS for the names a test registers (a different answer per
lookup, to play DNS rebinding), records every TCP connection made through `socket.socket`, and
carries connections to chosen public addresses to a local receiver.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect


@dataclass
class FakeNetwork:
    #: name → successive answers (lists of addresses); the last answer repeats. An empty
    #: answer means the name does not resolve.
    answers: dict[str, list[list[str]]] = field(default_factory=dict)
    #: (public address, port) → (local address, port) where the connection really goes.
    routes: dict[tuple[str, int], tuple[str, int]] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)
    connections: list[tuple[str, int]] = field(default_factory=list)

    def resolve(self, name: str, *answers: list[str]) -> None:
        self.answers[name] = [list(a) for a in answers]

    def getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in self.answers:
            return _real_getaddrinfo(host, port, *args, **kwargs)
        self.lookups.append(host)
        queue = self.answers[host]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if not answer:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        number = int(port or 0)
        infos: list[Any] = []
        for address in answer:
            if ipaddress.ip_address(address).version == 6:
                infos.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, number, 0, 0)))
            else:
                infos.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, number)))
        return infos

    def connect(self, sock: socket.socket, address: Any) -> None:
        host, port = str(address[0]), int(address[1])
        self.connections.append((host, port))
        target = self.routes.get((host, port))
        if target is not None:
            return _real_connect(sock, target)
        if ipaddress.ip_address(host.split("%", 1)[0]).is_loopback:
            return _real_connect(sock, address)
        raise ConnectionRefusedError(f"{host}:{port} is not reachable from tests")


def install_fake_network(monkeypatch: pytest.MonkeyPatch) -> FakeNetwork:
    """Route this test's lookups and connections through a new `FakeNetwork`."""
    net = FakeNetwork()

    def connect(sock: socket.socket, address: Any) -> None:
        net.connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", net.getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    return net


def tls_certificate(directory: Path, name: str) -> tuple[str, str]:
    """A self-signed certificate for `name`: (cert, key). OpenSSL checks its validity against
    the machine's real clock, which a test may not share (a frozen or shifted clock), so it is
    valid over a fixed, wide window instead of around "now"."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
        .not_valid_after(datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / f"{name}.crt", directory / f"{name}.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)
