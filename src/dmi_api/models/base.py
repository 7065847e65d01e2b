"""The metadata every table registers on, with an explicit constraint naming convention."""

from sqlalchemy import inspect
from sqlmodel import SQLModel

# Named constraints keep migrations reviewable and let batch mode on SQLite alter them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = SQLModel.metadata
metadata.naming_convention = NAMING_CONVENTION


class TableModel(SQLModel):
    """Base of every table: importing it first guarantees the naming convention applies."""

    def __repr__(self) -> str:
        # Only the key: a row's other fields may be PHI and must not reach logs via repr.
        mapper = inspect(type(self))
        key = ", ".join(f"{c.key}={getattr(self, c.key, None)}" for c in mapper.primary_key)
        return f"{type(self).__name__}({key})"
