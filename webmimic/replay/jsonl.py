"""Reading JSON Lines files, plain or gzip (told by magic bytes, not by name), line by line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
import gzip
import json
import os
from typing import Any, TextIO

__all__ = ["JsonLine", "open_text", "json_lines"]


@dataclass(frozen=True, slots=True)
class JsonLine:
    """One non-blank line: its 1-based number and either the parsed value or the parse error."""

    number: int
    value: Any = None
    error: json.JSONDecodeError | None = None


def open_text(path: str | os.PathLike[str]) -> TextIO:
    """Open as UTF-8 text, gunzipping when the file starts with gzip's magic bytes."""
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def json_lines(fh: TextIO) -> Iterator[JsonLine]:
    """Each non-blank line parsed with ``json.loads`` (nothing else is ever run on the data)."""
    for number, text in enumerate(fh, start=1):
        if not text.strip():
            continue
        try:
            yield JsonLine(number, json.loads(text))
        except json.JSONDecodeError as err:
            yield JsonLine(number, error=err)
        except RecursionError:
            yield JsonLine(number, error=json.JSONDecodeError("nested too deeply to read", text, 0))
