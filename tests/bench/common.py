"""What every benchmark shares: a figure line, medians, and quick/full sizes."""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One measured figure: `name value target`, and whether it meets the target."""

    name: str
    value: float
    target: str
    meets: bool
    detail: str = ""

    def line(self) -> str:
        mark = "ok" if self.meets else "MISSED"
        extra = f"  # {self.detail}" if self.detail else ""
        return f"{self.name} {self.value:.3f} {self.target} {mark}{extra}"


def at_most(name: str, value: float, limit: float, detail: str = "") -> Figure:
    return Figure(name, value, f"<={limit:g}", value <= limit, detail)


def under(name: str, value: float, limit: float, detail: str = "") -> Figure:
    return Figure(name, value, f"<{limit:g}", value < limit, detail)


def exactly(name: str, value: float, wanted: float, detail: str = "") -> Figure:
    return Figure(name, value, f"=={wanted:g}", value == wanted, detail)


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
