"""Progress bars for downloads: tqdm on a terminal (or when asked), nothing otherwise."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Protocol

from tqdm import tqdm


class Progress(Protocol):
    """What a download reports to."""

    def update(self, n: float | None = 1) -> bool | None: ...

    def close(self) -> None: ...


class _Silent:
    def update(self, n: float | None = 1) -> bool | None:
        return None

    def close(self) -> None:
        return None


class Bar:
    """A byte counter for one file: a tqdm bar on stderr, or silent."""

    def __init__(self, label: str, total: int | None, show: bool | None) -> None:
        enabled = sys.stderr.isatty() if show is None else show
        self._bar: Progress = (
            tqdm(
                total=total,
                desc=label,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=sys.stderr,
                leave=True,
            )
            if enabled
            else _Silent()
        )

    def __enter__(self) -> Progress:
        return self._bar

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._bar.close()
