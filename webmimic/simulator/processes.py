"""Finding and reaping the Chromium processes a Browser started (Linux /proc; no psutil).

Playwright does not expose the browser's pid, so each launch carries a unique, harmless
command-line marker; the main process is the one whose command line holds it. Playwright starts
the browser (or its launcher script) in a session of its own (setsid), and every Chromium process
stays in that session, also one whose parent exited first and that was reparented to init (the
zygotes outlive the browser process). On close, ``ProcessSet`` holds a pidfd for each process of
the tree and the session, waits for them (pidfd poll, no sleeps), and kills what is left through
the same pidfds, so a pid reused by another program meanwhile is never waited for nor killed.
"""

from __future__ import annotations

from collections.abc import Iterable
import contextlib
from dataclasses import dataclass
import errno
import os
from pathlib import Path
import select
import signal
import time

__all__ = [
    "find_marked_pids",
    "descendants",
    "session_leader",
    "session_members",
    "alive",
    "kill",
    "ProcessSet",
    "CpuTicks",
    "cpu_ticks",
    "cpu_seconds_between",
]

_PROC = Path("/proc")


def _cmdline_raw(pid: int) -> bytes:
    try:
        return (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""


def _args(raw: bytes) -> list[str]:
    return raw.decode("utf-8", "replace").split("\0") if raw else []


def _cmdline(pid: int) -> list[str]:
    return _args(_cmdline_raw(pid))


def _fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first), or None when gone."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, ppid) of a process, or None when it is gone."""
    fields = _fields(pid)
    return (fields[0], int(fields[1])) if fields else None


def _session(pid: int) -> int | None:
    fields = _fields(pid)
    return int(fields[3]) if fields else None


def _pids() -> list[int]:
    if not _PROC.is_dir():
        return []
    return [int(p.name) for p in _PROC.iterdir() if p.name.isdigit()]


def find_marked_pids(marker: str) -> list[int]:
    """Pids whose command line holds ``marker`` and no ``--type=`` (a child process's switch),
    outermost first: a launcher script (Debian's /usr/bin/chromium is one) before Chromium.

    Chromium starts its helper processes by fork and exec. Until the exec, the child still
    shows its parent's command line, marker included; such a fork (a marked process whose
    parent is marked with the very same command line) is not a launched process and is left out.
    """
    found: dict[int, bytes] = {}
    for pid in _pids():
        raw = _cmdline_raw(pid)
        args = _args(raw)
        if marker in args and not any(a.startswith("--type=") for a in args):
            found[pid] = raw
    parents = {pid: (_stat(pid) or ("", 0))[1] for pid in found}
    launched = [pid for pid in found if found.get(parents[pid]) != found[pid]]
    parents = {pid: parents[pid] for pid in launched}
    return sorted(launched, key=lambda pid: _depth(pid, parents))


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


_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuTicks:
    """A process's CPU ticks so far: its own, and those of the children it reaped."""

    parent: int
    own: int
    reaped: int


def cpu_ticks() -> dict[int, CpuTicks]:
    """The ticks of this process and of each one below it, by pid. A renderer of a closed context
    is gone by the time a run ends; its parent's reaped ticks hold it. This process's own reaped
    children (other programs it ran) are left out."""
    out: dict[int, CpuTicks] = {}
    root = os.getpid()
    for pid in [root, *descendants(root)]:
        fields = _fields(pid)  # ppid at 1; utime, stime, cutime, cstime at 11 to 14
        if fields is not None:  # else it exited meanwhile
            reaped = 0 if pid == root else int(fields[13]) + int(fields[14])
            out[pid] = CpuTicks(int(fields[1]), int(fields[11]) + int(fields[12]), reaped)
    return out


def cpu_seconds_between(before: dict[int, CpuTicks], after: dict[int, CpuTicks]) -> dict[int, float]:
    """The CPU seconds each process used between two ``cpu_ticks()``, by pid. One that exited in
    between is in its parent's reaped ticks, whole: its ticks from before are taken off there."""
    used = {pid: t.own + t.reaped - (b.own + b.reaped if (b := before.get(pid)) else 0) for pid, t in after.items()}
    for pid, t in before.items():
        if pid not in after:
            reaper = t.parent if t.parent in after else os.getpid()
            used[reaper] = used.get(reaper, 0) - t.own - t.reaped
    return {pid: ticks / _TICK for pid, ticks in used.items()}


def session_leader(pid: int) -> bool:
    """True when ``pid`` runs and leads a session of its own (it called setsid), not ours."""
    return _session(pid) == pid and pid != os.getsid(0)


def session_members(sid: int) -> list[int]:
    """Processes in session ``sid``, this process and its own session excepted.

    Use only with the sid of a session leader seen alive (``session_leader``): the kernel does
    not hand out a pid that is still some process's session id, so no later program joins it.
    """
    if sid == os.getsid(0):
        return []
    me = os.getpid()
    return [p for p in _pids() if p != me and _session(p) == sid]


def alive(pid: int) -> bool:
    """True while the process exists and has not exited (a zombie counts as gone)."""
    st = _stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def kill(pids: list[int]) -> None:
    """SIGKILL each pid that is still alive (only pids this process started)."""
    for pid in pids:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):  # it exited meanwhile
                os.kill(pid, signal.SIGKILL)


class ProcessSet:
    """The processes of one launched program (Chromium behind its launcher), tracked from launch.

    Its members: ``root``, the launched process; its descendants; and, when ``root`` leads a
    session of its own (Playwright starts the browser with setsid), every process of that
    session. A process whose parent exits first is reparented to init and leaves the tree, but
    not the session: Chromium's zygotes outlive the browser process. Each member is held by a
    pidfd from when it is found, so waiting and killing reach that very process even where its
    pid has been handed to another program since.
    """

    def __init__(self, root: int) -> None:
        self._root = root
        self._root_start = _starttime(root)
        self._session = root if session_leader(root) else None  # a session's id is its leader's pid
        self._fds: dict[int, int] = {}
        self._no_fd: set[int] = set()  # where pidfd_open is missing: tracked by pid, as before
        self._add([root])
        self.refresh()

    def refresh(self) -> None:
        """Add the members that exist now (new processes; processes reparented away)."""
        start = _starttime(self._root)
        if start is not None and start != self._root_start:
            return  # the root's pid (the session id too) names another program now: ours are gone
        found = descendants(self._root) if start is not None else []
        # The kernel hands out no pid that is still a session's id: while the root's pid is free
        # or still the root's, every process in the session is one of ours.
        members = session_members(self._session) if self._session is not None else []
        if _starttime(self._root) not in (None, self._root_start):
            return  # handed to another program while /proc was read
        self._add(found)
        self._add(members, session=self._session)

    def _add(self, pids: Iterable[int], session: int | None = None) -> None:
        for pid in pids:
            if pid in self._fds or pid in self._no_fd:
                continue
            try:
                fd = os.pidfd_open(pid)
            except AttributeError:
                self._no_fd.add(pid)
                continue
            except OSError as err:
                if err.errno != errno.ESRCH:  # ESRCH: gone already
                    self._no_fd.add(pid)
                continue
            if session is not None and _session(pid) != session:
                os.close(fd)  # the pid was reused between reading /proc and pidfd_open
                continue
            self._fds[pid] = fd

    def alive(self) -> list[int]:
        """Members that have not exited yet (a zombie has exited)."""
        return [pid for pid, fd in self._fds.items() if not _exited(fd, 0)] + [pid for pid in self._no_fd if alive(pid)]

    def wait(self, timeout_s: float) -> list[int]:
        """Wait until every member has exited or ``timeout_s`` passed; the members still alive."""
        deadline = time.monotonic() + timeout_s
        for fd in self._fds.values():
            if not _exited(fd, max(0.0, deadline - time.monotonic())):
                break
        return self.alive()

    def end(self, *, grace_s: float, kill_s: float) -> list[int]:
        """Give the members ``grace_s`` to exit by themselves, then SIGKILL each one left, and
        each member found since, until none is left or ``kill_s`` has passed. Returns the pids
        still alive (none unless ``kill_s`` ran out), and releases the pidfds."""
        try:
            self.refresh()
            self.wait(grace_s)
            deadline = time.monotonic() + kill_s
            killed: set[int] = set()
            while time.monotonic() < deadline:
                self.refresh()
                left = [pid for pid in self.alive() if pid not in killed]
                if not left:
                    break
                for pid in left:
                    self._kill(pid)
                killed.update(left)
                self.wait(max(0.0, deadline - time.monotonic()))
            return self.alive()
        finally:
            self.close()

    def _kill(self, pid: int) -> None:
        try:
            if pid in self._fds:
                signal.pidfd_send_signal(self._fds[pid], signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # exited meanwhile

    def close(self) -> None:
        """Release the pidfds (``end`` does)."""
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
        self._no_fd.clear()


def _starttime(pid: int) -> int | None:
    """When the process started (clock ticks since boot): with the pid, names one process."""
    fields = _fields(pid)
    return int(fields[19]) if fields else None


def _exited(pidfd: int, timeout_s: float) -> bool:
    """Whether the process of ``pidfd`` has exited, waiting for it up to ``timeout_s``."""
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    return bool(poller.poll(timeout_s * 1000))
