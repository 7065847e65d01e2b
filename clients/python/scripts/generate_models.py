"""Generate `src/dmi_api_client/models.py` from the repository's `openapi/openapi.json` with
datamodel-code-generator; `--check` exits 1 when the committed module differs from a fresh
generation (compared as Python syntax trees, so formatting alone never counts).

    python scripts/generate_models.py            # write
    python scripts/generate_models.py --check    # drift check (the tests run it)
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from pathlib import Path

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


def generate(spec: Path) -> str:
    """The models module for `spec`, formatted with ruff."""
    command = [sys.executable, "-m", "datamodel_code_generator", f"--input={spec}", *OPTIONS]
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
