"""The committed OpenAPI document is the contract: drift fails the build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dmi_api.app import create_app
from dmi_api.cli import main
from dmi_api.config import Settings

COMMITTED = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


async def test_committed_schema_matches_the_app(settings: Settings) -> None:
    app = create_app(settings)
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == app.openapi(), "run `make openapi` and commit openapi/openapi.json"
    await app.state.engine.dispose()


async def test_error_responses_are_documented_as_problems(settings: Settings) -> None:
    app = create_app(settings)
    schema = app.openapi()
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            assert operation["operationId"].startswith(operation["tags"][0] + "-")
            assert operation.get("description"), operation["operationId"]
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    # The token endpoint speaks RFC 6749 §5.2 errors, as OAuth clients expect.
                    ref = next(iter(response["content"].values()))["schema"]["$ref"]
                    if ref.endswith("/OAuthErrorResponse"):
                        assert operation["tags"] == ["oauth"]
                        assert list(response["content"]) == ["application/json"]
                    else:
                        assert list(response["content"]) == ["application/problem+json"]
    await app.state.engine.dispose()


def test_cli_check_detects_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "openapi.json"
    assert main(["openapi", "--output", str(target)]) == 0
    assert main(["openapi", "--check", "--output", str(target)]) == 0
    document = json.loads(target.read_text())
    document["info"]["version"] = "0.0.0-drifted"
    target.write_text(json.dumps(document))
    assert main(["openapi", "--check", "--output", str(target)]) == 1
    assert "differs" in capsys.readouterr().err


async def test_oauth2_client_credentials_scheme_is_declared(settings: Settings) -> None:
    app = create_app(settings)
    scheme = app.openapi()["components"]["securitySchemes"]["oauth2"]
    flow = scheme["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/oauth/token"
    assert "children:read" in flow["scopes"]
    await app.state.engine.dispose()
