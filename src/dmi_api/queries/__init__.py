"""The query layer: every predicate, list filter and page position written once, as SQLAlchemy
Core expressions, for both the session path and the one-statement path (docs/architecture.md)."""
