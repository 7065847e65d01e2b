"""One interface per resource for the operations that can be served two ways, chosen once when
the app is created (`build_stores`): routers call `stores(request).<resource>` and never choose.

A resource's interface is its session implementation (`session_path`), which serves every
backend; its one-statement implementation (`one_statement`) extends it for PostgreSQL with
direct statements on, overriding what it does in one statement and inheriting the rest (a POST
with `Idempotency-Key`).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from dmi_api.direct.bound_db import DirectDb
from dmi_api.stores.one_statement import (
    OneStatementChildren,
    OneStatementProgress,
    OneStatementSessionRecords,
)
from dmi_api.stores.session_path import SessionChildren, SessionProgress, SessionRecords


@dataclass(frozen=True, slots=True)
class Stores:
    """The app's stores (`build_stores`)."""

    children: SessionChildren
    session_records: SessionRecords
    progress: SessionProgress


def stores(request: Request) -> Stores:
    """The app's stores, chosen when it was created."""
    found: Stores = request.app.state.stores
    return found


def build_stores(direct: DirectDb | None) -> Stores:
    """The stores of an app: one-statement ones on `direct` (PostgreSQL), else the session's."""
    if direct is None:
        return Stores(SessionChildren(), SessionRecords(), SessionProgress())
    return Stores(
        OneStatementChildren(direct),
        OneStatementSessionRecords(direct),
        OneStatementProgress(direct),
    )
