"""Cursor paging, without I/O: the request for the next page and the items of each answer.
Lists answer `{"data": [...], "next_cursor": ...}` (null on the last page); the change-event
feed always gives a cursor and says `has_more`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter

from dmi_api_client.requests import ApiRequest, ParamValue, encode_body, encode_params

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page: its items and the cursor of the next (None after the last page)."""

    data: list[T]
    next_cursor: str | None
    has_more: bool


class Pager(Generic[T]):
    """Follows `next_cursor` from the first page (or from `cursor`) to the last.

    `feed`: the change-event feed, which ends when `has_more` is false; its `cursor` is then
    where to poll from later. `search`: the list's parameters go in the JSON body of
    `POST {path}/search`, every page, never in the URL (a child's name there is PHI in every
    proxy's and access log).
    """

    def __init__(
        self,
        path: str,
        item: TypeAdapter[T],
        params: Mapping[str, ParamValue] | None = None,
        *,
        feed: bool = False,
        search: bool = False,
    ) -> None:
        params = dict(params or {})
        self.path, self.item, self.feed, self.search = path, item, feed, search
        cursor = params.pop("cursor", None)
        self.cursor = None if cursor is None else str(cursor)
        self.params = encode_params(params)
        self.body = {
            (name[:-1] if name.endswith("_") else name): value
            for name, value in encode_body(params).items()
            if value is not None
        }
        self.done = False

    def request(self) -> ApiRequest | None:
        """The request of the next page, or None when every page was read."""
        if self.done:
            return None
        if self.search:
            body = {**self.body, **({"cursor": self.cursor} if self.cursor is not None else {})}
            return ApiRequest("POST", f"{self.path}/search", json=body)
        params = dict(self.params)
        if self.cursor is not None:
            params["cursor"] = self.cursor
        return ApiRequest("GET", self.path, params)

    def accept(self, body: Any) -> Page[T]:
        """The page of an answer; moves the cursor on."""
        data = [self.item.validate_python(entry) for entry in body["data"]]
        next_cursor: str | None = body.get("next_cursor")
        has_more = bool(body["has_more"]) if self.feed else next_cursor is not None
        if next_cursor is not None:
            self.cursor = next_cursor
        self.done = not has_more
        return Page(data, next_cursor, has_more)
