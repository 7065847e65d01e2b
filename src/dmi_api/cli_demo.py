"""`dmi-api demo`: the development demo clinic and client again, with a new secret."""

from __future__ import annotations

import argparse
import asyncio
import shlex
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from dmi_api.auth.scopes import ALL_SCOPES
from dmi_api.cli_admin import (
    DEMO_CLIENT,
    DEMO_CLINIC,
    CommandError,
    emit,
    in_session,
    owner_settings,
)
from dmi_api.config import Settings
from dmi_api.models import ApiClient, Clinic
from dmi_api.schemas.clients import ClientCreate
from dmi_api.services import clients as client_service
from dmi_api.services.clinics import create_clinic
from dmi_api.tenant_scope import Tenant, bind_settings


async def _demo_client(db: AsyncSession) -> dict[str, str]:
    statement = select(Clinic).where(col(Clinic.name) == DEMO_CLINIC)
    clinic = (await db.execute(statement.order_by(col(Clinic.created_at)))).scalars().first()
    if clinic is None:
        clinic = await create_clinic(db, name=DEMO_CLINIC)
    await bind_settings(db, clinic_id=clinic.id)
    tenant = Tenant(db, clinic.id)
    found = tenant.select(ApiClient).where(
        col(ApiClient.name) == DEMO_CLIENT,
        col(ApiClient.auth_method) == "client_secret",
        col(ApiClient.active),
    )
    client = (await db.execute(found.order_by(col(ApiClient.created_at)))).scalars().first()
    if client is None:
        payload = ClientCreate(name=DEMO_CLIENT, scopes=sorted(ALL_SCOPES))
        client, secret = await client_service.create_client(tenant, payload=payload)
        assert secret is not None
        action = "created_client"
    else:
        secret = await client_service.rotate_secret(tenant, client_id=client.id)
        action = "rotated_secret"
    return {
        "clinic_id": str(clinic.id),
        "client_id": str(client.id),
        "client_secret": secret,
        "action": action,
    }


def _demo(args: argparse.Namespace, settings: Settings) -> None:
    if settings.env == "production":
        raise CommandError("refused in production: the demo client has every scope")
    demo: dict[str, str] = asyncio.run(in_session(owner_settings(settings), _demo_client))
    if args.env:
        # For `eval "$(dmi-api demo --env)"`: the variables of the README's "First calls".
        print(f"export DMI_URL={shlex.quote(settings.issuer)}")
        print(f"export CLIENT_ID={demo['client_id']}")
        print(f"export CLIENT_SECRET={shlex.quote(demo['client_secret'])}")
        return
    why = (
        "Secrets are stored hashed and cannot be shown again, so the demo client has a new one;\n"
        "the previous secret no longer works."
        if demo["action"] == "rotated_secret"
        else "There was no demo client: created one with every scope."
    )
    text = (
        f"Demo clinic and client (development only). {why}\n"
        f"  clinic_id:     {demo['clinic_id']}\n"
        f"  client_id:     {demo['client_id']}\n"
        f"  client_secret: {demo['client_secret']}"
    )
    emit(args, demo, text)


def add_demo_command(commands: Any) -> None:
    """Register `demo` on the top-level subparsers."""
    demo = commands.add_parser(
        "demo", help="development: the demo clinic and client, with a new secret"
    )
    output = demo.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true")
    output.add_argument("--env", action="store_true", help="export lines for the shell")
    demo.set_defaults(handler=_demo)
