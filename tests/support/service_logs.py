"""The service's own logging (`logging_config`, as `dmi-api serve` and `worker` set it up) in
a test: every line it writes, parsed."""

from __future__ import annotations

import json
import logging
import logging.config
from collections.abc import Iterator
from contextlib import contextmanager

from dmi_api.logging_config import JsonFormatter, logging_config


@contextmanager
def service_logs(level: str) -> Iterator[list[dict[str, object]]]:
    """Log as `DMI_LOG_LEVEL=level` does until the block ends; the lines (but those of the
    test's own in-process HTTP client, which the service does not run)."""
    config = logging_config(level)
    names = ["", *config["loggers"]]
    saved = {
        name: (lg.level, list(lg.handlers), lg.propagate)
        for name in names
        for lg in [logging.getLogger(name)]
    }
    logging.config.dictConfig(config)
    lines: list[dict[str, object]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if not (record.name == "httpx" and "http://testserver" in record.getMessage()):
                lines.append(json.loads(self.format(record)))

    collect = Collect()
    collect.setFormatter(JsonFormatter())
    logging.getLogger().handlers = [collect]
    try:
        yield lines
    finally:
        for name, (level_was, handlers, propagate) in saved.items():
            restored = logging.getLogger(name)
            restored.setLevel(level_was)
            restored.handlers = handlers
            restored.propagate = propagate
