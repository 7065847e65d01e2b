"""Generate `src/dmi_api_client/models.py` from the repository's `openapi/openapi.json` with
datamodel-code-generator; `--check` exits 1 when the committed module differs from a fresh
generation (compared as Python syntax trees, so formatting alone never counts).

Forward compatibility: a value the server sends may be one this client does not know yet (an
event type, a status, a scoring rule's new version: the server adds them). In the schemas of
answers, every string `enum` and `const` is therefore read open, `Literal[...] | str`: the
known values are still spelled out for type checkers and readers, and an unknown one is kept
as a plain string instead of failing the whole answer. The values a union is discriminated by
(an assessment's `instrument`) stay closed; the schemas only sent to the server stay as they
are (it refuses an unknown value with a 422 anyway).

    python scripts/generate_models.py            # write
    python scripts/generate_models.py --check    # drift check (the tests run it)
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent
SPEC = PACKAGE.parent.parent / "openapi" / "openapi.json"
TARGET = PACKAGE / "src" / "dmi_api_client" / "models.py"
HEADER = (
    "# Generated from openapi/openapi.json by clients/python/scripts/generate_models.py:"
    " do not edit."
)
OPTIONS = [
    "--input-file-type=openapi",
    "--output-model-type=pydantic_v2.BaseModel",
    "--target-python-version=3.11",
    "--use-annotated",
    "--field-constraints",
    "--use-standard-collections",
    "--use-union-operator",
    "--enum-field-as-literal=all",
    "--use-schema-description",
    "--use-type-alias",
    # JSON Schema's default: properties a schema does not list are kept, not dropped (a JWK's
    # members beyond `kty`, fields of a newer server); the server refuses unknown input itself.
    "--extra-fields=allow",
    "--use-double-quotes",
    "--disable-timestamp",
    "--formatters=builtin",
    f"--custom-file-header={HEADER}",
]


SCHEMA_REF = "#/components/schemas/"


def _referenced(node: Any, schemas: dict[str, Any], found: set[str]) -> set[str]:
    """The component schemas `node` refers to, directly or through others (into `found`)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_REF):
            name = ref.removeprefix(SCHEMA_REF)
            if name not in found:
                found.add(name)
                _referenced(schemas[name], schemas, found)
        for value in node.values():
            _referenced(value, schemas, found)
    elif isinstance(node, list):
        for value in node:
            _referenced(value, schemas, found)
    return found


def _discriminators(node: Any, found: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """(schema, property) of every union member's discriminating property."""
    if isinstance(node, dict):
        discriminator = node.get("discriminator")
        if isinstance(discriminator, dict):
            for ref in (discriminator.get("mapping") or {}).values():
                found.add((ref.removeprefix(SCHEMA_REF), discriminator["propertyName"]))
        for value in node.values():
            _discriminators(value, found)
    elif isinstance(node, list):
        for value in node:
            _discriminators(value, found)
    return found


def _open(node: Any) -> Any:
    """A schema whose string enums and consts also admit any other string."""
    if isinstance(node, list):
        return [_open(value) for value in node]
    if not isinstance(node, dict):
        return node
    opened = {key: _open(value) for key, value in node.items()}
    values = opened.get("enum", [opened["const"]] if "const" in opened else None)
    if values and all(isinstance(value, str) for value in values):
        known = {key: opened.pop(key) for key in ("type", "enum", "const") if key in opened}
        opened["anyOf"] = [known, {"type": "string"}]
    return opened


def open_answers(spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` with the enums and consts of the schemas of answers read open (module doc)."""
    spec = copy.deepcopy(spec)
    schemas: dict[str, Any] = spec["components"]["schemas"]
    answered: set[str] = set()
    for operations in spec["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict):
                _referenced(operation.get("responses") or {}, schemas, answered)
    closed = _discriminators(spec, set())
    for name in sorted(answered):
        properties = schemas[name].get("properties") or {}
        for prop, schema in properties.items():
            if (name, prop) not in closed:
                properties[prop] = _open(schema)
    return spec


def generate(spec: Path) -> str:
    """The models module for `spec` (its answers' enums read open), formatted with ruff."""
    with tempfile.TemporaryDirectory() as scratch:
        opened = Path(scratch) / spec.name
        opened.write_text(json.dumps(open_answers(json.loads(spec.read_text(encoding="utf-8")))))
        command = [sys.executable, "-m", "datamodel_code_generator", f"--input={opened}", *OPTIONS]
        source = subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603
    ruff = [sys.executable, "-m", "ruff", "format", "--line-length=100", "-"]
    formatted = subprocess.run(ruff, input=source, check=True, capture_output=True, text=True)  # noqa: S603
    return formatted.stdout


def same_code(left: str, right: str) -> bool:
    """True when both modules have the same syntax tree (comments and layout aside)."""
    return ast.dump(ast.parse(left)) == ast.dump(ast.parse(right))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when models.py is stale")
    parser.add_argument("--spec", type=Path, default=SPEC, help="the OpenAPI document")
    args = parser.parse_args(argv)
    fresh = generate(args.spec)
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.is_file() else ""
        if not same_code(current, fresh):
            print(
                f"{TARGET} differs from a generation from {args.spec}: "
                "run `python clients/python/scripts/generate_models.py`",
                file=sys.stderr,
            )
            return 1
        print(f"{TARGET.name} matches {args.spec}", file=sys.stderr)
        return 0
    TARGET.write_text(fresh, encoding="utf-8")
    print(f"wrote {TARGET}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
