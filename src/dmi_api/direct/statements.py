"""What every direct statement shares, as Core expressions: the caller's authorization, its
audit event, and the compilation of each statement's shape once.

`auth` has one row when the client is active in its clinic (with the clinic's rule settings,
NULL for the defaults) and none otherwise; every statement selects from it, so no row means
401. The audit event is inserted in the same statement, from the row(s) of the source named,
so it commits (or not) with the read it describes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable
from typing import Any, NamedTuple

from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    String,
    Table,
    Uuid,
    bindparam,
    cast,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect

from dmi_api.audit_trail import AUDIT_TABLE, Action, audit_values
from dmi_api.auth.principal import Principal
from dmi_api.change_rows import Actor
from dmi_api.models import ApiClient, ClinicSettings
from dmi_api.queries.predicates import owned_by
from dmi_api.request_context import current_client_ip, current_request_id
from dmi_api.rule_values import RuleSettings, from_values

CLIENT = bindparam("dmi_client", type_=Uuid())
CLINIC = bindparam("dmi_clinic", type_=Uuid())
_CLIENTS: Table = ApiClient.__table__  # type: ignore[attr-defined]
_SETTINGS: Table = ClinicSettings.__table__  # type: ignore[attr-defined]
_RULES = (
    "preterm_below_weeks",
    "correct_until_months",
    "time_zone",
    "crawling_expected",
    "progress_after_sessions",
    "progress_full_percent",
    "block_followup_weeks",
)


def auth_cte() -> CTE:
    """`auth`: one row, the clinic's rule settings, when the client is active in its clinic."""
    c, s = _CLIENTS.c, _SETTINGS.c
    return (
        select(*(s[name].label(f"rule_{name}") for name in _RULES))
        .select_from(_CLIENTS.outerjoin(_SETTINGS, s.clinic_id == c.clinic_id))
        .where(c.id == CLIENT, owned_by(_CLIENTS, CLINIC), c.active)
        .cte("auth")
    )


def rule_columns(auth: CTE) -> list[Any]:
    """The clinic's rule settings in a statement's row (`clinic_rules` reads them)."""
    return [auth.c[f"rule_{name}"] for name in _RULES]


def clinic_rules(record: Any) -> RuleSettings:
    """The clinic's rules of a child's ages, local dates and milestone windows, from a row
    with `rule_columns`."""
    return from_values(
        preterm_below_weeks=record["rule_preterm_below_weeks"],
        correct_until_months=record["rule_correct_until_months"],
        aims_norms=None,  # no direct statement reports AIMS percentiles
        time_zone=record["rule_time_zone"],
        crawling_expected=record["rule_crawling_expected"],
        progress_after_sessions=record["rule_progress_after_sessions"],
        progress_full_percent=record["rule_progress_full_percent"],
        block_followup_weeks=record["rule_block_followup_weeks"],
    )


def audit_cte(
    source: Any,
    *,
    action: Action,
    resource_type: str,
    resource_id: ColumnElement[Any] | None,
    child_id: ColumnElement[Any] | None,
    outcome: int = 200,
) -> CTE:
    """`logged`: one audit event per row of `source`, with the columns `audit_trail` writes."""
    actor = statement_actor()
    values = audit_values(
        event_id=actor.event_id,
        occurred_at=actor.at,
        clinic_id=actor.clinic_id,
        client_id=actor.text(actor.client_id),
        token_jti=actor.token_jti,
        action=literal(action),
        resource_type=literal(resource_type),
        resource_id=literal(None, String) if resource_id is None else actor.text(resource_id),
        child_id=literal(None, Uuid) if child_id is None else child_id,
        outcome=literal(outcome),
        request_id=actor.request_id,
        source_ip=actor.source_ip,
        reference_field=literal(None, String),
        reference_id=literal(None, String),
    )
    rows = select(*values.values()).select_from(source)
    return insert(AUDIT_TABLE).from_select(list(values), rows).cte("logged")


def statement_actor() -> Actor:
    """The caller as a statement's parameters (`change_rows` from SQL expressions)."""
    return Actor(
        clinic_id=CLINIC,
        client_id=CLIENT,
        text=lambda value: cast(value, String),
        at=func.now(),
        event_id=bindparam("dmi_event", type_=Uuid()),
        token_jti=bindparam("dmi_jti", type_=String()),
        request_id=bindparam("dmi_request", type_=String()),
        source_ip=bindparam("dmi_ip", type_=String()),
        new_id=func.gen_random_uuid,
    )


class Compiled(NamedTuple):
    """A statement's text for asyncpg, the names of its parameters in order, and the values of
    those that are constants of the statement (its literals)."""

    sql: str
    names: tuple[str, ...]
    constants: dict[str, Any]


_DIALECT = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]
_compiled: dict[Hashable, Compiled] = {}
STATEMENT_PREFIX = "WITH auth AS"


def compiled(shape: Hashable, build: Callable[[], Select[Any]]) -> Compiled:
    """The statement of this shape, built and compiled on first use (the same text each time,
    so PostgreSQL plans it once per connection)."""
    found = _compiled.get(shape)
    if found is None:
        text = build().compile(dialect=_DIALECT)
        if not text.string.startswith(STATEMENT_PREFIX):
            raise ValueError("a direct statement must start with the auth CTE")
        names = tuple(text.positiontup or ())
        constants = {
            name: bind.effective_value
            for name, bind in text.binds.items()
            if name in names and not bind.required
        }
        found = Compiled(text.string, names, constants)
        _compiled[shape] = found
    return found


def common_values(principal: Principal) -> dict[str, Any]:
    """The caller's values: client, clinic, the audit event's id, token, request, source IP."""
    return {
        "dmi_client": principal.client_id,
        "dmi_clinic": principal.clinic_id,
        "dmi_event": uuid.uuid4(),
        "dmi_jti": principal.token_jti,
        "dmi_request": current_request_id(),
        "dmi_ip": current_client_ip(),
    }
