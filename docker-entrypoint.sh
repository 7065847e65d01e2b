#!/bin/sh
# `serve` (default): optionally migrate first (DMI_MIGRATE_ON_START=1), then serve with
# DMI_WORKERS workers. Any other arguments run the dmi-api CLI (e.g. `migrate`, `openapi`).
set -eu
if [ "${1:-serve}" = "serve" ]; then
    if [ "${DMI_MIGRATE_ON_START:-0}" = "1" ]; then
        dmi-api migrate
    fi
    shift $(( $# > 0 ? 1 : 0 ))
    exec dmi-api serve "$@"
fi
exec dmi-api "$@"
