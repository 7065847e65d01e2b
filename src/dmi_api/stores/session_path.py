"""The session implementations of the stores: the ORM session path, on every backend."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from dmi_api.auth.dependencies import caller_session
from dmi_api.auth.principal import Principal
from dmi_api.http.conditional import etag
from dmi_api.queries.pages import ListQuery
from dmi_api.rule_values import AgeInputs
from dmi_api.schemas.insights import ProgressReport
from dmi_api.schemas.session_records import SessionRecordCreate
from dmi_api.services import children, progress, rules_in_effect
from dmi_api.services import session_record_commands as commands
from dmi_api.services import session_record_queries as record_queries
from dmi_api.services.progress import Period
from dmi_api.services.session_record_rules import RESOURCE as SESSION_RECORD
from dmi_api.stores.idempotent import Created, idempotent_create
from dmi_api.stores.results import Bodies, Found, cursor_codec

SESSION_RECORDS_URL = "/v1/session-records"


def created_headers(record_id: uuid.UUID, version: int) -> dict[str, str]:
    """`ETag` and `Location` of a new session record (either implementation)."""
    return {"ETag": etag(version), "Location": f"{SESSION_RECORDS_URL}/{record_id}"}


class SessionChildren:
    """Children on the session path."""

    async def get(self, request: Request, principal: Principal, child_id: uuid.UUID) -> Found:
        """The clinic's live child (404 otherwise), audited."""
        async with caller_session(request, principal) as caller:
            row = await children.get(caller.tenant, child_id)
            caller.audit("read", children.RESOURCE, resource_id=row.id, child_id=row.id)
            [body] = await children.plain_views(caller.tenant, [row])
        return Found(body, row.version)

    async def page(
        self, request: Request, principal: Principal, query: ListQuery, filters: dict[str, Any]
    ) -> Bodies:
        """A page of children, audited."""
        async with caller_session(request, principal) as caller:
            rows, cursor = await children.list_rows(
                caller.tenant,
                query=query,
                codec=cursor_codec(request, principal.clinic_id),
                filters=filters,
            )
            caller.audit("list", children.RESOURCE)
            return await children.plain_views(caller.tenant, rows), cursor


class SessionRecords:
    """Session records on the session path."""

    async def page(
        self,
        request: Request,
        principal: Principal,
        query: ListQuery,
        filters: dict[str, Any],
        *,
        nested: bool,
    ) -> Bodies:
        """A page of records with their amendments, audited."""
        async with caller_session(request, principal) as caller:
            if nested:
                await children.get(caller.tenant, filters["child_id"])
            bodies, cursor = await record_queries.list_public(
                caller.tenant,
                query=query,
                codec=cursor_codec(request, principal.clinic_id),
                filters=filters,
            )
            caller.audit("list", SESSION_RECORD, child_id=filters.get("child_id"))
        return bodies, cursor

    async def create(
        self,
        request: Request,
        principal: Principal,
        payload: SessionRecordCreate,
        *,
        idempotency_key: str | None,
        child_in_path: bool,
    ) -> Response:
        """Record a session, once per `Idempotency-Key` (fingerprinted as the top-level POST:
        one key, one creation, whichever URL)."""
        async with caller_session(request, principal) as caller:
            if child_in_path:
                await children.get(caller.tenant, payload.child_id)

            async def create() -> Created:
                client_id = caller.principal.client_id
                row, body = await commands.create(
                    caller.tenant, payload=payload, client_id=client_id
                )
                return 201, body, created_headers(row.id, row.version)

            return await idempotent_create(
                caller, request, idempotency_key, payload, create, route=SESSION_RECORDS_URL
            )


class SessionProgress:
    """Progress reports on the session path."""

    async def report(
        self,
        request: Request,
        principal: Principal,
        child_id: uuid.UUID,
        period_of: Callable[[AgeInputs, date], Period],
    ) -> ProgressReport:
        """The report over `period_of(child, the clinic's today)`, audited as a read of the
        child's progress."""
        async with caller_session(request, principal) as caller:
            child = await children.get(caller.tenant, child_id)
            rules = await rules_in_effect.load(caller.tenant)
            period = period_of(child, rules.today())
            report = await progress.report(caller.tenant, child, rules, period)
            caller.audit("read", "progress", resource_id=child.id, child_id=child.id)
        return report
