"""The FHIR tests use the records tests' clinics and scoped headers."""

from tests.records.conftest import headers_for, tenant_a, tenant_b

__all__ = ["headers_for", "tenant_a", "tenant_b"]
