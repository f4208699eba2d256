"""The evaluators this worker can serve, by their name in a search config (`evaluation.evaluator`).

Adding one: write `evaluate(request, ctx) -> result` (and a `check()` that
raises when it cannot run on this machine), then add one entry to EVALUATORS.
A request and a result are the JSON objects of schemas/eval-*.schema.json.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from . import ofa_supernet
from .nb201 import load_table

EvalRequest = dict[str, Any]
EvalResult = dict[str, Any]


@dataclass(frozen=True)
class EvalContext:
    """What an evaluation knows of the worker running it."""

    # The device this evaluation owns, one of EVAL_DEVICES (e.g. "cuda:1").
    device: str
    # Records progress details; the worker sends the latest with its next heartbeat (every second).
    heartbeat: Callable[[Any], None]
    # Set when Temporal cancels the evaluation (or it timed out): stop work and return or raise.
    cancelled: threading.Event


@dataclass(frozen=True)
class Evaluator:
    description: str
    # Runs in a worker thread, one at a time per device: blocking work is fine here.
    evaluate: Callable[[EvalRequest, EvalContext], EvalResult]
    # Raises (an EvaluationError, with the reason) when the evaluator cannot run on this machine.
    check: Callable[[], None]


def _nb201_table(request: EvalRequest, _ctx: EvalContext) -> EvalResult:
    return load_table().lookup(request["arch"], request["dataset"], request.get("latencyDevice"))


def _nb201_check() -> None:
    load_table()  # reads the table now, so a worker without it says so at start-up


EVALUATORS: dict[str, Evaluator] = {
    "nb201-table": Evaluator(
        description="NAS-Bench-201 accuracies and costs from the benchmark table (latency: hw.csv)",
        evaluate=_nb201_table,
        check=_nb201_check,
    ),
    "ofa-supernet": Evaluator(
        description="OFA MobileNetV3 subnet with supernet weights, BN recalibrated: ImageNet top-1",
        evaluate=ofa_supernet.evaluate,
        check=ofa_supernet.check,
    ),
}


def select_evaluators(
    serve: Iterable[str] | None = None,
) -> tuple[dict[str, Evaluator], dict[str, str]]:
    """The evaluators to serve, and why not the others ("<name>: <reason>"), as createEvaluators.

    Those named in `serve` (EVAL_EVALUATORS) must pass their check; without a
    list every evaluator that can run here is served, so a worker for one
    benchmark needs no other benchmark's data.
    """
    names = list(serve) if serve else list(EVALUATORS)
    unknown = [n for n in names if n not in EVALUATORS]
    if unknown:
        raise ValueError(
            f"EVAL_EVALUATORS: unknown evaluator(s) {', '.join(unknown)}; "
            f"known: {', '.join(EVALUATORS)}"
        )
    served: dict[str, Evaluator] = {}
    skipped: dict[str, str] = {}
    for name in names:
        try:
            EVALUATORS[name].check()
        except Exception as err:
            if serve:
                raise
            why = str(err)
            skipped[name] = why if why.startswith(f"{name}:") else f"{name}: {why}"
            continue
        served[name] = EVALUATORS[name]
    if not served:
        reasons = "\n".join(f"  - {why}" for why in skipped.values())
        raise RuntimeError(f"no evaluator can run on this worker:\n{reasons}")
    return served, skipped
