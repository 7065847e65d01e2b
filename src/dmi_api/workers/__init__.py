"""Background work: webhook dispatch, delivery and upkeep, run as pgqueuer jobs
(`dmi-api worker`) or, on the embedded SQLite default, inside `dmi-api serve`."""
