"""Path convertors of the API's routes."""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

NOT_BATCH = "not_batch"


class NotBatch(Convertor[str]):
    """A row's id segment that is not the collection's own `batch` sub-path: `POST
    /v1/session-records/batch` is then the only route of that path, and another method there
    is 405, not a row id that fails to parse. Any other segment goes on to the id's validation
    (422 when it is not a UUID), as on every other resource."""

    regex = "(?!batch$)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor(NOT_BATCH, NotBatch())
