"""The eval activities' contract, checked with the JSON Schemas in schemas/.

`evaluate`: eval-request in, eval-result out. `evaluateBatch`: eval-batch-request
in, a list of eval-batch-outcome out (one per arch, in order).

The schemas are generated from src/evaluators/contract.ts (npm run schemas);
never edit them by hand. One thing zod checks cannot be said in JSON Schema:
numbers must be finite, so that is checked here as well (a NaN would not even
survive the trip as JSON).
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

SCHEMA_DIR = Path(__file__).parent / "schemas"


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _where(path: list[str | int]) -> str:
    return (
        "".join(
            f"[{p}]" if isinstance(p, int) else (p if i == 0 else f".{p}")
            for i, p in enumerate(path)
        )
        or "(root)"
    )


def _non_finite(value: Any) -> list[str]:
    """Each non-finite number in `value`, in document order; iterative, so no depth overflows it."""
    found: list[str] = []
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        v, path = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            found.append(f"{_where(path)}: must be a finite number (got {v})")
        elif isinstance(v, dict):
            stack.extend((x, [*path, str(k)]) for k, x in reversed(list(v.items())))
        elif isinstance(v, list):
            stack.extend((x, [*path, i]) for i, x in reversed(list(enumerate(v))))
    return found


# jsonschema quotes the value it refuses: a batch of 2,001 archs made a 200,000-character
# message, cut (errors.bound_message) before it said what was wrong.
_MAX_QUOTE = 200


def _message(error: ValidationError) -> str:
    """The error's message, a long value it quotes replaced by what it is and its size."""
    quoted = repr(error.instance)
    if len(quoted) <= _MAX_QUOTE or quoted not in error.message:
        return error.message
    value = error.instance
    size = len(value) if isinstance(value, (list, dict, str)) else len(quoted)
    unit = {list: "items", dict: "keys"}.get(type(value), "characters")
    return error.message.replace(quoted, f"({type(value).__name__} of {size:,} {unit})")


def problems(name: str, value: Any) -> list[str]:
    """Every way `value` breaks schema `name` (a file in schemas/, e.g. "eval-request"), one line each."""
    errors = sorted(
        _validator(name).iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path]
    )
    found = [f"{_where(list(e.absolute_path))}: {_message(e)}" for e in errors]
    return found + _non_finite(value)


def request_problems(request: Any) -> list[str]:
    return problems("eval-request", request)


def result_problems(result: Any) -> list[str]:
    return problems("eval-result", result)


def batch_request_problems(request: Any) -> list[str]:
    return problems("eval-batch-request", request)


def batch_outcome_problems(outcome: Any) -> list[str]:
    return problems("eval-batch-outcome", outcome)
