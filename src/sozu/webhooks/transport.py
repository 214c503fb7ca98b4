"""The one HTTP request webhooks make: to a checked address, within a deadline and a byte cap.

Webhook URLs come from API clients, so every delivery is a request an outsider aims at our
network. The host name is resolved once, every address it resolves to must be globally routable
(loopback only where `SOZU_WEBHOOK_ALLOW_LOOPBACK_HTTP` or `DEBUG` allows it), and the socket is
opened to one of exactly those addresses: a second resolution (DNS rebinding) never happens. The
request still carries the URL's host name in `Host` and in TLS (SNI and certificate check).
Redirects are not followed. The whole exchange, from connect to the last byte read, ends at a
deadline, and at most a fixed number of bytes of the answer are read, so a slow or huge receiver
costs one thread for a bounded time and nothing else.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import certifi

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: The certificate authorities receivers' certificates must chain to (the ones requests uses).
CA_BUNDLE = certifi.where()

#: Special-purpose blocks (IANA registries) that are not globally reachable, or reach other
#: networks through a translator we do not control (NAT64, 6to4, Teredo). `ip.is_global` misses
#: some of them on Python 3.11 (192.0.0.8, NAT64, site-local…); both checks apply.
_NOT_PUBLIC = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/96",
        "::ffff:0:0/96",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "2002::/16",
        "3fff::/20",
        "5f00::/16",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)


class DeliveryRefused(Exception):
    """Not sent: the URL is not one we may call now (reason in English, for the delivery log)."""


class HostUnresolvable(DeliveryRefused):
    """The host name does not resolve (now)."""


class DeliveryFailed(Exception):
    """Sent (or tried), but no usable answer: network error, deadline, oversized answer."""


def address_is_public(ip: IPAddress) -> bool:
    """Whether `ip` is a globally routable unicast address outside any translation prefix."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return address_is_public(ip.ipv4_mapped)
    if not ip.is_global or ip.is_multicast or ip.is_reserved:
        return False
    return not any(ip in net for net in _NOT_PUBLIC if net.version == ip.version)


def address_allowed(ip: IPAddress, *, allow_loopback: bool) -> bool:
    embedded = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    if (embedded or ip).is_loopback:
        return allow_loopback
    return address_is_public(ip)


def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses `host` resolves to, in the resolver's order; refused if it does not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise HostUnresolvable(f"{host} does not resolve") from None
    addresses: list[IPAddress] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise HostUnresolvable(f"{host} does not resolve")
    return addresses


def checked_addresses(host: str, port: int, *, allow_loopback: bool) -> list[IPAddress]:
    """The addresses to connect to: refused unless every address of `host` is allowed.

    A name with one private address among public ones is refused as a whole: whoever controls
    its DNS can steer the resolver's order.
    """
    addresses = resolve(host, port)
    for ip in addresses:
        if not address_allowed(ip, allow_loopback=allow_loopback):
            named = host if host == str(ip) else f"{host} ({ip})"
            raise DeliveryRefused(f"{named} is not a public address")
    return addresses


@dataclass(frozen=True)
class Answer:
    status: int
    #: Whether the body went past the byte cap (the rest was not read).
    truncated: bool


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    deadline_seconds: float,
    max_bytes: int,
    allow_loopback: bool,
) -> Answer:
    """POST `body` to `url` and return the answer's status; raises DeliveryRefused/Failed."""
    deadline = time.monotonic() + deadline_seconds
    parts = urlsplit(url)
    https = parts.scheme == "https"
    try:
        # One ASCII spelling for the lookup, the Host header and TLS (internationalized names).
        host = (parts.hostname or "").encode("idna").decode("ascii").lower()
        port = parts.port or (443 if https else 80)
    except (UnicodeError, ValueError):
        raise DeliveryRefused("not a valid host and port") from None
    if not host or parts.scheme not in ("http", "https"):
        raise DeliveryRefused("not an http(s) URL")
    addresses = checked_addresses(host, port, allow_loopback=allow_loopback)
    if not https and not all(_loopback(ip) for ip in addresses):
        raise DeliveryRefused("plain HTTP is only for this machine")
    sock = _connect(addresses, port, deadline)
    # Per-operation timeouts alone let a receiver that trickles a byte a second (or stalls the
    # TLS handshake) hold the thread forever: a watchdog cuts the connection at the deadline.
    watchdog = _Watchdog(sock.fileno(), deadline)
    try:
        if https:
            context = ssl.create_default_context(cafile=CA_BUNDLE)
            # The handshake runs after wrapping, so that on failure the descriptor stays open
            # until the watchdog is disarmed (wrap_socket would close it itself).
            sock = context.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
            sock.do_handshake()
        answer = _exchange(sock, host, port, https, parts, body, headers, max_bytes)
        if watchdog.fired:  # a cut connection reads as an early end: the answer is not whole
            raise DeliveryFailed(f"no complete answer within {deadline_seconds:g} s")
        return answer
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if watchdog.fired or time.monotonic() >= deadline:
            raise DeliveryFailed(f"no complete answer within {deadline_seconds:g} s") from None
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}"[:200]) from None
    finally:
        watchdog.disarm()
        sock.close()


class _Watchdog:
    """Shuts the connection's socket down at the deadline, waking any blocked read or write.

    It works on the file descriptor because wrapping the socket in TLS moves the descriptor
    to a new socket object; the lock guarantees it never touches the descriptor once `post`
    has closed it (the number may already belong to another connection).
    """

    def __init__(self, fd: int, deadline: float) -> None:
        self._fd: int | None = fd
        self.fired = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._cut)
        self._timer.daemon = True
        self._timer.start()

    def _cut(self) -> None:
        with self._lock:
            if self._fd is None:
                return
            self.fired = True
            view = socket.socket(fileno=self._fd)
            try:
                view.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            finally:
                view.detach()  # the descriptor stays owned by the connection

    def disarm(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._fd = None


def _loopback(ip: IPAddress) -> bool:
    embedded = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return (embedded or ip).is_loopback


def _connect(addresses: list[IPAddress], port: int, deadline: float) -> socket.socket:
    """A socket connected to the first address that answers, all of them already checked."""
    errors = []
    for ip in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            return open_connection(ip, port, remaining)
        except OSError as exc:
            errors.append(f"{ip}: {exc}")
    raise DeliveryFailed("ConnectionError: " + ("; ".join(errors) or "deadline reached"))


def open_connection(ip: IPAddress, port: int, timeout: float) -> socket.socket:
    """A TCP connection to exactly `ip` (never a host name: nothing is resolved here)."""
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect((str(ip), port))
    except BaseException:
        sock.close()
        raise
    return sock


def _exchange(
    sock: socket.socket,
    host: str,
    port: int,
    https: bool,
    parts: Any,
    body: bytes,
    headers: dict[str, str],
    max_bytes: int,
) -> Answer:
    conn_class = http.client.HTTPSConnection if https else http.client.HTTPConnection
    conn = conn_class(host, port)  # sets the Host header; its own connect() is never called
    conn.sock = _CappedSocket(sock, max_bytes)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    conn.request("POST", path, body=body, headers={**headers, "Connection": "close"})
    response = conn.getresponse()  # a redirect is just a status: Location is never followed
    truncated = False
    try:
        while response.read(16384):
            pass
    except AnswerTooLarge:
        truncated = True
    return Answer(response.status, truncated)


class AnswerTooLarge(DeliveryFailed):
    pass


class _CappedSocket:
    """The connected socket as http.client sees it: every byte read counts against a cap."""

    def __init__(self, sock: socket.socket, max_bytes: int) -> None:
        self._sock = sock
        self._max_bytes = max_bytes

    def sendall(self, data: bytes) -> None:
        self._sock.sendall(data)

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_CappedReader(self._sock, self._max_bytes))

    def close(self) -> None:
        pass  # `post` closes the real socket


class _CappedReader(io.RawIOBase):
    def __init__(self, sock: socket.socket, max_bytes: int) -> None:
        self._sock = sock
        self._max_bytes = self._left = max_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            raise AnswerTooLarge(f"the answer is larger than {self._max_bytes} bytes")
        view = memoryview(buffer)[: self._left]
        n = self._sock.recv_into(view)
        self._left -= n
        return n
