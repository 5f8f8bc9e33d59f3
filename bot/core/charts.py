"""Result charts as PNG images (matplotlib, no display needed)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

GRADE_ORDER = ("excellent", "tres_bien", "bien", "assez_bien", "passable", "insuffisant",
               "a_rejeter")
GRADE_COLOURS = ("#1a7f37", "#4caf50", "#8bc34a", "#cddc39", "#ffc107", "#ff7043", "#c62828")


def _figure(height: float) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(7, height), dpi=100)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def bars(title: str, labels: Sequence[str], values: Sequence[float], unit: str) -> bytes:
    """Horizontal bars, first option at the top."""
    figure = _figure(1.2 + 0.45 * len(labels))
    axes = figure.add_subplot()
    positions = list(range(len(labels)))[::-1]
    axes.barh(positions, values, color="#3f51b5")
    axes.set_yticks(positions, [_short(label) for label in labels])
    axes.set_xlabel(unit)
    axes.set_title(_short(title, 70))
    for y, value in zip(positions, values, strict=True):
        axes.text(value, y, f" {value:g}", va="center")
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def grades(title: str, labels: Sequence[str], profiles: Sequence[Sequence[int]],
           names: Sequence[str]) -> bytes:
    """Majority judgment: one stacked bar per option, best grade on the left,
    with the median line at 50 %."""
    figure = _figure(1.4 + 0.45 * len(labels))
    axes = figure.add_subplot()
    positions = list(range(len(labels)))[::-1]
    for y, profile in zip(positions, profiles, strict=True):
        total = sum(profile) or 1
        left = 0.0
        for count, colour, name in zip(profile, GRADE_COLOURS, names, strict=True):
            share = 100 * count / total
            axes.barh(y, share, left=left, color=colour,
                      label=name if y == positions[0] else None)
            left += share
    axes.axvline(50, color="black", linewidth=1)
    axes.set_xlim(0, 100)
    axes.set_yticks(positions, [_short(label) for label in labels])
    axes.set_title(_short(title, 70))
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=4, fontsize="small")
    return _png(figure)


def _short(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters, its dollar signs escaped: matplotlib reads
    ``$...$`` as mathematics, and members' titles and options are not (``$x^$`` fails)."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("$", r"\$")
