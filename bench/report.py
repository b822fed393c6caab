"""One table for every benchmark: the portal's figure, the baseline's, the ratio and the target."""

from collections.abc import Callable
from dataclasses import dataclass

COLUMNS = ("what", "portal", "baseline (same run)", "ratio", "target", "met")


@dataclass
class Row:
    what: str
    portal: str = "—"
    baseline: str = "—"
    #: portal ÷ baseline of the figure in the two columns; the target says which way is good.
    ratio: float | None = None
    target: str = ""
    #: None when there is no target to judge or no figure (failed, not written yet).
    met: bool | None = None
    #: Why there is no figure: the benchmark failed (a reason, never a made-up number).
    failed: str | None = None
    #: Not measured on purpose (e.g. a benchmark another work package adds later).
    pending: str | None = None


@dataclass
class Benchmark:
    """A benchmark and the rows it fills: a failure marks every row it had not filled yet."""

    name: str
    rows: list[str]
    run: Callable  # run(context, record: Callable[[Row], None]) -> None


def ratio(portal: float, baseline: float) -> float | None:
    return portal / baseline if baseline else None


def render(rows: list[Row]) -> str:
    """A Markdown table, then the reasons of the rows that failed as numbered notes."""
    notes = []
    lines = []
    for row in rows:
        if row.failed is not None:
            if row.failed not in notes:
                notes.append(row.failed)
            cells = (row.what, f"FAILED [{notes.index(row.failed) + 1}]", row.baseline, "—", row.target, "—")
        elif row.pending is not None:
            cells = (row.what, f"not measured: {row.pending}", "—", "—", row.target, "—")
        else:
            met = {True: "yes", False: "NO", None: "—"}[row.met]
            cells = (row.what, row.portal, row.baseline, "—" if row.ratio is None else f"{row.ratio:.2f}×",
                     row.target, met)
        lines.append(cells)
    widths = [max(len(str(cells[column])) for cells in [COLUMNS, *lines]) for column in range(len(COLUMNS))]

    def line(cells) -> str:
        return "| " + " | ".join(str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

    text = [line(COLUMNS), "| " + " | ".join("-" * width for width in widths) + " |", *map(line, lines)]
    text += [f"[{number}] failed: {note}" for number, note in enumerate(notes, start=1)]
    return "\n".join(text)
