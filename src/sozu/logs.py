"""Structured (JSON lines) logging that never prints a secret seed, API key or webhook secret."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

#: No word boundaries: a seed glued to other text ("key=x" + seed, seed + "_old") must go too.
_SEED = re.compile(r"S[A-Z2-7]{55}")
#: A malformed seed (a character lost or added, a typo, a digit base32 does not use) is still
#: someone's secret: any standalone S-word of 40+ capitals and digits. Standalone, so that the
#: S inside a public key (G...) or an XDR blob is left alone.
_SEED_LIKE = re.compile(r"(?<![A-Za-z0-9+/])S[A-Z0-9]{39,}")
#: A seed in lower or mixed case (copied through a tool that changed it), as a word of its own.
_SEED_ANY_CASE = re.compile(r"(?<![A-Za-z0-9+/])[Ss][A-Za-z2-7]{55}(?![A-Za-z0-9+/])")
#: Whatever follows stellar-sdk's message, whatever its shape (lower case, punctuation).
_SEED_ECHO = re.compile(r"(Secret Seed:?\s*)\S+", re.IGNORECASE)
#: API keys are `sozu_<8 hex prefix>_<urlsafe secret>` (orgs.services): the prefix is public.
_API_KEY = re.compile(r"(sozu_[0-9A-Fa-f]{6,10})_[A-Za-z0-9_-]{8,}")
#: Webhook signing secrets are `whsec_<urlsafe secret>` (webhooks.services).
_WEBHOOK_SECRET = re.compile(r"whsec_[A-Za-z0-9_-]{4,}")
_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def redact(text: str) -> str:
    """Replace anything shaped like a secret seed, an API key or a webhook signing secret."""
    text = _SEED_ECHO.sub(r"\1[REDACTED]", text)
    text = _SEED.sub("S[REDACTED]", text)
    text = _SEED_LIKE.sub("S[REDACTED]", text)
    text = _SEED_ANY_CASE.sub("S[REDACTED]", text)
    text = _API_KEY.sub(r"\1_[REDACTED]", text)
    return _WEBHOOK_SECRET.sub("whsec_[REDACTED]", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return redact(json.dumps(payload, default=str, ensure_ascii=False))
