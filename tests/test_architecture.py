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
    "tenancy.py",
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


def test_jose_is_imported_in_one_module_only() -> None:
    importers = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if re.search(r"^\s*(from|import) jose\b", path.read_text(), re.MULTILINE)
    ]
    assert importers == ["security/jwt.py"]


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
    assert importers == ["direct/pool.py"]
    for path in (SRC / "direct").glob("*.py"):
        text = path.read_text()
        if path.name == "connection_pool.py":
            # Hands connections out and takes them back; never runs a statement on one.
            assert not re.search(r"\.(fetch\w*|execute\w*|copy\w*|prepare)\(", text)
        elif path.name != "pool.py":
            assert "conn." not in text, path.name
            assert set(re.findall(r"(\w+)\.fetch\(", text)) <= {"direct"}, path.name
