"""The interfaces of the resources served two ways (`dmi_api.stores`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from fastapi import Request
from fastapi.responses import Response

from dmi_api.auth.principal import Principal
from dmi_api.pagination import CursorCodec
from dmi_api.queries.pages import ListQuery
from dmi_api.rule_values import AgeInputs
from dmi_api.schemas.insights import ProgressReport
from dmi_api.schemas.session_records import SessionRecordCreate
from dmi_api.services.progress import Period

Bodies = tuple[list[Any], str | None]  # a page's bodies and the next cursor


class Found(NamedTuple):
    """A resource's body and its version (for the ETag)."""

    body: Any
    version: int


class ChildStore(Protocol):
    """Reading children."""

    async def get(self, request: Request, principal: Principal, child_id: uuid.UUID) -> Found:
        """The clinic's live child (404 otherwise), audited."""

    async def page(
        self,
        request: Request,
        principal: Principal,
        query: ListQuery,
        filters: dict[str, Any],
    ) -> Bodies:
        """A page of children (`queries.lists.CHILDREN`'s filters), audited."""


class SessionRecordStore(Protocol):
    """Listing and recording sessions."""

    async def page(
        self,
        request: Request,
        principal: Principal,
        query: ListQuery,
        filters: dict[str, Any],
        *,
        nested: bool,
    ) -> Bodies:
        """A page of records (`nested`: the list of the live child `filters["child_id"]`)."""

    async def create(
        self,
        request: Request,
        principal: Principal,
        payload: SessionRecordCreate,
        *,
        idempotency_key: str | None,
        child_in_path: bool,
    ) -> Response:
        """Record a session (201), once per `Idempotency-Key`; `child_in_path`: the child was
        named by the URL (a missing one is 404)."""


class ProgressStore(Protocol):
    """A child's progress report."""

    async def report(
        self,
        request: Request,
        principal: Principal,
        child_id: uuid.UUID,
        period_of: Callable[[AgeInputs], Period],
    ) -> ProgressReport:
        """The report over `period_of(child)` (which may refuse it), audited."""


@dataclass(frozen=True, slots=True)
class Stores:
    """The app's stores (`build_stores`)."""

    children: ChildStore
    session_records: SessionRecordStore
    progress: ProgressStore


def stores(request: Request) -> Stores:
    """The app's stores, chosen when it was created."""
    found: Stores = request.app.state.stores
    return found


def cursor_codec(request: Request) -> CursorCodec:
    """The app's cursor codec."""
    codec: CursorCodec = request.app.state.cursor_codec
    return codec
