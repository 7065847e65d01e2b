"""Operator commands: clinics, API clients and signing keys (`dmi-api clinics|clients|keys`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from dmi_api.auth.scopes import ALL_SCOPES
from dmi_api.auth.signing_keys import Rotation, rotate_signing_key
from dmi_api.config import Settings
from dmi_api.db import create_engine, create_sessionmaker
from dmi_api.errors import ProblemError, ValidationProblemError
from dmi_api.models import ApiClient, Clinic
from dmi_api.schemas.clients import ClientCreate, ClientUpdate
from dmi_api.services import clients as client_service
from dmi_api.services import rules_in_effect, session_record_marks
from dmi_api.services.child_results import recompute_clinic
from dmi_api.services.clinics import count_clinics, create_clinic, list_clinics
from dmi_api.services.tokens import find_client
from dmi_api.tenant_scope import Tenant, bind_settings

DEMO_CLINIC = "Demo Clinic"
DEMO_CLIENT = "Demo client"


class CommandError(Exception):
    """A problem the operator can fix; printed without a traceback."""


async def in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as db:
            result = await work(db)
            await db.commit()
            return result
    finally:
        await engine.dispose()


async def _tenant_of_clinic(db: AsyncSession, clinic_id: str) -> Tenant:
    try:
        clinic_uuid = uuid.UUID(clinic_id)
    except ValueError:
        raise CommandError("--clinic must be a clinic id (UUID)") from None
    await bind_settings(db, clinic_id=clinic_uuid)
    if (
        await db.execute(select(col(Clinic.id)).where(col(Clinic.id) == clinic_uuid))
    ).first() is None:
        raise CommandError("no such clinic")
    return Tenant(db, clinic_uuid)


async def _tenant_of_client(db: AsyncSession, client_id: str) -> tuple[Tenant, uuid.UUID]:
    try:
        client_uuid = uuid.UUID(client_id)
    except ValueError:
        raise CommandError("the client id must be a UUID") from None
    client = await find_client(db, client_uuid)
    if client is None:
        raise CommandError("no such client")
    await bind_settings(db, clinic_id=client.clinic_id, client_id=client_uuid)
    return Tenant(db, client.clinic_id), client_uuid


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data) if args.json else text)


def owner_settings(settings: Settings) -> Settings:
    """Settings that connect as the tables' owner: reading across clinics is the owner's (on
    PostgreSQL, row-level security shows the service role one clinic at a time, by design)."""
    if not settings.is_sqlite and settings.migration_database_url is None:
        raise CommandError(
            "this command reads every clinic, which only the tables' owner may: set "
            "DMI_MIGRATION_DATABASE_URL (the owner's URL, as for dmi-api migrate)"
        )
    url = settings.migration_database_url or settings.database_url
    return settings.model_copy(update={"database_url": url})


def _clinics_list(args: argparse.Namespace, settings: Settings) -> None:
    clinics: list[Clinic] = asyncio.run(in_session(owner_settings(settings), list_clinics))
    rows = [
        {"clinic_id": str(c.id), "name": c.name, "created_at": c.created_at.isoformat()}
        for c in clinics
    ]
    text = "\n".join(f"{r['clinic_id']}  {r['name']}" for r in rows) or "no clinics"
    emit(args, rows, text)


def _clinics_create(args: argparse.Namespace, settings: Settings) -> None:
    async def work(db: AsyncSession) -> Clinic:
        return await create_clinic(db, name=args.name)

    clinic: Clinic = asyncio.run(in_session(settings, work))
    emit(args, {"clinic_id": str(clinic.id), "name": clinic.name}, f"clinic_id: {clinic.id}")


def _read_jwks(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read the JWKS file: {exc}") from None
    if not isinstance(document, dict):
        raise CommandError("the JWKS file must hold a JSON object")
    return document


def _clients_create(args: argparse.Namespace, settings: Settings) -> None:
    jwks = _read_jwks(args.jwks)
    try:
        payload = ClientCreate(
            name=args.name,
            scopes=sorted(ALL_SCOPES) if args.all_scopes else args.scopes.split(),
            auth_method="private_key_jwt" if jwks else "client_secret",
            jwks=jwks,
            rate_limit_per_minute=args.rate_limit,
        )
        client_service.usable_jwks(payload.jwks)
    except ValidationError as exc:
        reasons = "; ".join(str(e["msg"]) for e in exc.errors(include_input=False))
        raise CommandError(f"invalid client: {reasons}") from None
    except ValidationProblemError as exc:
        reasons = "; ".join(str(e["detail"]) for e in exc.extensions["errors"])
        raise CommandError(f"invalid client: {reasons}") from None

    async def work(db: AsyncSession) -> tuple[ApiClient, str | None]:
        tenant = await _tenant_of_clinic(db, args.clinic)
        return await client_service.create_client(tenant, payload=payload)

    client, secret = asyncio.run(in_session(settings, work))
    data = {
        "client_id": str(client.id),
        "client_secret": secret,
        "clinic_id": str(client.clinic_id),
        "scopes": client.scopes,
        "rate_limit_per_minute": client.rate_limit_per_minute,
    }
    text = f"client_id: {client.id}\n" + (
        f"client_secret: {secret}\n(shown once: store it now)"
        if secret
        else "auth: private_key_jwt"
    )
    emit(args, data, text)


def _clients_list(args: argparse.Namespace, settings: Settings) -> None:
    async def work(db: AsyncSession) -> list[ApiClient]:
        tenant = await _tenant_of_clinic(db, args.clinic)
        clients: list[ApiClient] = []
        after = None
        while page := await client_service.list_clients(tenant, limit=200, after=after):
            clients += page
            after = (page[-1].created_at, page[-1].id)
        return clients

    clients: list[ApiClient] = asyncio.run(in_session(settings, work))
    rows = [
        {
            "client_id": str(c.id),
            "name": c.name,
            "scopes": c.scopes,
            "auth_method": c.auth_method,
            "active": c.active,
            "rate_limit_per_minute": c.rate_limit_per_minute,
            "created_at": c.created_at.isoformat(),
        }
        for c in clients
    ]
    text = "\n".join(
        f"{r['client_id']}  {'active  ' if r['active'] else 'disabled'}  {r['name']}"
        f"  [{r['scopes']}]"
        for r in rows
    )
    emit(args, rows, text or "no clients")


def _clients_disable(args: argparse.Namespace, settings: Settings) -> None:
    async def work(db: AsyncSession) -> None:
        tenant, client_id = await _tenant_of_client(db, args.client_id)
        await client_service.update_client(
            tenant, client_id=client_id, changes=ClientUpdate(active=False)
        )

    asyncio.run(in_session(settings, work))
    emit(args, {"client_id": args.client_id, "active": False}, "client disabled")


def _rate_limit_value(text: str) -> int | None:
    """`--rate-limit`: units a minute, or `default` for the service's."""
    if text == "default":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a number of units a minute, or 'default'") from None


def _clients_set_rate_limit(args: argparse.Namespace, settings: Settings) -> None:
    try:
        changes = ClientUpdate(rate_limit_per_minute=args.units)
    except ValidationError as exc:
        reasons = "; ".join(str(e["msg"]) for e in exc.errors(include_input=False))
        raise CommandError(f"invalid rate limit: {reasons}") from None

    async def work(db: AsyncSession) -> None:
        tenant, client_id = await _tenant_of_client(db, args.client_id)
        await client_service.update_client(tenant, client_id=client_id, changes=changes)

    asyncio.run(in_session(settings, work))
    shown = "the service default" if args.units is None else f"{args.units} units a minute"
    emit(
        args,
        {"client_id": args.client_id, "rate_limit_per_minute": args.units},
        f"rate limit: {shown} (for tokens issued from now on)",
    )


def _clients_rotate_secret(args: argparse.Namespace, settings: Settings) -> None:
    async def work(db: AsyncSession) -> str:
        tenant, client_id = await _tenant_of_client(db, args.client_id)
        return await client_service.rotate_secret(tenant, client_id=client_id)

    secret: str = asyncio.run(in_session(settings, work))
    emit(
        args,
        {"client_id": args.client_id, "client_secret": secret},
        f"client_secret: {secret}\n(shown once: store it now)",
    )


def _assessments_rescore(args: argparse.Namespace, settings: Settings) -> None:
    async def work(db: AsyncSession) -> int:
        tenant = await _tenant_of_clinic(db, args.clinic)
        rules = await rules_in_effect.load(tenant)
        return await recompute_clinic(tenant, rules, client_id=None)

    changed: int = asyncio.run(in_session(settings, work))
    emit(
        args,
        {"clinic_id": args.clinic, "rescored": changed},
        f"{changed} assessments and milestones computed again under the current rules"
        " (each a new version)",
    )


def _sessions_mark_documents(args: argparse.Namespace, settings: Settings) -> None:
    if not 1 <= args.batch <= 100_000:
        raise CommandError("--batch must be from 1 to 100000 records")

    async def work(db: AsyncSession) -> int:
        tenant = await _tenant_of_clinic(db, args.clinic)
        total, after = 0, None
        while True:  # each batch its own transaction: the table is never locked for long
            after, marked = await session_record_marks.mark_batch(tenant, after, args.batch)
            await db.commit()
            total += marked
            if after is None:
                return total
            await bind_settings(db, clinic_id=tenant.clinic_id)

    marked: int = asyncio.run(in_session(settings, work))
    emit(
        args,
        {"clinic_id": args.clinic, "marked": marked},
        f"{marked} session records marked: a bulk export writes their documents as stored",
    )


def _keys_rotate(args: argparse.Namespace, settings: Settings) -> None:
    async def rotate() -> Rotation:
        engine = create_engine(settings)
        try:
            return await rotate_signing_key(create_sessionmaker(engine), settings)
        finally:
            await engine.dispose()

    rotation = asyncio.run(rotate())
    # Scripts get the exact moment; people the whole second at or after it (never before it:
    # a token asked for at a moment truncated to the second may still get the old key).
    shown = (rotation.signs_from + timedelta(microseconds=999_999)).replace(microsecond=0)
    emit(
        args,
        {"kid": rotation.kid, "signs_from": rotation.signs_from.isoformat()},
        f"published new key {rotation.kid}; tokens are signed with it from "
        f"{shown.isoformat()} (when every worker and replica has loaded it); older keys "
        "verify until their tokens expire",
    )


async def create_demo_tenant(settings: Settings) -> dict[str, str] | None:
    """On an empty embedded database: a demo clinic and an all-scopes client (else None)."""

    async def work(db: AsyncSession) -> dict[str, str] | None:
        if await count_clinics(db):
            return None
        clinic = await create_clinic(db, name=DEMO_CLINIC)
        payload = ClientCreate(name=DEMO_CLIENT, scopes=sorted(ALL_SCOPES))
        client, secret = await client_service.create_client(Tenant(db, clinic.id), payload=payload)
        assert secret is not None
        return {"clinic_id": str(clinic.id), "client_id": str(client.id), "client_secret": secret}

    result: dict[str, str] | None = await in_session(settings, work)
    return result


Handler = Callable[[argparse.Namespace, Settings], None]


def _group(commands: Any, name: str, help_text: str) -> Any:
    return commands.add_parser(name, help=help_text).add_subparsers(dest="action", required=True)


def _command(group: Any, name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
    """A subcommand running `handler`; every one can print JSON instead of text."""
    parser: argparse.ArgumentParser = group.add_parser(name, help=help_text)
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=handler)
    return parser


def add_admin_commands(commands: Any) -> None:
    """Register `clinics`, `clients`, `assessments`, `sessions` and `keys` on the top-level
    subparsers."""
    clinics = _group(commands, "clinics", "manage clinics")
    _command(clinics, "create", "add a clinic", _clinics_create).add_argument(
        "--name", required=True
    )
    _command(clinics, "list", "every clinic (needs the owner's URL on PostgreSQL)", _clinics_list)

    clients = _group(commands, "clients", "manage API clients")
    create = _command(
        clients, "create", "register a client (prints its secret once)", _clients_create
    )
    create.add_argument("--clinic", required=True, help="clinic id")
    create.add_argument("--name", required=True)
    scopes = create.add_mutually_exclusive_group(required=True)
    scopes.add_argument("--scopes", help='space-separated, e.g. "children:read"')
    scopes.add_argument("--all-scopes", action="store_true", help="every scope the API knows")
    create.add_argument("--jwks", type=Path, help="public JWKS file: private_key_jwt client")
    create.add_argument(
        "--rate-limit", type=int, help="its own quota, cost units a minute (default: the service's)"
    )
    listing = _command(clients, "list", "a clinic's clients (never their secrets)", _clients_list)
    listing.add_argument("--clinic", required=True, help="clinic id")
    for name, handler, help_text in (
        ("disable", _clients_disable, "disable a client (its tokens stop working)"),
        ("rotate-secret", _clients_rotate_secret, "replace a client's secret (printed once)"),
    ):
        _command(clients, name, help_text, handler).add_argument("client_id")
    limit = _command(
        clients,
        "set-rate-limit",
        "set a client's quota (cost units a minute, or 'default'); new tokens carry it",
        _clients_set_rate_limit,
    )
    limit.add_argument("client_id")
    limit.add_argument("units", type=_rate_limit_value)

    assessments = _group(commands, "assessments", "operate on a clinic's assessments")
    _command(
        assessments,
        "rescore",
        "score a clinic's final assessments again under the current rule versions",
        _assessments_rescore,
    ).add_argument("--clinic", required=True, help="clinic id")

    sessions = _group(commands, "sessions", "operate on a clinic's session records")
    help_text = "mark the records stored before documents_form whose documents are the API's form"
    mark = _command(sessions, "mark-documents", help_text, _sessions_mark_documents)
    mark.add_argument("--clinic", required=True, help="clinic id")
    mark.add_argument("--batch", type=int, default=session_record_marks.BATCH, help="1 to 100000")

    keys = _group(commands, "keys", "manage token signing keys")
    _command(keys, "rotate", "start signing with a new key", _keys_rotate)


def run_admin(handler: Handler, args: argparse.Namespace, settings: Settings) -> int:
    """Run an admin handler, turning operator mistakes into a message and exit code 1."""
    try:
        handler(args, settings)
    except (CommandError, ProblemError) as exc:
        print(f"dmi-api: {exc}", file=sys.stderr)
        return 1
    return 0
