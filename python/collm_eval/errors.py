"""Evaluation errors that know whether another attempt could succeed.

Mirrors src/evaluators/types.ts: `retryable=False` (missing data, an illegal
architecture) makes the activity fail non-retryably, which ends the search
with this message; anything else is retried by Temporal, except the device
failures `device_error` recognises.
"""

from __future__ import annotations

import socket
import sys


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
