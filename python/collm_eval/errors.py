"""Evaluation errors that know whether another attempt could succeed.

Mirrors src/evaluators/types.ts: `retryable=False` (missing data, an illegal
architecture) makes the activity fail non-retryably, which ends the search
with this message; anything else is retried by Temporal, except the device
failures `device_error` recognises.
"""

from __future__ import annotations

import re
import socket
import sys

from temporalio.exceptions import ApplicationError


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


# What PyTorch says when a device is missing or broken (driver, ordinal, ECC, lost GPU): the same
# on every attempt on this worker, so not retried; run on a CPU-only build or a machine without the
# GPU, torch raises RuntimeError/AssertionError with these words rather than AcceleratorError.
# Compared in lower case: torch says "No CUDA GPUs are available".
_DEVICE_FAILURES = (
    "cuda error",
    "invalid device ordinal",
    "no cuda gpus are available",
    "found no nvidia driver",
    "torch not compiled with cuda enabled",
    "cuda driver",
)
# Out of memory may pass (another process on the GPU, fragmentation): retried, within the
# search's retry policy.
_OUT_OF_MEMORY = ("cuda out of memory", "cuda error: out of memory")


def device_error(err: BaseException, device: str) -> EvaluationError | None:
    """The EvaluationError for a device failure, naming the device; None for any other error.

    torch is looked up, not imported: if it raised the error, it is loaded.
    """
    torch = sys.modules.get("torch")
    text = str(err).lower()
    first = str(err).strip().splitlines()[0] if text.strip() else type(err).__name__
    where = f"eval worker {socket.gethostname()}, device {device}"
    oom = getattr(torch, "OutOfMemoryError", None)
    if (oom is not None and isinstance(err, oom)) or any(p in text for p in _OUT_OF_MEMORY):
        return EvaluationError(f"{where}: out of memory: {first}", True, "DeviceOutOfMemory")
    accelerator = getattr(torch, "AcceleratorError", None)
    if (accelerator is not None and isinstance(err, accelerator)) or (
        isinstance(err, (RuntimeError, AssertionError)) and any(p in text for p in _DEVICE_FAILURES)
    ):
        return EvaluationError(
            f"{where}: {first} (a device error no retry on this worker can fix: check EVAL_DEVICES "
            "and the GPU with nvidia-smi there)",
            False,
            "DeviceError",
        )
    return None


# A failure's message is stored in the workflow history and shown to users: a
# request's 10 MB arch quoted in it must not be. As MAX_MESSAGE_CHARS in
# src/activities/eval-failure.ts, which cuts the same way.
MAX_MESSAGE_CHARS = 2000
# A run of this many characters without a space is a quoted value, not prose: cut to its head.
_LONG_WORD = 200
_WORD_HEAD = 100
_LONG_WORDS = re.compile(rf"[^ \t\n\r\f\v]{{{_LONG_WORD + 1},}}")
_OPENERS = "'\"([{<"
_CLOSERS = "'\")]}>,;:."


def _cut_word(word: str) -> str:
    """`'xxxx…' (10,000,000 characters)`: quotes and punctuation around the value kept."""
    start = len(word) - len(word.lstrip(_OPENERS))
    end = max(start, len(word.rstrip(_CLOSERS)))
    value = word[start:end]
    return f"{word[:start]}{value[:_WORD_HEAD]}…{word[end:]} ({len(value):,} characters)"


def bound_message(message: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`message` if it fits in `limit` characters; else long values cut, then the whole if need be."""
    if len(message) <= limit:
        return message
    cut = _LONG_WORDS.sub(lambda m: _cut_word(m.group()), message)
    if len(cut) <= limit:
        return cut
    tail = f"… (cut: the message was {len(message):,} characters)"
    return cut[: limit - len(tail)] + tail


def to_failure(err: Exception) -> ApplicationError:
    """The failure Temporal stores for `err`, its message bounded: the one place errors become failures.

    Retry semantics are the SDK's own: an ApplicationError keeps its flags, an
    EvaluationError says whether a retry can help, any other exception is retried
    under its class name. The traceback is kept (it holds code, not values); the
    cause is not (the SDK would send its message whole).
    """
    if isinstance(err, ApplicationError):
        failure = ApplicationError(
            bound_message(err.message),
            *err.details,
            type=err.type,
            non_retryable=err.non_retryable,
            next_retry_delay=err.next_retry_delay,
            category=err.category,
        )
    elif isinstance(err, EvaluationError):
        failure = ApplicationError(
            bound_message(err.message), type=err.type, non_retryable=not err.retryable
        )
    else:
        failure = ApplicationError(bound_message(str(err)), type=type(err).__name__)
    return failure.with_traceback(err.__traceback__)
