"""Probe routes mounted only in tests, to exercise the edge (bodies, params, failures)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Form, Query
from pydantic import BaseModel, Field
from sqlalchemy import text

from dmi_api.deps import DbSession
from dmi_api.errors import ConflictError
from dmi_api.routers import make_router

router = make_router(tag="probe", prefix="/_probe")


class EchoIn(BaseModel):
    """A small payload with typical constraints."""

    name: str = Field(min_length=1, max_length=50)
    age: int = Field(ge=0)
    tags: list[str] = Field(default_factory=list)


@router.post("/echo", status_code=201)
async def echo(payload: EchoIn) -> EchoIn:
    """Echo the payload."""
    return payload


@router.post("/form")
async def form(grant_type: Annotated[str, Form()]) -> dict[str, str]:
    """Accept a form field."""
    return {"grant_type": grant_type}


@router.get("/items/{item_id}")
async def item(
    item_id: uuid.UUID, limit: Annotated[int, Query(ge=1, le=200)] = 50, q: str = ""
) -> dict[str, str | int]:
    """Echo typed parameters."""
    return {"item_id": str(item_id), "limit": limit, "q": q}


@router.get("/boom")
async def boom() -> None:
    """Fail the way a bug would, with PHI, SQL and a path in the message."""
    raise RuntimeError("SELECT * FROM child WHERE given_name='Jane Doe' -- /srv/app/secret.py")


@router.get("/sleep")
async def sleep(db: DbSession, seconds: float = 2.0) -> dict[str, bool]:
    """Run a slow statement."""
    await db.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
    return {"slept": True}


class NoteIn(BaseModel):
    """A row for the scratch table the transaction tests create."""

    text: str = Field(max_length=100)


@router.post("/notes", status_code=201)
async def add_note(payload: NoteIn, db: DbSession, fail: bool = False) -> dict[str, str]:
    """Insert a row, then optionally fail the request after the write."""
    await db.execute(text("INSERT INTO probe_note (text) VALUES (:t)"), {"t": payload.text})
    if fail:
        raise ConflictError("failing after the write")
    return {"text": payload.text}
