"""The report's plots, drawn with matplotlib's Agg canvas into PNG bytes.

Figures are made with ``matplotlib.figure.Figure`` directly (not pyplot), so no global state
or display backend is touched and the report can be written from any thread or a headless box.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = ["HUMAN_TYPES", "AGENT_TYPES", "png_accuracy_by_position", "png_confusion", "png_session_histogram"]

HUMAN_TYPES: tuple[str, ...] = ("click", "type_and_submit", "terminate")
AGENT_TYPES: tuple[str, ...] = (*HUMAN_TYPES, "invalid")
GREEN = "#16a34a"
RED = "#dc2626"


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def png_accuracy_by_position(positions: Mapping[int, Sequence[bool]]) -> bytes:
    """Exact match at the 1st, 2nd, ... checked step of a session; bar labels give the counts."""
    keys = sorted(positions)
    rates = [sum(positions[k]) / len(positions[k]) if positions[k] else 0.0 for k in keys]
    fig = Figure(figsize=(max(4.0, 0.45 * len(keys) + 2), 3.0), layout="constrained")
    ax = fig.add_subplot()
    bars = ax.bar([str(k) for k in keys], rates, color=GREEN)
    for bar, k in zip(bars, keys, strict=True):
        ax.annotate(
            f"{sum(positions[k])}/{len(positions[k])}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=7,
            xytext=(0, 2),
            textcoords="offset points",
        )
    ax.set_ylim(0, 1.12)
    ax.set_xlabel("step position in session")
    ax.set_ylabel("exact match")
    ax.set_title("Exact match by step position")
    return _png(fig)


def png_confusion(counts: Mapping[tuple[str, str], int]) -> bytes:
    """Action-type confusion: human type (rows) × agent type (columns, with 'invalid')."""
    rows = list(HUMAN_TYPES) + sorted({h for h, _ in counts} - set(HUMAN_TYPES))
    cols = list(AGENT_TYPES) + sorted({a for _, a in counts} - set(AGENT_TYPES))
    grid = [[counts.get((h, a), 0) for a in cols] for h in rows]
    top = max((v for row in grid for v in row), default=0) or 1
    fig = Figure(figsize=(5.2, 3.4), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(grid, cmap="Blues", vmin=0, vmax=top, aspect="auto")
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            ax.text(j, i, str(v), ha="center", va="center", fontsize=9, color="white" if v > top * 0.6 else "black")
    ax.set_xticks(range(len(cols)), [c.replace("_and_", "&") for c in cols], fontsize=8)
    ax.set_yticks(range(len(rows)), [r.replace("_and_", "&") for r in rows], fontsize=8)
    ax.set_xlabel("agent")
    ax.set_ylabel("human")
    ax.set_title("Action type: human × agent")
    return _png(fig)


def png_session_histogram(accuracies: Sequence[float]) -> bytes:
    """How many sessions reached each exact-match rate (ten bins over 0..1)."""
    fig = Figure(figsize=(4.6, 3.0), layout="constrained")
    ax = fig.add_subplot()
    ax.hist(list(accuracies), bins=[i / 10 for i in range(11)], color=GREEN, edgecolor="white")
    ax.set_xlim(0, 1)
    ax.set_xlabel("exact match within the session")
    ax.set_ylabel("sessions")
    ax.set_title("Per-session accuracy")
    locator = ax.yaxis.get_major_locator()
    if isinstance(locator, MaxNLocator):  # matplotlib's default (AutoLocator) is one
        locator.set_params(integer=True)
    return _png(fig)
