"""How the tables distribute by clinic on Citus (README "Scaling out"), from the models.

Every table is either global (a Citus *reference table*: one copy on every node) or clinic-owned
(a *distributed table*, sharded by `clinic_id` and colocated with every other, so that a clinic's
rows of every table live on one node and its joins stay there). `tenant_keys` makes the keys
fit; `tests/test_distribution_keys.py` checks every table, and that the README lists exactly
these statements. `python -m dmi_api.models.distribution` prints them.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from dmi_api.models import metadata as models_metadata
from dmi_api.models.tenant_keys import CLINIC_COLUMN

# No clinic's own: the clinics themselves, our signing keys, the failed-authentication counters
# (per presented client id, before any clinic is known) and the audit events of no clinic.
GLOBAL_TABLES = frozenset({"clinic", "signing_key", "auth_throttle", "audit_event_unattributed"})
# The distributed table the others are colocated with: one row per clinic that set its rules.
COLOCATION_ANCHOR = "clinic_settings"


def reference_tables(metadata: MetaData = models_metadata) -> list[str]:
    """The global tables, each before the tables its keys name."""
    return [t.name for t in metadata.sorted_tables if t.name in GLOBAL_TABLES]


def distributed_tables(metadata: MetaData = models_metadata) -> list[str]:
    """The clinic-owned tables: the anchor first, then each after the tables its keys name."""
    owned = [t.name for t in metadata.sorted_tables if t.name not in GLOBAL_TABLES]
    missing = [name for name in owned if CLINIC_COLUMN not in metadata.tables[name].c]
    if missing:
        raise ValueError(f"neither global nor clinic-owned: {', '.join(missing)}")
    return sorted(owned, key=lambda name: name != COLOCATION_ANCHOR)


def citus_statements(metadata: MetaData = models_metadata) -> list[str]:
    """The statements that distribute a migrated database (run as the owner, on the
    coordinator, once: README "Scaling out")."""
    anchor, *others = distributed_tables(metadata)
    return [
        *(f"SELECT create_reference_table('{name}');" for name in reference_tables(metadata)),
        f"SELECT create_distributed_table('{anchor}', '{CLINIC_COLUMN}');",
        *(
            f"SELECT create_distributed_table('{name}', '{CLINIC_COLUMN}', "
            f"colocate_with => '{anchor}');"
            for name in others
        ),
    ]


if __name__ == "__main__":
    print("\n".join(citus_statements()))
