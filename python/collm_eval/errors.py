"""Evaluation errors that know whether another attempt could succeed.

Mirrors src/evaluators/types.ts: `retryable=False` (missing data, an illegal
architecture) makes the activity fail non-retryably, which ends the search
with this message; anything else is retried by Temporal.
"""

from __future__ import annotations


class EvaluationError(Exception):
    """An evaluation that failed; `type` names it in Temporal's failure."""

    def __init__(self, message: str, retryable: bool, type: str = "EvaluationError") -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.type = type


class ArchitectureError(EvaluationError):
    """The architecture text is not legal in its space: it stays illegal, so never retried."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False, type="ArchitectureError")


class TableError(EvaluationError):
    """A benchmark table is missing or malformed, or lacks what was asked: no retry can help."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False, type="TableError")
