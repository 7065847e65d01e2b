"""HTTP dates (RFC 9110 §5.6.7): read in every form a recipient must accept, and written."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime


def read_http_date(value: str) -> datetime | None:
    """The instant an HTTP date names (IMF-fixdate, or the obsolete RFC 850 and asctime forms;
    GMT when it names no zone, as asctime's); None when it is none: garbage, a field out of
    range, a year no `datetime` holds."""
    try:
        date = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return date if date.tzinfo else date.replace(tzinfo=UTC)


def http_date(moment: datetime) -> str:
    """`moment` as an IMF-fixdate (`Last-Modified`), to the second."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)
