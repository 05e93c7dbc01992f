"""The answer of a proof: proved (with what it covers) or a counterexample the engine confirmed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from racesim._util.table import format_table
from racesim.verify.counterexample import Counterexample
from racesim.verify.proof.bounds import Bounds
from racesim.verify.proof.solve import SLACK

if TYPE_CHECKING:
    pass

__all__ = ["ProveResult"]


@dataclass(frozen=True)
class ProveResult:
    """Whether `prop` holds for every history of up to `pushes` pushes within `bounds`.

    Attributes:
        strategy: the strategy, as :meth:`~racesim.Strategy.describe` names it.
        prop: the property's name.
        pushes: the largest push count covered (every count from 1 up to it was decided).
        bounds: the duration, gap and failure bounds covered.
        verdict: ``proved`` or ``counterexample``.
        counterexample: the history that breaks the property, replayed through the SimPy
            engine (its trace and explanation are the engine's), or ``None`` when proved.
        features: the model features the encoding covered, in words.
        seconds: solver time, all push counts together.
        grid: ``None`` (every real value within the bounds), or the step in seconds every
            duration and gap was restricted to.
    """

    strategy: str
    prop: str
    pushes: int
    bounds: Bounds
    verdict: Literal["proved", "counterexample"]
    counterexample: Counterexample | None
    features: tuple[str, ...]
    seconds: float
    grid: float | None = None

    @property
    def proved(self) -> bool:
        return self.verdict == "proved"

    def __bool__(self) -> bool:
        return self.proved

    @property
    def headline(self) -> str:
        """One line: the verdict and what it covers."""
        upto = f"{self.pushes} push{'es' if self.pushes > 1 else ''}"
        if self.proved:
            return (
                f"{self.strategy} / {self.prop}: PROVED for every history of up to {upto} "
                f"within the bounds{self._where} ({self.seconds:.2f} s)"
            )
        cx = self.counterexample
        assert cx is not None
        n = cx.history.commits
        return (
            f"{self.strategy} / {self.prop}: COUNTEREXAMPLE with {n} push{'es' if n > 1 else ''} "
            f"(searched up to {upto}; confirmed by the SimPy engine; {self.seconds:.2f} s)"
        )

    @property
    def _where(self) -> str:
        return "" if self.grid is None else f", on the grid of {self.grid:g} s"

    def text(self) -> str:
        """The verdict, the bounds and features it covers, and the counterexample in sentences."""
        lines = [self.headline, f"bounds: {self.bounds.describe()}"]
        lines.append("covers: " + "; ".join(self.features))
        cx = self.counterexample
        if cx is not None:
            history = cx.history
            pushes = [(history.label(k), f"{p.time:g} s") for k, p in enumerate(history.pushes, 1)]
            names = list(history.pushes[0].durations.as_dict())
            durations = [
                (name, *(f"{getattr(p.durations, name):g}" for p in history.pushes))
                for name in names
            ]
            labels = [history.label(k) for k in range(1, history.commits + 1)]
            lines += [
                "",
                format_table(pushes, ["commit", "pushed at"]),
                "",
                format_table(durations, ["duration (s)", *labels]),
                "",
                cx.explanation,
                "",
            ]
            if cx.ties:
                lines.append(
                    f"RESTS ON A TIE OR NEAR-TIE: no counterexample within these bounds keeps "
                    f"every compared pair of instants {SLACK:g} s apart; in this one these pairs "
                    "are closer (a tie rule decides the ones that coincide):"
                )
                lines += [f"  - {tie}" for tie in cx.ties]
            else:
                lines.append(
                    f"no ties: every pair of instants the model compares is at least {SLACK:g} s "
                    "apart, so no tie rule decides this counterexample"
                )
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "property": self.prop,
            "pushes": self.pushes,
            "verdict": self.verdict,
            "bounds": self.bounds.to_json(),
            "features": list(self.features),
            "seconds": round(self.seconds, 4),
            "grid": self.grid,
            "counterexample": None
            if self.counterexample is None
            else self.counterexample.to_json(),
        }
