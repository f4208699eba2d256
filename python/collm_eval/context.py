"""What an evaluator is, and what an evaluation knows of the worker running it.

Shared by the registry (evaluators.py), the evaluator modules (nb201.py,
ofa_supernet.py) and the worker. It imports nothing of this package, so any
module here can import it without a cycle.
A request and a result are the JSON objects of schemas/eval-*.schema.json.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
    # What the worker's start-up line says of it on these devices (ofa-supernet: its image
    # cache's limits); None: nothing.
    status: Callable[[list[str]], str] | None = None
