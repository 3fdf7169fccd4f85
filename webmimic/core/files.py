"""The one atomic file writer: every file webmimic writes appears whole or not at all.

Guarantees, for ``atomic_write`` and ``atomic_path`` alike: the new content goes to a unique
temporary file in the target's own folder (so the final rename never crosses file systems), is
flushed and fsync'd, gets mode 0644 (readable by others, like any file a tool writes for
sharing), and replaces the target with ``os.replace``; then the folder is fsync'd so the rename
itself survives a crash. On any error, or Ctrl-C, the temporary file is removed and an existing
target is left exactly as it was; a full disk (ENOSPC, EDQUOT) is a ``DiskFullError`` naming the
target, so the user reads which file and why rather than an errno.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
import errno
import os
from pathlib import Path, PurePosixPath
import tempfile

from webmimic.core.errors import DiskFullError

__all__ = [
    "atomic_path",
    "atomic_write",
    "default_cache_dir",
    "disk_full_error",
    "is_disk_full",
    "is_temporary",
    "output_dir_problem",
    "output_file_problem",
    "remove_own_files",
]

FILE_MODE = 0o644
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_disk_full(err: OSError) -> bool:
    """Whether a failed write failed for lack of space (the disk, or the user's quota)."""
    return err.errno in _FULL


def disk_full_error(path: str | os.PathLike[str], err: OSError, kept: str = "") -> DiskFullError:
    """The error for a write to ``path`` that failed for lack of space; ``kept`` says what is intact."""
    what = f" {kept}" if kept else ""
    reason = os.strerror(err.errno or errno.ENOSPC)
    return DiskFullError(
        f"{os.fspath(path)}: cannot write, disk full ({reason}).{what} Free some space on that disk and run the "
        "command again.",
        path=os.fspath(path),
    )


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to fill (by any means, e.g. SQLite); it replaces ``path`` on success.

    A full disk, met while filling, syncing or renaming, is a ``DiskFullError`` naming ``path``.
    """
    target = Path(path)
    kept = "The file was left as it was." if target.exists() else "Nothing was written."
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as err:
        if is_disk_full(err):
            raise disk_full_error(target, err, kept) from err
        raise
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        if is_disk_full(err) and not isinstance(err, DiskFullError):
            raise disk_full_error(target, err, kept) from err
        raise
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


# -- checks before work, and removing only what webmimic wrote -------------------------------------
def output_file_problem(path: str | os.PathLike[str]) -> str | None:
    """What would stop a file being written at ``path`` (checked before the work, not after), or None."""
    target = Path(path)
    if target.is_dir():
        return f"{target} is a folder; name a file (inside it, or elsewhere) instead"
    parent = target.parent
    if not parent.exists():
        return f"the folder {parent} does not exist; create it first (mkdir -p {parent}) or choose another path"
    if not parent.is_dir():
        return f"{parent} is a file, not a folder, so {target} cannot be written in it"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"the folder {parent} is not writable; choose another path"
    return None


def output_dir_problem(path: str | os.PathLike[str]) -> str | None:
    """What would stop ``path`` being used (created if missing) as an output folder, or None."""
    target = Path(path)
    if target.exists() and not target.is_dir():
        return f"{target} is a file, not a folder; name a folder (a new one is created) instead"
    existing = next(p for p in (target, *target.parents) if p.exists())
    if not existing.is_dir():
        return f"{existing} is a file, so the folder {target} cannot be created; choose another path"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"the folder {existing} is not writable; choose another path"
    return None


def is_temporary(name: str) -> bool:
    """A temporary file of ``atomic_path`` (left behind only by a hard kill)."""
    return name.startswith(".") and name.endswith(".tmp")


def remove_own_files(folder: str | os.PathLike[str], is_ours: Callable[[PurePosixPath], bool]) -> list[str]:
    """Empty ``folder`` if ``is_ours`` accepts every file in it (a path relative to it); else remove
    nothing and return the files it does not accept, so that no one's own files are ever deleted."""
    root = Path(folder)
    files: list[Path] = []
    for top, dirs, names in os.walk(root):
        here = Path(top)
        links = [d for d in dirs if (here / d).is_symlink()]  # never followed: a link is an entry like a file
        files += [here / n for n in (*names, *links)]
    unknown = [f.relative_to(root).as_posix() for f in files if not is_ours(PurePosixPath(f.relative_to(root)))]
    if unknown:
        return sorted(unknown)
    for f in files:
        f.unlink()
    for top, dirs, _ in os.walk(root, topdown=False):
        for d in dirs:
            if not (Path(top) / d).is_symlink():
                (Path(top) / d).rmdir()
    return []
