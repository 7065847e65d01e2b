#!/usr/bin/env bash
# Create one dmi-api database and its three roles on a PostgreSQL cluster (README: "Running on
# PostgreSQL"). Run it once per database as a superuser (e.g. `postgres`), or as a role with
# CREATEROLE and CREATEDB that is a member of the owner role (CREATE DATABASE ... OWNER needs it);
# psql connects with the usual libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, ...).
# Running it again changes nothing that exists.
#
#   DMI_DB_NAME               database name                       (default: dmi)
#   DMI_DB_OWNER              owns the tables, runs migrations      (default: <name>_owner)
#   DMI_DB_OWNER_PASSWORD     its password                          (required)
#   DMI_DB_APP_ROLE           NOLOGIN group role holding the grants (default: <name>_app)
#   DMI_DB_SERVICE            the login role the service uses       (default: <name>_service)
#   DMI_DB_SERVICE_PASSWORD   its password                          (required)
#
# Only the group role may connect to the database (CONNECT is revoked from PUBLIC), and each
# database has its own group role: the service role of one dmi-api database cannot connect to,
# nor read, another's.
set -euo pipefail

name=${DMI_DB_NAME:-dmi}
owner=${DMI_DB_OWNER:-${name}_owner}
app_role=${DMI_DB_APP_ROLE:-${name}_app}
service=${DMI_DB_SERVICE:-${name}_service}
: "${DMI_DB_OWNER_PASSWORD:?set DMI_DB_OWNER_PASSWORD (the owner's password)}"
: "${DMI_DB_SERVICE_PASSWORD:?set DMI_DB_SERVICE_PASSWORD (the service role's password)}"

# The migrations take the same name (DMI_DB_APP_ROLE, else <database>_app) and refuse others.
if ! [[ $app_role =~ ^[A-Za-z_][A-Za-z0-9_-]{0,62}$ ]]; then
    echo "postgres-setup: the group role name '$app_role' is not a plain name of at most" \
        "63 characters; set DMI_DB_APP_ROLE" >&2
    exit 2
fi

# Values reach SQL only as psql variables quoted by format(%I, %L): no injection by a name.
psql -X -q -v ON_ERROR_STOP=1 --dbname "${PGDATABASE:-postgres}" \
    -v name="$name" -v owner="$owner" -v app_role="$app_role" -v service="$service" \
    -v owner_password="$DMI_DB_OWNER_PASSWORD" -v service_password="$DMI_DB_SERVICE_PASSWORD" \
    <<'SQL'
SET client_min_messages = warning;
-- 1. The owner: owns the schema and runs `dmi-api migrate`.
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L NOSUPERUSER NOCREATEDB NOCREATEROLE',
              :'owner', :'owner_password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') \gexec
-- 2. The group role the migrations grant exactly what the service needs (RLS applies to it).
SELECT format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOBYPASSRLS', :'app_role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_role') \gexec
-- 3. The service's login role: a member of the group role, nothing more.
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE',
              :'service', :'service_password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'service') \gexec
SELECT format('GRANT %I TO %I', :'app_role', :'service') \gexec
-- 4. The database, which only its owner and its group role may connect to.
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'owner')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \gexec
SELECT format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', :'name') \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', :'name', :'app_role') \gexec
SQL

echo "postgres-setup: database $name (owner $owner), group role $app_role, service role $service"
