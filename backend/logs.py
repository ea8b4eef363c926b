"""Structured logs: one JSON object a line (time, level, logger, message, and the exception when there
is one), for log collectors. What is logged never includes message bodies, tokens, passwords or
e-mail addresses — our own log calls name ids and codes only (a test greps a scripted session)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
