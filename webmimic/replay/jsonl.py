"""Reading JSON Lines files, plain or gzip (told by magic bytes, not by name), line by line.

What can be wrong with such a file is reported per line, as a :class:`JsonLine` with a
``problem`` that says where and what would fix it, never as an exception from the middle of a
loop: malformed or cut-short JSON (the column is counted on the line itself, so a line that
ends early is reported where it ends), bytes that are not UTF-8, a line longer than
``MAX_LINE_BYTES``, and a gzip stream that is corrupt or ends early (the last item, after which
nothing more is read).

Memory is bounded by the line limit: a line is read at most ``max_line_bytes + 1`` bytes at a
time, and an over-long line is skipped in 1 MiB chunks rather than held. 64 MiB is far above
any real session line (a snapshot session of 100 pages of simplified HTML is a few MB), so a
line that long is a wrong file (a binary, a dump with no newlines), not data to load.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
import gzip
import json
import os
import re
from typing import IO, Any, TextIO
import zlib

__all__ = ["MAX_LINE_BYTES", "JsonLine", "open_binary", "open_text", "json_lines", "read_json_lines"]

MAX_LINE_BYTES = 64 * 1024 * 1024
_SKIP_CHUNK = 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_ESCAPE = re.compile(r"\\.")
_PARTIAL_LITERAL = re.compile(r"[\w.+-]+")


@dataclass(frozen=True, slots=True)
class JsonLine:
    """One non-blank line: its 1-based number and either the parsed value or what is wrong with it.

    ``problem`` is a whole sentence with the fix; ``error`` is the JSON decoder's own error when
    the problem is malformed JSON (None for the other problems).
    """

    number: int
    value: Any = None
    error: json.JSONDecodeError | None = None
    problem: str | None = None


def _is_gzip(path: str | os.PathLike[str]) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == _GZIP_MAGIC


def open_binary(path: str | os.PathLike[str]) -> IO[bytes]:
    """Open for reading bytes, gunzipping when the file starts with gzip's magic bytes."""
    if _is_gzip(path):
        return gzip.open(path, "rb")  # type: ignore[return-value]  # a GzipFile is a binary IO
    return open(path, "rb")  # noqa: SIM115 -- the caller closes it


def open_text(path: str | os.PathLike[str]) -> TextIO:
    """Open as UTF-8 text, gunzipping when the file starts with gzip's magic bytes."""
    if _is_gzip(path):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def read_json_lines(path: str | os.PathLike[str], *, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[JsonLine]:
    """Every non-blank line of the file at ``path``; OSError only if it cannot be opened at all."""
    with open_binary(path) as fh:
        yield from json_lines(fh, max_line_bytes=max_line_bytes)


def json_lines(fh: IO[bytes], *, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[JsonLine]:
    """Each non-blank line of a binary stream parsed with ``json.loads`` (nothing else is ever run
    on the data). A stream that fails part-way (gzip cut short or corrupt, a read error) ends with
    one JsonLine saying so, numbered as the line that could not be read."""
    number = 0
    try:
        while raw := fh.readline(max_line_bytes + 1):
            number += 1
            if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
                _skip_rest_of_line(fh)
                yield JsonLine(number, problem=_too_long(max_line_bytes))
                continue
            if raw.strip():
                yield _parse(number, raw)
    except (OSError, EOFError, zlib.error) as err:
        yield JsonLine(number + 1, problem=_stream_problem(err, number))


def _skip_rest_of_line(fh: IO[bytes]) -> None:
    while (chunk := fh.readline(_SKIP_CHUNK)) and not chunk.endswith(b"\n"):
        pass


def _too_long(limit: int) -> str:
    return (
        f"the line is longer than {limit // (1024 * 1024)} MiB, so it is not read (a session line is at most a few "
        "MB); check that this is a JSON Lines file with one object per line"
    )


def _stream_problem(err: BaseException, lines_read: int) -> str:
    after = f"after line {lines_read}" if lines_read else "before the first line"
    if isinstance(err, EOFError):
        return (
            f"the compressed data ends early, {after}: the gzip file was cut short (an interrupted copy or download?); "
            "fetch or compress it again"
        )
    if isinstance(err, (gzip.BadGzipFile, zlib.error)):
        return f"the gzip data is corrupt {after} ({err}); fetch or compress the file again"
    return f"the file could not be read {after}: {err}"


def _parse(number: int, raw: bytes) -> JsonLine:
    try:
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as err:
        byte = err.object[err.start : err.start + 1].hex()
        return JsonLine(
            number,
            problem=f"not UTF-8 text: byte 0x{byte} at byte {err.start + 1} of the line; save the file as UTF-8",
        )
    text = text.rstrip("\r\n")
    try:
        return JsonLine(number, json.loads(text))
    except json.JSONDecodeError as err:
        return JsonLine(number, error=err, problem=_json_problem(err, text))
    except RecursionError:
        deep = json.JSONDecodeError("nested too deeply to read", text, 0)
        return JsonLine(number, error=deep, problem="nested too deeply to read; flatten the data")


def _json_problem(err: json.JSONDecodeError, text: str) -> str:
    """Where the JSON breaks, on this line; a line whose JSON runs past its end was cut short."""
    fix = "each line must be one complete JSON object"
    width = len(text.rstrip())
    rest = _ESCAPE.sub("", text[err.pos + 1 : width])  # a string left open runs to the end: no bare quote after
    open_string = err.pos < width and text[err.pos] == '"' and '"' not in rest
    partial_literal = _PARTIAL_LITERAL.fullmatch(text[err.pos : width]) is not None  # tru, 12.
    if err.pos >= width or open_string or partial_literal:
        return (
            f"malformed JSON: the line ends at column {width} before it is complete ({err.msg} column "
            f"{err.colno}): it was cut short, as by a crash or an interrupted copy; restore the rest of the line or "
            "delete it"
        )
    return f"malformed JSON at column {err.colno} of {width}: {err.msg}; {fix}"
