"""Schemathesis against the app's own schema, with a valid token: no 5xx, no off-schema response."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from dmi_api.app import create_app
from dmi_api.config import Settings
from tests.conftest import build_test_app
from tests.support.st_hooks import positive_data_acceptance_documented
from tests.support.tenants import TenantClient, bearer, make_tenant, mint_token

pytestmark = pytest.mark.postgres_only

# Examples per generation mode over the whole API; enough to reach every operation many times
# while the suite stays well under its time budget.
EXAMPLES = 400
# Schema-valid requests may still be refused by rules JSON Schema cannot state (a row of another
# clinic, a date after today...): the built-in check gives way to one that accepts exactly the
# refusals the schema documents (`x-business-rules`; see tests/support/st_hooks.py).
NOT_APPLICABLE = [schemathesis.checks.positive_data_acceptance]
NOT_APPLICABLE_NAMES = ["positive_data_acceptance"]
INSTEAD = [positive_data_acceptance_documented]


def _token(settings: Settings, lifetime: int = 300) -> dict[str, str]:
    async def setup() -> dict[str, str]:
        app = build_test_app(settings)
        try:
            tenant: TenantClient = await make_tenant(app)
            return bearer(await mint_token(app, tenant, lifetime=lifetime))
        finally:
            await app.state.engine.dispose()

    return asyncio.run(setup())


@pytest.fixture(scope="module")
def schema_and_auth(settings: Settings) -> tuple[schemathesis.BaseSchema, dict[str, str]]:
    # Its own app and pool, committing for real: schemathesis drives it from its own event loop.
    headers = _token(settings)
    app = create_app(settings)  # the real app only: no test probe routes
    return schemathesis.openapi.from_asgi("/openapi.json", app), headers


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_to_its_schema(
    schema_and_auth: tuple[schemathesis.BaseSchema, dict[str, str]], mode: GenerationMode
) -> None:
    schema, headers = schema_and_auth

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=schema.as_strategy(generation_mode=mode))
    def check(case: Any) -> None:
        case.call_and_validate(
            headers=headers, excluded_checks=NOT_APPLICABLE, additional_checks=INSTEAD
        )

    check()
