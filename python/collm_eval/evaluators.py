"""The evaluators this worker can serve, by their name in a search config (`evaluation.evaluator`).

Adding one: in its own module, write `evaluate(request, ctx) -> result` (and a
`check()` that raises when it cannot run on this machine) and export them as
`EVALUATOR = Evaluator(...)` (types from .context; never import this module
from an evaluator), then add one line to EVALUATORS.
A request and a result are the JSON objects of schemas/eval-*.schema.json.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import nb201, ofa_supernet
from .context import EvalContext, EvalRequest, EvalResult, Evaluator

# Re-exported: the worker and the self-tests import these from here.
__all__ = [
    "EVALUATORS",
    "EvalContext",
    "EvalRequest",
    "EvalResult",
    "Evaluator",
    "select_evaluators",
]

EVALUATORS: dict[str, Evaluator] = {
    "nb201-table": nb201.EVALUATOR,
    "ofa-supernet": ofa_supernet.EVALUATOR,
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
