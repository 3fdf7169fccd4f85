"""Finding and reaping the Chromium processes a Browser started (Linux /proc; no psutil).

Playwright does not expose the browser's pid, so each launch carries a unique, harmless
command-line marker; the main process is the one whose command line holds it. On close, the
whole process tree is awaited (pidfd poll, no sleeps) and anything left is killed by pid.
"""

from __future__ import annotations

import os
from pathlib import Path
import select
import signal
import time

__all__ = ["find_marked_pids", "descendants", "alive", "wait_gone", "kill"]

_PROC = Path("/proc")


def _cmdline(pid: int) -> list[str]:
    try:
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return []
    return raw.decode("utf-8", "replace").split("\0")


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, ppid) of a process, or None when it is gone."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


def _pids() -> list[int]:
    if not _PROC.is_dir():
        return []
    return [int(p.name) for p in _PROC.iterdir() if p.name.isdigit()]


def find_marked_pids(marker: str) -> list[int]:
    """Pids whose command line holds ``marker`` and no ``--type=`` (a child process's switch),
    outermost first: a launcher script (Debian's /usr/bin/chromium is one) before Chromium."""
    found = []
    for pid in _pids():
        args = _cmdline(pid)
        if marker in args and not any(a.startswith("--type=") for a in args):
            found.append(pid)
    parents = {pid: (_stat(pid) or ("", 0))[1] for pid in found}
    return sorted(found, key=lambda pid: _depth(pid, parents))


def _depth(pid: int, parents: dict[int, int]) -> int:
    depth = 0
    while parents.get(pid) in parents:
        pid = parents[pid]
        depth += 1
    return depth


def descendants(pid: int) -> list[int]:
    """All processes below ``pid`` (renderers, zygotes, GPU process)."""
    children: dict[int, list[int]] = {}
    for p in _pids():
        st = _stat(p)
        if st is not None:
            children.setdefault(st[1], []).append(p)
    out: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def alive(pid: int) -> bool:
    """True while the process exists and has not exited (a zombie counts as gone)."""
    st = _stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def wait_gone(pids: list[int], timeout_s: float) -> list[int]:
    """Wait until every pid has exited or the timeout passes; returns those still alive."""
    deadline = time.monotonic() + timeout_s
    for pid in pids:
        if not alive(pid):
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            fd = os.pidfd_open(pid)
        except (OSError, AttributeError):
            continue
        try:
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            poller.poll(remaining * 1000)
        finally:
            os.close(fd)
    return [pid for pid in pids if alive(pid)]


def kill(pids: list[int]) -> None:
    """SIGKILL each pid that is still alive (only pids this process started)."""
    for pid in pids:
        if alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
