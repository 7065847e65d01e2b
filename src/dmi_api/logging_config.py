"""Structured JSON logs: one object per line, only whitelisted context fields."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from dmi_api.request_context import current_request_id

# Fields a record may carry into the log; anything else passed via `extra` is dropped, so a
# careless `extra={"body": ...}` cannot leak PHI.
_CONTEXT_FIELDS = (
    "request_id",
    "method",
    "path",
    "status",
    "duration_ms",
    "exc_type",
    "exc_types",
    "stack",
    "event",
)


def _message(record: logging.LogRecord) -> str:
    """The record's message; of a record about an exception, the first line of what its logger
    wrote, without its arguments: libraries put the exception's text there (asyncio's "Task
    exception was never retrieved\nfuture: <Task ... exception=DataError('... 'Mia'')>",
    pgqueuer's "Unhandled exception in task: %s"), and that text can hold values."""
    if record.exc_info:
        return str(record.msg).split("\n", 1)[0]
    return record.getMessage()


class JsonFormatter(logging.Formatter):
    """Format records as single-line JSON objects."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record; exception messages are left out on purpose (they may hold PHI)."""
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": _message(record),
        }
        for field in _CONTEXT_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if "request_id" not in entry and (request_id := current_request_id()) is not None:
            # A line logged while a request is served, by whichever logger: the request's id.
            entry["request_id"] = request_id
        if record.exc_info and record.exc_info[0] is not None:
            entry.setdefault("exc_type", record.exc_info[0].__name__)
        return json.dumps(entry, default=str)


def logging_config(level: str) -> dict[str, Any]:
    """A dictConfig for the service (passed to uvicorn so every worker applies it).

    DEBUG is the service's own loggers' (`dmi_api`): the libraries log from INFO whatever the
    level, since their debug lines carry statements' values (aiosqlite logs each call with its
    parameters: children's names, MRNs, notes).
    """
    libraries = "INFO" if level == "DEBUG" else level
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "dmi_api.logging_config.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": libraries},
        "loggers": {
            "dmi_api": {"level": level},
            # Our access log replaces uvicorn's, which would log raw paths and query strings.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "uvicorn.error": {"level": libraries},
            "sqlalchemy": {"level": "WARNING"},
            # httpx logs each call's full URL at INFO: a webhook receiver's URL is often a
            # credential (a secret path, a token in its query).
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
        },
    }
