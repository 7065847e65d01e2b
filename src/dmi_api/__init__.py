"""dmi-api: the REST API of pediatric therapy clinics (DMI and DIRFloortime)."""

__version__ = "0.1.0"
