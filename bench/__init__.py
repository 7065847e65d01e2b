"""Load benchmark of dmi-api against a minimal asyncpg baseline (see bench/README.md)."""
