"""Structured (JSON lines) logging that never prints a Stellar secret seed."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

#: No word boundaries: a seed glued to other text ("key=x" + seed, seed + "_old") must go too.
_SEED = re.compile(r"S[A-Z2-7]{55}")
_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def redact(text: str) -> str:
    """Replace anything shaped like a secret seed."""
    return _SEED.sub("S[REDACTED]", text)


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
