"""The class report's plots: matplotlib figures as inline SVG text, the same bytes for the
same numbers (a fixed hash salt, no date), so two reports of the same results are equal.

Each function returns the ``<svg>`` element alone, ready to be placed in the page as is.
"""
from __future__ import annotations

import io

from ..grading import policy


def _svg(fig) -> str:
    """``fig`` as an ``<svg>`` element; text kept as text (searchable, and small)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "dl-course-report", "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and doctype: inline in HTML


def _figure(width=4.2, height=2.6):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=96)
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _counts_axis(axis) -> None:
    """An axis of counts (students, submissions): whole-number ticks only."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def plot_grades(counts: list[int], title: str) -> str:
    """Bars of the students per grade: ``counts`` of 0, 1 and 2."""
    fig, ax = _figure(3.2, 2.4)
    _counts_axis(ax.yaxis)
    bars = ax.bar(["0", "1", "2"], counts, color=["#cf222e", "#bf8700", "#1a7f37"])
    ax.bar_label(bars)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("grade")
    ax.set_ylabel("students")
    ax.set_ylim(0, max(counts + [1]) * 1.2)
    return _svg(fig)


def plot_points(points: list[float], max_points: float, title: str) -> str:
    """The histogram of ``points`` over 0..``max_points`` (empty axes when none)."""
    fig, ax = _figure(3.8, 2.4)
    _counts_axis(ax.yaxis)
    if points:
        bins = min(20, max(5, int(max_points) or 5))
        ax.hist(points, bins=bins, range=(0, max_points or max(points) or 1), color="#0969da")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(f"points (out of {policy.format_points(max_points)})")
    ax.set_ylabel("submissions")
    return _svg(fig)


def plot_exercises(names: list[str], shares: list[float], title: str) -> str:
    """Horizontal bars: the share (0..1) of graded submissions passing each exercise."""
    fig, ax = _figure(5.0, max(1.6, 0.28 * len(names) + 0.8))
    y = list(range(len(names)))
    ax.barh(y, [100 * s for s in shares], color="#1a7f37")
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()  # notebook order, top to bottom
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of graded submissions passing")
    ax.set_title(title, fontsize=10)
    return _svg(fig)
