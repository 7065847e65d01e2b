"""Cursors and the `Link` header, without a database."""

from __future__ import annotations

import pytest
from starlette.datastructures import URL

from dmi_api.errors import ValidationProblemError
from dmi_api.pagination import CursorCodec, next_link

CURSOR = "uR1dBGjZKqMOp6zrKe69CHFl6uXQ_-Xr"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/v1/children",
        "http://127.0.0.1:8000/v1/children?limit=50",
        "https://api.example.org/v1/children?limit=50&cursor=old&sort=-updated_at",
        "http://h/v1/children?cursor=a&cursor=b&limit=5",
        "http://h/v1/session-records?from=2025-11-24T00%3A00%3A00%2B01%3A00&type=dmi",
        "http://h/v1/children?status=&external_id=MRN%2000%2612&x=%C3%A9t%C3%A9+hiver",
        "http://h/v1/children?flag&limit=10",
        "http://h:8080/root/v1/children?updated_since=2025-01-01T00:00:00Z",
    ],
)
def test_the_next_link_is_starlettes_with_the_cursor_replaced(url: str) -> None:
    expected = f'<{URL(url).include_query_params(cursor=CURSOR)}>; rel="next"'
    assert next_link(URL(url), CURSOR) == {"Link": expected}


def test_no_link_without_a_next_page() -> None:
    assert next_link(URL("http://h/v1/children?limit=5"), None) == {}


def test_a_cursor_opens_only_in_its_own_context() -> None:
    codec = CursorCodec("k" * 40)
    position = ["2025-11-24T09:00:00.123456+00:00", "cde0205f-98bc-44b2-acdb-bfbdc4765ae3"]
    cursor = codec.encode(position, context="children:a")
    assert codec.decode(cursor, context="children:a") == position
    assert position[0] not in cursor  # encrypted, not merely encoded
    # Tampered in the middle: a change at the end can fall on base64's padding bits (or leave
    # a cursor that already ends so unchanged), and decode as the same bytes.
    middle = len(cursor) // 2
    flipped = "B" if cursor[middle] == "A" else "A"
    tampered = cursor[:middle] + flipped + cursor[middle + 1 :]
    for context, text in (("children:b", cursor), ("children:a", tampered)):
        with pytest.raises(ValidationProblemError):
            codec.decode(text, context=context)
    other_key = CursorCodec("another secret, forty characters long....")
    with pytest.raises(ValidationProblemError):
        other_key.decode(cursor, context="children:a")
