"""Direct statements on PostgreSQL: the hot endpoints as one asyncpg statement each.

GET and list children, both lists of session records, POST a session record (two or three
statements when a reference is wrong) and the progress report (two: the child, then the rest).

A read through the ORM session costs five round trips (BEGIN, authorize, the rows, the audit
INSERT, COMMIT) and the session's bookkeeping. Here the client check, the clinic's rule settings,
the rows and the audit event are one statement (a data-modifying CTE) run in autocommit, on a
pool of plain asyncpg connections whose clinic binding for row-level security is kept per
connection. Every statement is built from the query layer's Core expressions (`dmi_api.queries`)
and compiled once per shape (`statements.compiled`); `dmi_api.stores` chooses this path when the
app is created. The SQLite (development) database takes the session path instead; the resource
tests run on both, and tests/records/test_direct_*.py prove they give the same bodies.
"""
