"""Logs are JSON lines that never contain a Stellar secret seed, wherever it hides."""

from __future__ import annotations

import io
import json
import logging
import secrets
from collections.abc import Callable, Iterator

import pytest
from stellar_sdk import Keypair

from sozu.errors import SozuError
from sozu.logs import JsonFormatter


@pytest.fixture
def log_output() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("sozu.tests.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


def test_a_seed_in_the_message_and_in_extra_is_redacted(
    log_output: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = log_output
    keypair = Keypair.random()
    seed = keypair.secret

    logger.warning(
        "could not sign with %s",
        seed,
        extra={"wallet": keypair.public_key, "seed": seed, "context": {"signer": seed}},
    )

    line = stream.getvalue()
    assert seed not in line
    record = json.loads(line)
    assert record["level"] == "WARNING"
    assert record["logger"] == "sozu.tests.logs"
    assert record["message"] == "could not sign with S[REDACTED]"
    assert record["seed"] == "S[REDACTED]"
    assert record["context"] == {"signer": "S[REDACTED]"}
    assert record["wallet"] == keypair.public_key  # public keys stay readable


def test_a_seed_in_an_exception_traceback_is_redacted(
    log_output: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = log_output
    seed = Keypair.random().secret

    try:
        raise ValueError(f"refused {seed}")
    except ValueError:
        logger.exception("refused", extra={"tried": seed})

    output = stream.getvalue()
    assert seed not in output
    record = json.loads(output)
    assert record["tried"] == "S[REDACTED]"
    assert "ValueError: refused S[REDACTED]" in record["exc"]


@pytest.mark.parametrize("template", ["x{}", "{}_old", "{}9", "ASEED{}", "{}{}"])
def test_a_seed_glued_to_other_text_is_redacted(
    log_output: tuple[logging.Logger, io.StringIO], template: str
) -> None:
    logger, stream = log_output
    seed = Keypair.random().secret

    logger.info(template.format(seed, seed))

    assert seed not in stream.getvalue()


def sdk_error_for(text: str) -> str:
    """What stellar-sdk says about a secret it cannot read (it echoes the input)."""
    try:
        Keypair.from_secret(text)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    raise AssertionError("stellar-sdk accepted a malformed seed")


@pytest.mark.parametrize(
    "malformed",
    [
        pytest.param(lambda s: s[:-1], id="a-character-lost"),
        pytest.param(lambda s: s + "A", id="a-character-added"),
        pytest.param(lambda s: s[:20] + "8" + s[21:], id="not-base32"),
        pytest.param(lambda s: s[:30] + ("A" if s[30] != "A" else "B") + s[31:], id="bad-checksum"),
        pytest.param(lambda s: s.lower(), id="lower-case"),
        pytest.param(lambda s: s[:45], id="truncated"),
    ],
)
def test_a_malformed_seed_echoed_by_stellar_sdk_is_redacted(
    log_output: tuple[logging.Logger, io.StringIO], malformed: Callable[[str], str]
) -> None:
    logger, stream = log_output
    bad = malformed(Keypair.random().secret)
    message = sdk_error_for(bad)
    assert bad in message  # what the library does: the reason this redaction exists

    logger.error("could not load the wallet: %s", message, extra={"given": bad})

    output = stream.getvalue()
    assert bad not in output
    assert bad[10:40] not in output


def test_api_keys_and_webhook_secrets_are_redacted_but_public_keys_stay(
    log_output: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = log_output
    api_key = f"sozu_{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"
    webhook_secret = f"whsec_{secrets.token_urlsafe(32)}"
    public_key = Keypair.random().public_key
    prefix = api_key.split("_")[1]

    logger.warning(
        "Authorization: Bearer %s signed with %s for %s",
        api_key,
        webhook_secret,
        public_key,
        extra={"header": f"Bearer {api_key}"},
    )

    record = json.loads(stream.getvalue())
    assert api_key.split("_", 2)[2] not in stream.getvalue()
    assert webhook_secret.removeprefix("whsec_") not in stream.getvalue()
    assert record["message"] == (
        f"Authorization: Bearer sozu_{prefix}_[REDACTED] signed with whsec_[REDACTED] "
        f"for {public_key}"
    )
    assert record["header"] == f"Bearer sozu_{prefix}_[REDACTED]"


def test_a_refusal_never_repeats_a_secret_it_was_given() -> None:
    seed = Keypair.random().secret
    error = SozuError("csv_malformed", reason=sdk_error_for(seed[:-2]))

    assert seed[:-2] not in error.message
    assert seed[:-2] not in json.dumps(error.as_dict())
