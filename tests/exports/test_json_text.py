"""`queries.json_text`: a UUID, a timestamp (a session's end too) or a JSON document read as
the JSON text its line writes is the text `orjson` writes for the value itself, on the
backend's own reader (the driver's cursor on PostgreSQL, the session's stream on SQLite), edge
cases and 600 random moments alike."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from sqlalchemy import Integer, Uuid, literal, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from dmi_api.direct.export_rows import stream_rows
from dmi_api.models.columns import JSON_TYPE, UTCDateTime, json_default
from dmi_api.queries.json_text import json_text, minutes_after
from dmi_api.schemas.base import stored
from dmi_api.services.export_files import _LINE
from dmi_api.services.export_runner import session_rows

EDGES = [
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # no microseconds: no fraction written
    datetime(2026, 3, 29, 1, 30, 0, 1, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 30, 0, 10, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 30, 0, 100000, tzinfo=UTC),
    datetime(2000, 2, 29, 23, 59, 59, tzinfo=UTC),
    # An offset of its own: stored as the instant, written in UTC.
    datetime(2026, 1, 1, 0, 15, 30, 250000, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=timezone(timedelta(hours=-8))),
]


def _moments(count: int) -> list[datetime]:
    rng = random.Random(20261128)
    span = (datetime(9999, 12, 31, tzinfo=UTC) - datetime(1, 1, 2, tzinfo=UTC)).days
    found = []
    for n in range(count):
        moment = datetime(1, 1, 2, tzinfo=UTC) + timedelta(
            days=rng.randrange(span), seconds=rng.randrange(86400)
        )
        found.append(moment.replace(microsecond=0 if n % 3 == 0 else rng.randrange(1_000_000)))
    return found


async def _read(connection: AsyncConnection, values: list[Any], type_: Any) -> list[Any]:
    """The values through `json_text`, read as the export reads on this backend."""
    statement = select(
        *(
            json_text(value if type_ is None else literal(value, type_)).label(f"c{n}")
            for n, value in enumerate(values)
        )
    )
    (row,) = await _rows(connection, statement)
    return list(row)


async def _rows(connection: AsyncConnection, statement: Any) -> list[Any]:
    """A statement's rows, read as the export reads them on this backend."""
    reader = session_rows if connection.dialect.name == "sqlite" else stream_rows
    db = AsyncSession(bind=connection)
    return [row async for chunk in reader(db, statement, 10) for row in chunk]


def _line(value: Any) -> bytes:
    return orjson.dumps(value, default=json_default, option=_LINE)


async def test_timestamps_are_written_as_orjson_writes_them(db_connection: AsyncConnection) -> None:
    moments = EDGES + _moments(600)
    for start in range(0, len(moments), 100):  # a hundred columns a statement
        chunk = moments[start : start + 100]
        read = await _read(db_connection, chunk, UTCDateTime())
        for moment, value in zip(chunk, read, strict=True):
            assert _line(value) == _line(moment.astimezone(UTC)), moment


async def test_a_moment_minutes_later(db_connection: AsyncConnection) -> None:
    # A session's end: its start plus its minutes, as the API computes it.
    rng = random.Random(11)
    moments = [m for m in EDGES + _moments(200) if m.year < 9999]
    minutes = [rng.choice((0, 1, 59, 60, 1439, 1440, rng.randrange(100_000))) for _ in moments]
    for start in range(0, len(moments), 50):
        pairs = list(zip(moments[start : start + 50], minutes[start : start + 50], strict=True))
        statement = select(
            *(
                json_text(
                    minutes_after(literal(moment, UTCDateTime()), literal(count, Integer()))
                ).label(f"c{n}")
                for n, (moment, count) in enumerate(pairs)
            )
        )
        (row,) = await _rows(db_connection, statement)
        for (moment, count), value in zip(pairs, row, strict=True):
            expected = moment.astimezone(UTC) + timedelta(minutes=count)
            assert _line(value) == _line(expected), (moment, count)


async def test_uuids_and_nulls(db_connection: AsyncConnection) -> None:
    rng = random.Random(7)
    ids = [uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)]
    ids += [uuid.UUID(int=rng.getrandbits(128)) for _ in range(50)]
    read = await _read(db_connection, ids, Uuid())
    assert [_line(value) for value in read] == [_line(value) for value in ids]
    (nothing,) = await _read(db_connection, [None], UTCDateTime())
    assert nothing is None


async def test_json_documents_are_read_as_stored(db_connection: AsyncConnection) -> None:
    documents = [{"a": [1, 2.5, None], "b": 'é\u2028"q"'}, [], {}, "text", 3]
    # As a JSON column holds them: the driver's cursor binds values unconverted (the text, on
    # PostgreSQL); the session serializes them itself (SQLite).
    sqlite = db_connection.dialect.name == "sqlite"
    texts = [
        type_coerce(document if sqlite else orjson.dumps(document).decode(), JSON_TYPE)
        for document in documents
    ]
    read = await _read(db_connection, texts, None)
    for document, text in zip(documents, read, strict=True):
        assert isinstance(text, str)
        assert orjson.loads(_line(stored(text))) == document
        assert b"\n" not in _line(stored(text))[:-1]


def test_stored_text_over_several_lines_is_decoded() -> None:
    text = '{\n  "a": 1,\r\n  "b": [true]\n}'
    assert _line(stored(text)) == b'{"a":1,"b":[true]}\n'
    assert stored(None) is None


def test_other_types_are_refused() -> None:
    with pytest.raises(TypeError):
        json_text(literal(1, Integer()))
