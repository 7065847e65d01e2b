"""The clinic's records as FHIR R4 resources (read-only): mappings, bundles, outcomes and the
capability statement. docs/fhir.md documents every mapped field."""
