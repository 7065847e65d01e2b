"""The export tests use the records tests' clinics, seeded rows, scoped headers and the app that
commits for real."""

from tests.records.conftest import (
    clinic,
    headers_for,
    live_app,
    live_client,
    other,
    tenant_a,
    tenant_b,
)

__all__ = ["clinic", "headers_for", "live_app", "live_client", "other", "tenant_a", "tenant_b"]
