"""Checks of the worker's device handling that need no GPU and no server (no pytest needed).

  python -m collm_eval.selftest_devices   asserts the start-up check of EVAL_DEVICES (with probes
      standing in for the machine, and with this machine's own) and how the `evaluate` activity
      fails on device errors, and prints those failures as JSON for test/eval-devices.test.ts.

Device errors are raised as torch raises them: where torch is installed, its own classes; else a
stand-in `torch` module with classes of the same names, which is all the mapping looks at.
"""

from __future__ import annotations

import asyncio
import json
import sys
import types
from collections.abc import Callable
from typing import Any

from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from .context import EvalContext, Evaluator
from .devices import CudaProbe, PhysicalGpu, check_cuda_devices, probe_cuda, probe_driver
from .worker import create_evaluate_activity

H200 = CudaProbe([("cuda:0", "NVIDIA H200")], "nvidia-smi")
NONE = CudaProbe([], "no NVIDIA driver found")
REQUEST = {
    "evaluator": "gpu",
    "options": {},
    "space": "ofa-mbv3-w12",
    "dataset": "imagenet",
    "arch": "{}",
}


def _refused(devices: list[str], probe: Callable[[], CudaProbe]) -> str | None:
    try:
        check_cuda_devices(devices, probe)
    except ValueError as err:
        return str(err)
    return None


def _unprobed() -> CudaProbe:
    raise AssertionError("probed the machine for devices that are not CUDA devices")


def startup() -> dict[str, Any]:
    one_gpu = _refused(["cuda:0", "cuda:7"], lambda: H200)
    assert one_gpu == (
        "EVAL_DEVICES: cuda:7 is not on this machine: it has 1 CUDA device (cuda:0, NVIDIA H200)"
    ), one_gpu
    assert _refused(["cuda:0", "cuda", "cpu"], lambda: H200) is None
    assert _refused(["cpu", "cpu", "slot:3", "onnx:cuda", "cuda0"], _unprobed) is None
    no_gpu = _refused(["cuda"], lambda: NONE)
    assert (
        no_gpu == "EVAL_DEVICES: cuda is not on this machine: it has no CUDA device "
        "(no NVIDIA driver found)"
    ), no_gpu
    bad = _refused(["cuda:one"], lambda: H200)
    assert bad == "EVAL_DEVICES: cuda:one is not a CUDA device; write cuda:<index>, e.g. cuda:0", (
        bad
    )

    # The driver's view, renumbered by CUDA_VISIBLE_DEVICES as CUDA does.
    gpus = [PhysicalGpu(0, "NVIDIA A100", "GPU-aaaa"), PhysicalGpu(1, "NVIDIA H200", "GPU-bbbb")]

    def driver(visible: str | None, smi: Any = gpus, proc: Any = None) -> CudaProbe:
        env = {} if visible is None else {"CUDA_VISIBLE_DEVICES": visible}
        return probe_driver(env, lambda: smi, lambda: proc)

    assert driver(None).devices == [("cuda:0", "NVIDIA A100"), ("cuda:1", "NVIDIA H200")]
    assert driver("1").devices == [("cuda:0", "NVIDIA H200")]
    assert driver("GPU-bb,0").devices == [("cuda:0", "NVIDIA H200"), ("cuda:1", "NVIDIA A100")]
    assert driver("0,7,1").devices == [("cuda:0", "NVIDIA A100")], "a bad entry ends the list"
    assert driver("").devices == [] and driver("-1").devices == []
    assert driver(None, smi=None, proc=gpus[1:]).devices == [("cuda:0", "NVIDIA H200")]
    failed = driver(None, smi="nvidia-smi failed: NVIDIA-SMI has failed", proc=None)
    assert failed == CudaProbe([], "nvidia-smi failed: NVIDIA-SMI has failed"), failed

    # This machine: one past its last CUDA device is refused, whatever it has.
    here = probe_cuda()
    beyond = f"cuda:{len(here.devices)}"
    refusal = _refused([beyond], probe_cuda)
    assert refusal is not None and refusal.startswith(
        f"EVAL_DEVICES: {beyond} is not on this machine: it has "
    ), refusal
    return {"oneGpu": one_gpu, "noGpu": no_gpu, "here": refusal}


def _torch_errors() -> tuple[type[Exception], type[Exception], Callable[[], None]]:
    """torch.AcceleratorError and torch.OutOfMemoryError, and how to undo the stand-in."""
    try:
        import torch

        return torch.AcceleratorError, torch.OutOfMemoryError, lambda: None
    except ImportError:
        stand_in = types.ModuleType("torch")
        accelerator = type("AcceleratorError", (RuntimeError,), {"__module__": "torch"})
        oom = type("OutOfMemoryError", (RuntimeError,), {"__module__": "torch"})
        stand_in.AcceleratorError, stand_in.OutOfMemoryError = accelerator, oom  # type: ignore[attr-defined]
        sys.modules["torch"] = stand_in
        return accelerator, oom, lambda: sys.modules.pop("torch", None)


def _failure(exc: Exception) -> dict[str, Any]:
    def evaluate(_request: dict[str, Any], _ctx: EvalContext) -> dict[str, Any]:
        raise exc

    activity = create_evaluate_activity(
        {"gpu": Evaluator("raises", evaluate, lambda: None)}, ["cuda:3"]
    )
    try:
        asyncio.run(ActivityEnvironment().run(activity, REQUEST))
    except ApplicationError as err:
        return {"type": err.type, "message": err.message, "nonRetryable": err.non_retryable}
    except Exception as err:  # the worker lets other errors through: Temporal retries them
        return {"type": type(err).__name__, "message": str(err), "nonRetryable": False}
    raise AssertionError(f"{exc!r} did not fail the evaluation")


def evaluation_failures() -> dict[str, dict[str, Any]]:
    accelerator, oom, undo = _torch_errors()
    cuda_error = (
        "CUDA error: invalid device ordinal\n"
        "GPU device may be out of range, do you have enough GPUs?"
    )
    try:
        cases = {
            "acceleratorError": _failure(
                accelerator("CUDA error: an illegal memory access was encountered")
            ),
            "invalidOrdinal": _failure(RuntimeError(cuda_error)),
            "noDriver": _failure(
                RuntimeError("Found no NVIDIA driver on your system. Please check ...")
            ),
            "cpuOnlyTorch": _failure(AssertionError("Torch not compiled with CUDA enabled")),
            "noGpus": _failure(RuntimeError("No CUDA GPUs are available")),
            "outOfMemory": _failure(oom("CUDA out of memory. Tried to allocate 2.00 GiB")),
            "outOfMemoryText": _failure(RuntimeError("CUDA error: out of memory")),
            "other": _failure(RuntimeError("loss is NaN")),
        }
    finally:
        undo()
    for name in ("acceleratorError", "invalidOrdinal", "noDriver", "cpuOnlyTorch", "noGpus"):
        case = cases[name]
        assert case["type"] == "DeviceError" and case["nonRetryable"] is True, (name, case)
        assert ", device cuda:3: " in case["message"] and "\n" not in case["message"], (name, case)
    assert "invalid device ordinal" in cases["invalidOrdinal"]["message"]
    for name in ("outOfMemory", "outOfMemoryText"):
        assert (
            cases[name]["type"] == "DeviceOutOfMemory" and cases[name]["nonRetryable"] is False
        ), cases[name]
        assert "device cuda:3: out of memory" in cases[name]["message"], cases[name]
    assert cases["other"] == {
        "type": "RuntimeError",
        "message": "loss is NaN",
        "nonRetryable": False,
    }
    return cases


def main() -> None:
    json.dump({"startup": startup(), "failures": evaluation_failures()}, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
