"""Logging for the daemon: plain text or JSON lines, stderr or a rotating file, secrets masked,
stranger text neutralised (a mention can carry terminal escape sequences). Times are UTC, ISO
8601 with a Z, in both formats."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

from socialwatch.render import safe
from socialwatch.secrets import mask

LOGGER = "socialwatch"


class SafeFilter(logging.Filter):
    """Masks secrets and neutralises control characters in every record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = safe(mask(message))
        record.args = None
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {k: mask(v) if isinstance(v, str) else v for k, v in fields.items()}
        return True


def utc_time(record: logging.LogRecord) -> str:
    """The record's time in UTC, ISO 8601 with milliseconds and a Z: 2026-12-04T15:02:03.123Z."""
    when = datetime.fromtimestamp(record.created, UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        when = utc_time(record)
        fields = getattr(record, "fields", None) or {}
        extra = " ".join(f"{k}={_text(v)}" for k, v in fields.items())
        return f"{when} {record.levelname.lower():7} {record.getMessage()}" + (f" {extra}" if extra else "")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": utc_time(record),
            "level": record.levelname.lower(),
            "message": record.getMessage(),
        }
        data.update(getattr(record, "fields", None) or {})
        return orjson.dumps(data, default=str).decode("utf-8")


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    text = str(value)
    return safe(text) if " " not in text else '"' + safe(text).replace('"', "'") + '"'


def setup(fmt: str = "text", path: str | None = None, level: int = logging.INFO, max_bytes: int = 10_000_000,
          backups: int = 5) -> logging.Logger:
    """Configure the socialwatch logger (idempotent: earlier handlers are replaced)."""
    logger = logging.getLogger(LOGGER)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    if path:
        handler: logging.Handler = logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups,
                                                                         encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(SafeFilter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return logger


def log(level: int, message: str, **fields: Any) -> None:
    logging.getLogger(LOGGER).log(level, message, extra={"fields": fields})
