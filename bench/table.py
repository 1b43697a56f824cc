"""One Markdown table for every scenario, and the numbers' formatting."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Line:
    """One row: a scenario, what was measured, the result, and the target it is held to."""

    scenario: str
    what: str
    result: str
    target: str = ""
    ok: bool | None = None  # None: no target
    note: str = ""


def markdown(lines: list[Line]) -> str:
    """Return the rows as a Markdown table."""
    out = ["| scenario | measured | result | target | |", "|---|---|---|---|---|"]
    for line in lines:
        verdict = {True: "ok", False: "**missed**", None: ""}[line.ok]
        result = f"{line.result} ({line.note})" if line.note else line.result
        cells = [line.scenario, line.what, result, line.target, verdict]
        out.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(out)


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of an already sorted sequence."""
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def ms(seconds: float) -> str:
    if math.isnan(seconds) or math.isinf(seconds):
        return "–" if math.isnan(seconds) else "never"
    return f"{seconds * 1000:.0f}"


def spread(ordered: Sequence[float]) -> str:
    """p50 / p95 / p99 in milliseconds."""
    quantiles = (percentile(ordered, q) for q in (0.50, 0.95, 0.99))
    return " / ".join(ms(value) for value in quantiles) + " ms"


def count(number: int) -> str:
    return f"{number:,}"
