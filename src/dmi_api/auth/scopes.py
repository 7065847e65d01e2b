"""The scopes a client can hold: `<resource>:read|write` plus a few named ones."""

from __future__ import annotations

from typing import Literal, get_args

RESOURCES = (
    "children",
    "practitioners",
    "exercises",
    "prescriptions",
    "sessions",
    "assessments",
    "milestones",
)
AUDIT_READ = "audit:read"
CLIENTS_ADMIN = "clients:admin"
EVENTS_READ = "events:read"
EXPORT_READ = "export:read"
SETTINGS_READ = "settings:read"
SETTINGS_WRITE = "settings:write"
WEBHOOKS_ADMIN = "webhooks:admin"

SCOPE_DESCRIPTIONS: dict[str, str] = {
    **{f"{r}:read": f"Read {r.replace('_', ' ')}" for r in RESOURCES},
    **{f"{r}:write": f"Create, change and delete {r.replace('_', ' ')}" for r in RESOURCES},
    AUDIT_READ: "Read the clinic's audit trail",
    CLIENTS_ADMIN: "Manage the clinic's API clients",
    EVENTS_READ: "Read the clinic's change events (ids and field names, no health data)",
    EXPORT_READ: "Export the clinic's records in bulk (FHIR `$export` and `/v1/exports`)",
    SETTINGS_READ: "Read the clinic's settings of the clinical rules",
    SETTINGS_WRITE: "Change the clinic's settings of the clinical rules",
    WEBHOOKS_ADMIN: "Manage the clinic's webhook endpoints",
}
ALL_SCOPES = frozenset(SCOPE_DESCRIPTIONS)

# Spelled out so that the OpenAPI document lists them (an import-time check keeps it in sync).
ScopeName = Literal[
    "children:read",
    "children:write",
    "practitioners:read",
    "practitioners:write",
    "exercises:read",
    "exercises:write",
    "prescriptions:read",
    "prescriptions:write",
    "sessions:read",
    "sessions:write",
    "assessments:read",
    "assessments:write",
    "milestones:read",
    "milestones:write",
    "audit:read",
    "clients:admin",
    "events:read",
    "export:read",
    "settings:read",
    "settings:write",
    "webhooks:admin",
]
if frozenset(get_args(ScopeName)) != ALL_SCOPES:  # pragma: no cover - a developer's mistake
    raise RuntimeError("ScopeName and SCOPE_DESCRIPTIONS disagree")


def parse_scopes(value: str) -> list[str]:
    """Split a space-delimited scope string (RFC 6749 §3.3), keeping order, dropping repeats."""
    return list(dict.fromkeys(value.split()))


def unknown_scopes(scopes: list[str]) -> list[str]:
    """The scopes that this API does not define."""
    return [scope for scope in scopes if scope not in ALL_SCOPES]
