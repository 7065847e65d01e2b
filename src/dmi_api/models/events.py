"""Change events: one row written with every change, in its transaction (the event feed and
webhooks read them). Ids and field names only, never health data.

The feed's order is `(tx, seq)`: `tx` the writing transaction's id, `seq` from a sequence. On
PostgreSQL the feed reads only events of transactions older than every transaction still
running (`feed_horizon`), so an event that commits later can never sort before a position a
reader has passed. On SQLite writers are serialized: `tx` is 0 and `seq` is the commit order.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Field

from dmi_api.models.base import TableModel
from dmi_api.models.columns import JSON_TYPE, timestamp_field

EVENT_SEQUENCE = "change_event_seq"


class _BigIntFunction(FunctionElement[int]):
    type = BigInteger()
    inherit_cache = True


class event_tx(_BigIntFunction):  # noqa: N801 - a SQL function's name
    """The writing transaction's id (0 on SQLite)."""

    inherit_cache = True


class next_event_seq(_BigIntFunction):  # noqa: N801
    """The next position in the sequence."""

    inherit_cache = True


class feed_horizon(_BigIntFunction):  # noqa: N801
    """Every event with a smaller `tx` is committed or gone for good."""

    inherit_cache = True


class own_tx(_BigIntFunction):  # noqa: N801
    """The reading transaction's own id, if it has one (-1: none): its own events are final
    for it (a request reading the feed writes none; a test's single transaction does)."""

    inherit_cache = True


@compiles(event_tx, "postgresql")
def _tx_pg(_element: Any, _compiler: SQLCompiler, **_kw: Any) -> str:
    return "pg_current_xact_id()::text::bigint"


@compiles(next_event_seq, "postgresql")
def _seq_pg(_element: Any, _compiler: SQLCompiler, **_kw: Any) -> str:
    return f"nextval('{EVENT_SEQUENCE}')"


@compiles(feed_horizon, "postgresql")
def _horizon_pg(_element: Any, _compiler: SQLCompiler, **_kw: Any) -> str:
    return "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"


@compiles(own_tx, "postgresql")
def _own_pg(_element: Any, _compiler: SQLCompiler, **_kw: Any) -> str:
    return "coalesce(pg_current_xact_id_if_assigned()::text::bigint, -1)"


@compiles(own_tx)
def _own_other(_element: Any, _compiler: SQLCompiler, **_kw: Any) -> str:
    return "-1"


@compiles(event_tx)
def _tx_other(_element: Any, _compiler: SQLCompiler, **_kw: Any) -> str:
    return "0"


@compiles(next_event_seq)
def _seq_other(_element: Any, _compiler: SQLCompiler, **_kw: Any) -> str:
    # One writer at a time (SQLite): the next number after the largest written (pruning keeps
    # the newest row, `services.webhook_upkeep.prune_embedded`, so it never goes back).
    return "(SELECT coalesce(max(seq), 0) + 1 FROM change_event)"


@compiles(feed_horizon)
def _horizon_other(_element: Any, _compiler: SQLCompiler, **_kw: Any) -> str:
    return "1"


class ChangeEvent(TableModel, table=True):
    """What changed (type, resource, version, field names), when, for which child."""

    __tablename__ = "change_event"
    __table_args__ = (
        Index("ix_change_event_clinic_id_feed", "clinic_id", "tx", "seq"),
        Index("ix_change_event_occurred_at", "occurred_at"),
    )

    # A value, not a foreign key, as in the audit trail.
    clinic_id: uuid.UUID = Field(primary_key=True)
    id: uuid.UUID = Field(primary_key=True)
    # Filled in by the INSERT itself (SQL defaults, on both paths) unless given.
    tx: int | None = Field(
        default=None, sa_type=BigInteger, sa_column_kwargs={"default": event_tx()}, nullable=False
    )
    seq: int | None = Field(
        default=None,
        sa_type=BigInteger,
        sa_column_kwargs={"default": next_event_seq()},
        nullable=False,
    )
    type: str = Field(max_length=48)
    occurred_at: datetime = timestamp_field()
    resource_type: str = Field(max_length=40)
    resource_id: uuid.UUID
    version: int | None = None  # None: the resource keeps no versions (an API client)
    child_id: uuid.UUID | None = None
    changed_fields: list[str] = Field(sa_type=JSON_TYPE)
