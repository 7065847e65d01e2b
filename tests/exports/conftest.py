"""The export tests use the records tests' clinics, seeded rows and scoped headers."""

from tests.records.conftest import clinic, headers_for, other, tenant_a, tenant_b

__all__ = ["clinic", "headers_for", "other", "tenant_a", "tenant_b"]
