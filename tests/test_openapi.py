"""The committed OpenAPI document is the contract: drift fails the build."""

from __future__ import annotations

import ast
import json
import os
import uuid
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Header

from dmi_api.app import create_app
from dmi_api.auth.dependencies import Caller, require
from dmi_api.cli import main
from dmi_api.config import Settings
from dmi_api.http.openapi import install_openapi
from dmi_api.routers import make_router
from dmi_api.schemas.children import ChildPatch

COMMITTED = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


@pytest.fixture(scope="module")
async def schema(settings: Settings) -> dict[str, Any]:
    """The real app's document, made once for the module (a second or two each time)."""
    app = create_app(settings)
    try:
        document: dict[str, Any] = app.openapi()
    finally:
        await app.state.engine.dispose()
    return document


def test_committed_schema_matches_the_app(schema: dict[str, Any]) -> None:
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == schema, "run `make openapi` and commit openapi/openapi.json"


def test_error_responses_are_documented_as_problems(schema: dict[str, Any]) -> None:
    for path, path_item in schema["paths"].items():
        for operation in path_item.values():
            assert operation["operationId"].startswith(operation["tags"][0] + "-")
            assert operation.get("description"), operation["operationId"]
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) and path.startswith("/fhir/"):
                    # FHIR's own error body: an OperationOutcome.
                    [(media, body)] = response["content"].items()
                    assert media == "application/fhir+json"
                    assert body["schema"]["properties"]["resourceType"]["enum"] == [
                        "OperationOutcome"
                    ]
                elif status.startswith(("4", "5")):
                    # The token endpoint speaks RFC 6749 §5.2 errors, as OAuth clients expect.
                    ref = next(iter(response["content"].values()))["schema"]["$ref"]
                    if ref.endswith("/OAuthErrorResponse"):
                        assert operation["tags"] == ["oauth"]
                        assert list(response["content"]) == ["application/json"]
                    else:
                        assert list(response["content"]) == ["application/problem+json"]


def test_rendering_the_document_touches_no_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dmi-api openapi` with the embedded default (no `DMI_DATABASE_URL`) reads and writes no
    database: it left an empty `dmi.db` in the directory it ran in."""
    for name in [name for name in os.environ if name.startswith("DMI_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    assert main(["openapi", "--output", "openapi.json"]) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["openapi.json"]


def test_cli_check_detects_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "openapi.json"
    assert main(["openapi", "--output", str(target)]) == 0
    assert main(["openapi", "--check", "--output", str(target)]) == 0
    document = json.loads(target.read_text())
    document["info"]["version"] = "0.0.0-drifted"
    target.write_text(json.dumps(document))
    assert main(["openapi", "--check", "--output", str(target)]) == 1
    assert "differs" in capsys.readouterr().err


def test_oauth2_client_credentials_scheme_is_declared(schema: dict[str, Any]) -> None:
    scheme = schema["components"]["securitySchemes"]["oauth2"]
    flow = scheme["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/oauth/token"
    assert "children:read" in flow["scopes"]


def _statuses(schema: dict[str, Any], method: str, path: str) -> set[str]:
    return {s for s in schema["paths"][path][method]["responses"] if s[0] in "345"}


# Each operation lists the errors its route can answer: derived from the route, not blanket
# (429: every authenticated route charges its client's rate limit).
DOCUMENTED = {
    ("get", "/v1/children"): {"401", "403", "422", "429", "503"},
    ("get", "/v1/children/{child_id}"): {"304", "401", "403", "404", "422", "429", "503"},
    ("patch", "/v1/children/{child_id}"): {
        *("400", "401", "403", "404", "409", "412", "413", "415", "422", "428", "429", "503")
    },
    # An Idempotency-Key still in progress is 409 (a resent delete whose first is running).
    ("delete", "/v1/children/{child_id}"): {
        *("400", "401", "403", "404", "409", "412", "422", "428", "429", "503")
    },
    # A signed record is amended, never deleted: the route declares its 409 itself.
    ("delete", "/v1/session-records/{record_id}"): {
        *("400", "401", "403", "404", "409", "412", "422", "428", "429", "503")
    },
    # 400 and 415 of any body: a gzip body that is not gzip, another content coding.
    ("post", "/v1/children"): {"400", "401", "403", "409", "413", "415", "422", "429", "503"},
    ("get", "/v1/clinic-settings"): {"304", "401", "403", "422", "429", "503"},
    ("post", "/oauth/token"): {"400", "401", "413", "415", "429", "503"},
    ("get", "/.well-known/oauth-authorization-server"): set(),
    ("get", "/.well-known/jwks.json"): {"503"},
    ("get", "/healthz"): set(),
    ("get", "/readyz"): {"503"},
}


def test_each_operation_lists_only_the_errors_it_can_answer(schema: dict[str, Any]) -> None:
    for (method, path), expected in DOCUMENTED.items():
        assert _statuses(schema, method, path) == expected, (method, path)
    for item in schema["paths"].values():
        for operation in item.values():
            statuses = set(operation["responses"])
            assert "405" not in statuses  # a path's answer to other methods, not an operation's
            names = {p["name"] for p in operation.get("parameters", [])}
            assert ("304" in statuses) == ("If-None-Match" in names), operation["operationId"]
            assert ({"412", "428"} <= statuses) == ("If-Match" in names)
            if "cursor" in names:
                [cursor] = [p for p in operation["parameters"] if p["name"] == "cursor"]
                assert cursor["schema"]["anyOf"][0]["pattern"] == "^[A-Za-z0-9_-]+$"


def test_a_route_added_later_is_described_by_the_same_rules() -> None:
    router = make_router(tag="later", prefix="/v1/later")

    @router.patch("/{later_id}", summary="Change")
    async def change(
        caller: Annotated[Caller, require("children:write")],
        later_id: uuid.UUID,
        payload: ChildPatch,
        if_match: Annotated[str | None, Header(alias="If-Match")] = None,
    ) -> None:
        """A route this test adds."""

    app = FastAPI(title="t", version="1")
    app.include_router(router)
    install_openapi(app)
    operation = app.openapi()["paths"]["/v1/later/{later_id}"]["patch"]
    assert _statuses(app.openapi(), "patch", "/v1/later/{later_id}") == {
        *("400", "401", "403", "404", "409", "412", "413", "415", "422", "428", "429", "503")
    }
    [if_match_parameter] = [p for p in operation["parameters"] if p["name"] == "If-Match"]
    assert if_match_parameter["required"] is True


# Refusals of requests the schema itself already rules out (malformed JSON, an unknown query
# parameter, a single-valued one sent twice): no schema-valid request meets them, so they are
# not business rules.
_SCHEMA_LEVEL_CODES = {"json_invalid", "unknown_parameter", "repeated_parameter"}


def test_every_refusal_code_is_a_documented_business_rule() -> None:
    """A schema-valid request refused with 422 names a rule of `x-business-rules` (the stateful
    schemathesis run accepts only those), so every code the server can raise is listed."""
    src = Path(__file__).resolve().parents[1] / "src" / "dmi_api"
    raised = set()
    for path in src.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            code = None
            if name == "FieldProblem":
                keywords = {k.arg: k.value for k in node.keywords}
                code = node.args[2] if len(node.args) > 2 else keywords.get("code")
            elif name == "PydanticCustomError" and node.args:
                code = node.args[0]
            if isinstance(code, ast.Constant):
                raised.add(code.value)
    assert len(raised) > 20
    document = json.loads((src.parents[1] / "openapi" / "openapi.json").read_text())
    assert raised - _SCHEMA_LEVEL_CODES - set(document["x-business-rules"]) == set()
