"""Rows of models as NDJSON or CSV: the model's fields are the columns (from the generated
models, so they follow the API), nested values written as JSON."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from pydantic import BaseModel


def columns(model: type[BaseModel]) -> list[str]:
    """The model's field names as the API spells them."""
    return [field.alias or name for name, field in model.model_fields.items()]


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return "" if value is None else value


def write_csv(
    rows: Iterable[BaseModel | Mapping[str, Any]],
    model: type[BaseModel],
    out: TextIO,
    *,
    header: bool = True,
) -> int:
    """Write `rows` (models, or their JSON as exported) as CSV; the number written."""
    names = columns(model)
    writer = csv.DictWriter(out, fieldnames=names, extrasaction="ignore", lineterminator="\n")
    if header:
        writer.writeheader()
    count = 0
    for row in rows:
        data = row.model_dump(mode="json", by_alias=True) if isinstance(row, BaseModel) else row
        writer.writerow({name: _cell(data.get(name)) for name in names})
        count += 1
    return count


def write_ndjson(rows: Iterable[BaseModel], out: TextIO) -> int:
    """Write `rows` one JSON document a line; the number written."""
    count = 0
    for row in rows:
        out.write(row.model_dump_json(by_alias=True) + "\n")
        count += 1
    return count
