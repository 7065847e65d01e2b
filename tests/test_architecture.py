"""Rules of the codebase that no single behaviour test would catch."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from dmi_api.models import metadata

SRC = Path(__file__).resolve().parents[1] / "src" / "dmi_api"

# Pre-authentication lookups and operator commands: the only places a clinic-owned table is
# queried without a `Tenant` (each binds the row-level-security settings itself).
ALLOWED_DIRECT_QUERIES = {
    "tenant_scope.py",
    "services/tokens.py",
    "auth/dependencies.py",
    "cli_admin.py",
    "services/clinics.py",
}


def _clinic_owned_models() -> set[str]:
    owned = {table.name for table in metadata.sorted_tables if "clinic_id" in table.c}
    names = set()
    for path in (SRC / "models").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    if (
                        isinstance(stmt, ast.Assign)
                        and getattr(stmt.targets[0], "id", "") == "__tablename__"
                        and isinstance(stmt.value, ast.Constant)
                        and stmt.value.value in owned
                    ):
                        names.add(node.name)
    return names


def test_clinic_owned_tables_are_only_queried_through_the_tenant() -> None:
    models = _clinic_owned_models()
    assert {"ApiClient", "AuditEvent", "UsedClientAssertion"} <= models
    # `tenant.select(Model)` is the choke point; a bare `select(Model)` bypasses it.
    names = "|".join(models)
    pattern = re.compile(rf"(?<![.\w])(select|update|delete)\((?:col\()?({names})\b")
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if str(path.relative_to(SRC)) not in ALLOWED_DIRECT_QUERIES
        and pattern.search(path.read_text())
    ]
    assert offenders == []


# Row-level security's policies (the database's own check, under every query) are the only SQL
# text that names the clinic column in a condition.
_CLINIC_CONDITION = re.compile(r"\bclinic_id\s*(=|<>|!=|\bIN\b|\bIS\b)", re.IGNORECASE)
_POLICY_MODULES = {"migration_ops.py"}


def test_no_sql_text_hand_writes_a_clinic_filter() -> None:
    # The clinic filter is `queries.predicates.owned_by`, a Core expression both paths use.
    offenders = [
        f"{path.relative_to(SRC)}:{node.lineno}"
        for path in SRC.rglob("*.py")
        if str(path.relative_to(SRC)) not in _POLICY_MODULES
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _CLINIC_CONDITION.search(node.value)
    ]
    assert offenders == []


# Clients, clinic settings, webhook endpoints and bulk exports keep no versions: their routers
# audit their own writes.
_UNVERSIONED_WRITERS = {
    "routers/clients.py",
    "routers/clinic_settings.py",
    "routers/webhook_endpoints.py",
    "routers/exports.py",
    "routers/fhir_exports.py",
}


def test_a_clinical_change_is_audited_only_with_its_version() -> None:
    # `change_rows` writes a change's version and its event together, on both paths; an audit
    # of a create, update or delete anywhere else would be a change recorded one way only.
    writes = re.compile(r"""\.audit\(\s*["'](create|update|delete)["']""")
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if str(path.relative_to(SRC)) not in _UNVERSIONED_WRITERS
        and writes.search(path.read_text())
    ]
    assert offenders == []


def test_jose_is_imported_in_one_module_only() -> None:
    importers = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if re.search(r"^\s*(from|import) jose\b", path.read_text(), re.MULTILINE)
    ]
    assert importers == ["security/jws.py"]


def test_every_clinic_owned_unique_index_leads_with_clinic_id() -> None:
    for table in metadata.sorted_tables:
        if "clinic_id" not in table.c:
            continue
        uniques = [idx for idx in table.indexes if idx.unique] + [
            c for c in table.constraints if c.__class__.__name__ == "UniqueConstraint"
        ]
        for unique in uniques:
            first = next(iter(getattr(unique, "columns", [])))
            assert first.name == "clinic_id", f"{table.name}: {unique.name}"


def test_raw_driver_statements_only_go_through_the_direct_choke_point() -> None:
    # Direct statements run only through `DirectDb.fetch`, which takes the principal, binds
    # its clinic and supplies its values; no other module touches an asyncpg connection.
    importers = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if re.search(r"^\s*(from|import) asyncpg\b", path.read_text(), re.MULTILINE)
    ]
    # The job library's worker (pgqueuer) takes its own asyncpg connection; a bulk export reads
    # its rows with the driver's cursor in its session's transaction, or on a connection that
    # imports the session's snapshot and binds the session's clinic (`direct/export_rows.py`).
    assert sorted(importers) == [
        "direct/bound_db.py",
        "direct/export_rows.py",
        "workers/queue.py",
    ]
    for path in (SRC / "direct").glob("*.py"):
        text = path.read_text()
        if path.name == "connection_pool.py":
            # Hands connections out and takes them back; never runs a statement on one.
            assert not re.search(r"\.(fetch\w*|execute\w*|copy\w*|prepare)\(", text)
        elif path.name not in ("bound_db.py", "export_rows.py"):
            assert "conn." not in text, path.name
            assert set(re.findall(r"(\w+)\.fetch\(", text)) <= {"direct"}, path.name


# The layers, bottom first; a module may import its own layer and every layer below it, except
# that the edge sits beside services and direct (neither side imports the other).
#   base      settings, error types, text rules, the request's context values
#   domain    clinical rules, cryptography helpers, who a caller is and what scopes exist, which
#             URLs and addresses a webhook delivery may reach (`webhooks`)
#   storage   the engine and the tables
#   access    the tenant choke point, paging, request-scoped sessions, the audit trail, the
#             clinic's rule settings as values
#   schemas   request and response bodies
#   tokens    JWT (`security.jws` is the one module with python-jose), stores of keys, credentials
#   services  the operations; they never see HTTP or the auth dependencies
#   direct    the one-statement asyncpg path, built on the services' rules
#   edge      auth dependencies and HTTP plumbing: they depend on the layers below services,
#             never on a service (services do not know them either)
#   routers   the routes: they call services and direct, through the edge
#   workers   background work (webhook dispatch, delivery, upkeep) on the services
#   app       the application factory
#   cli       the commands
_ORDER: tuple[tuple[str, set[str]], ...] = (
    (
        "base",
        {
            "__init__",
            "config",
            "errors",
            "text",
            "http_dates",
            "logging_config",
            "route_limits",
            "request_context",
        },
    ),
    ("domain", {"clinical", "security", "auth.principal", "auth.scopes", "webhooks"}),
    ("storage", {"db", "models"}),
    (
        "access",
        {
            "tenant_scope",
            "pagination",
            "deps",
            "audit_trail",
            "change_rows",
            "change_events",
            "rule_values",
            "queries.predicates",
        },
    ),
    ("schemas", {"schemas"}),
    ("fhir", {"fhir"}),
    ("queries", {"queries"}),
    (
        "tokens",
        {
            "security.jws",
            "security.access_tokens",
            "security.client_assertions",
            "auth.signing_keys",
            "auth.token_memo",
            "auth.throttle",
        },
    ),
    ("services", {"services"}),
    ("direct", {"direct"}),
    ("edge", {"auth", "http", "rate_limits"}),
    ("stores", {"stores"}),
    ("routers", {"routers"}),
    ("workers", {"workers"}),
    ("app", {"app"}),
    ("cli", {"cli", "cli_admin", "cli_demo", "migrate", "migration_ops"}),
)
_BESIDE = {"edge": {"services", "direct"}}
# Each layer: its members, and the layers it may import besides its own.
LAYERS: dict[str, tuple[set[str], set[str]]] = {
    name: (members, {below for below, _ in _ORDER[:index]} - _BESIDE.get(name, set()))
    for index, (name, members) in enumerate(_ORDER)
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts)


def _layer_of(module: str) -> str:
    # The most specific entry wins: `auth.principal` before `auth`.
    best = max(
        (
            (len(member), layer)
            for layer, (members, _) in LAYERS.items()
            for member in members
            if module == member or module.startswith(member + ".")
        ),
        default=None,
    )
    assert best is not None, f"{module} is in no layer"
    return best[1]


def _imported_modules(path: Path) -> set[str]:
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ["dmi_api", *package[: len(package) - node.level + 1]] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names = [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name == "dmi_api" or name.startswith("dmi_api."):
                # `from dmi_api.x import y`: y is a module of x or a name in it.
                parts = name.split(".")[1:]
                while parts and not (
                    SRC.joinpath(*parts).with_suffix(".py").exists()
                    or SRC.joinpath(*parts).is_dir()
                ):
                    parts.pop()
                found.add(".".join(parts) or "__init__")
    return found


def test_imports_run_down_the_layers() -> None:
    """Every import of a module stays in its layer or goes to one its `LAYERS` row names:
    base < domain < storage < access < schemas < tokens < services < direct < routers < app <
    cli, with the edge (auth dependencies, HTTP) beside services and direct, never importing them;
    the failure lists each offending import."""
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        module = _module_name(path)
        layer = _layer_of(module)
        allowed = LAYERS[layer][1] | {layer}
        for target in sorted(_imported_modules(path)):
            if _layer_of(target) not in allowed:
                offenders.append(f"{module} ({layer}) -> {target} ({_layer_of(target)})")
    assert not offenders, "imports against the layers:\n" + "\n".join(offenders)


# Short modules with one purpose each (issue 14: none over 400 lines).
MAX_MODULE_LINES = 400


def test_no_module_is_over_the_line_limit() -> None:
    long = {
        str(path.relative_to(SRC)): lines
        for path in SRC.rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}
