"""The scopes a client can hold: `<resource>:read|write` plus a few named ones."""

from __future__ import annotations

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
EXPORT_READ = "export:read"

SCOPE_DESCRIPTIONS: dict[str, str] = {
    **{f"{r}:read": f"Read {r.replace('_', ' ')}" for r in RESOURCES},
    **{f"{r}:write": f"Create, change and delete {r.replace('_', ' ')}" for r in RESOURCES},
    AUDIT_READ: "Read the clinic's audit trail",
    CLIENTS_ADMIN: "Manage the clinic's API clients",
    EXPORT_READ: "Export records (FHIR)",
}
ALL_SCOPES = frozenset(SCOPE_DESCRIPTIONS)


def parse_scopes(value: str) -> list[str]:
    """Split a space-delimited scope string (RFC 6749 §3.3), keeping order, dropping repeats."""
    return list(dict.fromkeys(value.split()))


def unknown_scopes(scopes: list[str]) -> list[str]:
    """The scopes that this API does not define."""
    return [scope for scope in scopes if scope not in ALL_SCOPES]
