"""What every `sozu` management command shares: the operator as actor, lookups, error output."""

from __future__ import annotations

import getpass
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import requests
from django.conf import settings
from django.core.management.base import BaseCommand
from stellar_sdk.exceptions import ConnectionError as StellarConnectionError

from sozu.errors import SozuError, message_for
from sozu.launch.checks import MasterKeyError
from sozu.logs import redact
from sozu.orgs.models import Organization
from sozu.stellar.network import NetworkError

#: Failures to reach Horizon that surface outside the services' own SozuErrors.
NETWORK_ERRORS: tuple[type[Exception], ...] = (
    NetworkError,
    requests.RequestException,
    StellarConnectionError,
)


def operator() -> str:
    """The audit actor for the command line: the platform operator, `cli:<user>`."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no passwd entry (some containers)
        user = os.environ.get("USER", "") or "unknown"
    return f"cli:{user}"


def process_name(kind: str) -> str:
    """A name unique to this process, e.g. for a worker's leases: `cli-host-1234`."""
    return f"{kind}-{socket.gethostname()}-{os.getpid()}"


def organization_by_slug(slug: str) -> Organization:
    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        raise SozuError("org_not_found", slug=slug)
    return org


def money(amount: Decimal | str) -> str:
    """An amount as people read it: at least two decimals, never rounded."""
    text = f"{Decimal(amount).normalize():f}"
    whole, _, cents = text.partition(".")
    return f"{whole}.{cents.ljust(2, '0')}"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Left-aligned columns separated by two spaces; the last column is never padded."""
    cells = [[str(h) for h in headers], *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers) - 1)]
    lines = []
    for r in cells:
        padded = [c.ljust(w) for c, w in zip(r, widths, strict=False)]
        lines.append("  ".join([*padded, r[-1]]).rstrip())
    return "\n".join(lines)


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (API keys, exports with personal data)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # the mode above only applies when the file is new
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def plain(text: str) -> str:
    """A style that leaves text as it is (Django paints all of stderr red on a terminal)."""
    return text


@contextmanager
def stop_on_signals(
    handler: Callable[[int, FrameType | None], None],
) -> Iterator[None]:
    """Call `handler` on SIGINT/SIGTERM while the block runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.getsignal(s) for s in wanted}
    for s in wanted:
        signal.signal(s, handler)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextmanager
def quiet_logs(verbosity: int) -> Iterator[None]:
    """Interactive commands draw on stderr: the engine's INFO log lines only with -v 2."""
    if verbosity >= 2:
        yield
        return
    logger = logging.getLogger("sozu")
    previous = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)


class SozuCommand(BaseCommand):
    """A command whose refusals are printed as the translated message, exit status 1.

    Per-line problems (a CSV with bad lines) are listed under the message with their line
    numbers. Nothing printed here may contain a secret seed: every message goes through
    `redact`.
    """

    def execute(self, *args: Any, **options: Any) -> str | None:
        try:
            return super().execute(*args, **options)
        except SozuError as exc:
            self.fail(exc.message, exc.errors)
        except MasterKeyError as exc:
            self.fail(str(exc))
        except NETWORK_ERRORS as exc:
            detail = str(exc) if isinstance(exc, NetworkError) else type(exc).__name__
            self.fail(
                message_for("network_unavailable", {"detail": f"{settings.HORIZON_URL} ({detail})"})
            )
        except KeyboardInterrupt:
            self.stderr.write("Interrupted.", style_func=plain)
            raise SystemExit(130) from None
        except BrokenPipeError:
            # The reader went away (`sozu batch lines 12 | head`): stop quietly, like Unix tools.
            with suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(1) from None

    def fail(self, message: str, errors: Sequence[dict[str, Any]] = ()) -> NoReturn:
        self.stderr.write(redact(message))
        if len(errors) == 1 and errors[0].get("message") == message:
            errors = ()  # a single payout's problem, already said
        for e in sorted(errors, key=lambda e: int(e.get("line") or 0)):
            where = f"line {e['line']}: " if e.get("line") else ""
            self.stderr.write(redact(f"  {where}{e.get('message') or e.get('code')}"))
        raise SystemExit(1)

    def say(self, text: str = "") -> None:
        """A result, on stdout."""
        self.stdout.write(redact(text))

    def show_once(self, credential: str) -> None:
        """A credential just created for the user to copy (an API key), on stdout, unredacted.

        The one exception to `redact`: the key is shown this once and never again.
        """
        self.stdout.write(credential)

    def note(self, text: str = "", ending: str = "\n") -> None:
        """Progress and hints, on stderr, so stdout stays the result alone."""
        self.stderr.write(redact(text), style_func=plain, ending=ending)
        self.stderr.flush()
