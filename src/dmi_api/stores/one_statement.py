"""The one-statement implementations of the stores (PostgreSQL, `dmi_api.direct`): each
operation is one asyncpg statement (two or three where `direct` says why); what has no such
statement is inherited from the session path."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from dmi_api.auth.principal import Principal
from dmi_api.direct import children as direct_children
from dmi_api.direct import progress as direct_progress
from dmi_api.direct import session_lists, session_records
from dmi_api.direct.bound_db import DirectDb, for_route
from dmi_api.http.responses import FastJSONResponse
from dmi_api.queries.pages import ListQuery
from dmi_api.rule_values import AgeInputs
from dmi_api.schemas.insights import ProgressReport
from dmi_api.schemas.session_records import SessionRecordCreate
from dmi_api.services.progress import Period
from dmi_api.stores.results import Bodies, Found, cursor_codec
from dmi_api.stores.session_path import (
    SessionChildren,
    SessionProgress,
    SessionRecords,
    created_headers,
)


class OneStatementChildren(SessionChildren):
    """Children in one statement per read."""

    def __init__(self, direct: DirectDb) -> None:
        self.direct = direct

    async def get(self, request: Request, principal: Principal, child_id: uuid.UUID) -> Found:
        """The clinic's live child (404 otherwise), audited."""
        found = await direct_children.get_child(
            for_route(self.direct, request), principal, child_id
        )
        return Found(found.body, found.version)

    async def page(
        self, request: Request, principal: Principal, query: ListQuery, filters: dict[str, Any]
    ) -> Bodies:
        """A page of children, audited."""
        return await direct_children.list_children(
            for_route(self.direct, request),
            principal,
            query=query,
            codec=cursor_codec(request, principal.clinic_id),
            filters=filters,
        )


class OneStatementSessionRecords(SessionRecords):
    """Session records: lists and a POST without `Idempotency-Key` in one statement."""

    def __init__(self, direct: DirectDb) -> None:
        self.direct = direct

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
        return await session_lists.list_records(
            for_route(self.direct, request),
            principal,
            query=query,
            codec=cursor_codec(request, principal.clinic_id),
            filters=filters,
            nested=nested,
        )

    async def create(
        self,
        request: Request,
        principal: Principal,
        payload: SessionRecordCreate,
        *,
        idempotency_key: str | None,
        child_in_path: bool,
    ) -> Response:
        """Record a session; with `Idempotency-Key`, on the session path (which keeps keys)."""
        if idempotency_key is not None:
            return await super().create(
                request,
                principal,
                payload,
                idempotency_key=idempotency_key,
                child_in_path=child_in_path,
            )
        created = await session_records.create(
            for_route(self.direct, request), principal, payload, child_in_path=child_in_path
        )
        headers = created_headers(created.id, created.version)
        return FastJSONResponse(created.body, status_code=201, headers=headers)


class OneStatementProgress(SessionProgress):
    """Progress reports from two statements."""

    def __init__(self, direct: DirectDb) -> None:
        self.direct = direct

    async def report(
        self,
        request: Request,
        principal: Principal,
        child_id: uuid.UUID,
        period_of: Callable[[AgeInputs, date], Period],
    ) -> ProgressReport:
        """The report over `period_of(child)`, audited as a read of the child's progress."""
        db = for_route(self.direct, request)
        return await direct_progress.report(db, principal, child_id, period_of)
