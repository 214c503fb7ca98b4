"""Logs are JSON lines that never contain a Stellar secret seed, wherever it hides."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from stellar_sdk import Keypair

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
