"""The one atomic file writer: every file webmimic writes appears whole or not at all.

Guarantees, for ``atomic_write`` and ``atomic_path`` alike: the new content goes to a unique
temporary file in the target's own folder (so the final rename never crosses file systems), is
flushed and fsync'd, gets mode 0644 (readable by others, like any file a tool writes for
sharing), and replaces the target with ``os.replace``; then the folder is fsync'd so the rename
itself survives a crash. On any error, or Ctrl-C, the temporary file is removed and an existing
target is left exactly as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import os
from pathlib import Path
import tempfile

__all__ = ["atomic_path", "atomic_write", "default_cache_dir"]

FILE_MODE = 0o644


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to fill (by any means, e.g. SQLite); it replaces ``path`` on success."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def atomic_write(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` (text is UTF-8) to ``path`` atomically; return the path."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path) as tmp:
        tmp.write_bytes(payload)
    return Path(path)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # a platform without directory fds: the rename is still atomic, just not yet durable
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory
    finally:
        os.close(fd)


def default_cache_dir() -> Path:
    """Where webmimic keeps what it builds once (the shop's catalog, converted models):
    ``$WEBMIMIC_CACHE_DIR``, else ``$XDG_CACHE_HOME/webmimic``, else ``~/.cache/webmimic``."""
    if os.environ.get("WEBMIMIC_CACHE_DIR"):
        return Path(os.environ["WEBMIMIC_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "webmimic"
