"""Table models; importing this package registers every table on `metadata`."""

from dmi_api.models.base import NAMING_CONVENTION, metadata

__all__ = ["NAMING_CONVENTION", "metadata"]
