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


def quartiles(values: list[float]) -> tuple[float, float]:
    """The 25th and 75th percentiles (inclusive method: within the values' range)."""
    if len(values) < 2:
        return values[0], values[0]
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q3


def spread(values: list[float], digits: int = 2) -> str:
    """`median m (p25-p75 a-b, min-max c-d, n rounds)`: how far one run's rounds lie apart."""
    q1, q3 = quartiles(values)
    f = f".{digits}f"
    return (
        f"median {median(values):{f}} (p25-p75 {q1:{f}}-{q3:{f}}, "
        f"min-max {min(values):{f}}-{max(values):{f}}, {len(values)} rounds)"
    )


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
