"""One interface per resource for the operations that can be served two ways, chosen once when
the app is created (`build_stores`): routers call `stores(request).<resource>` and never choose.

The session implementation (`session_path`) serves every backend; the one-statement
implementation (`one_statement`) serves PostgreSQL with direct statements on, and inherits the
session path for what it does not do in one statement (a POST with `Idempotency-Key`).
"""

from __future__ import annotations

from dmi_api.direct.bound_db import DirectDb
from dmi_api.stores.interfaces import Stores
from dmi_api.stores.one_statement import (
    OneStatementChildren,
    OneStatementProgress,
    OneStatementSessionRecords,
)
from dmi_api.stores.session_path import SessionChildren, SessionProgress, SessionRecords


def build_stores(direct: DirectDb | None) -> Stores:
    """The stores of an app: one-statement ones on `direct` (PostgreSQL), else the session's."""
    if direct is None:
        return Stores(SessionChildren(), SessionRecords(), SessionProgress())
    return Stores(
        OneStatementChildren(direct),
        OneStatementSessionRecords(direct),
        OneStatementProgress(direct),
    )
