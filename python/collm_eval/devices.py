"""Which CUDA devices this machine has: the worker refuses, at start-up and
before it connects, an EVAL_DEVICES entry it cannot honour, rather than fail
every evaluation later. As src/workers/devices.ts, with PyTorch's own view
first when it imports (it is what the evaluators use).

The machine is a boundary we don't own, so checks take the probe as an
argument: tests hand in what the machine would say.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PROC_GPUS = Path("/proc/driver/nvidia/gpus")
GPU_HELP = "python/requirements-gpu.txt"
# cuda and cuda:N are devices to torch and CUDA; any other label is a slot name, not interpreted.
CUDA_LABEL = re.compile(r"^cuda(?::(.*))?$")


@dataclass(frozen=True)
class PhysicalGpu:
    index: int
    name: str
    uuid: str


@dataclass(frozen=True)
class CudaProbe:
    # (label, name) in CUDA's numbering, e.g. ("cuda:0", "NVIDIA H200").
    devices: list[tuple[str, str]]
    # Where they were found, or why none were: the refusal says it, so the user can act on it.
    source: str


def parse_nvidia_smi(text: str) -> list[PhysicalGpu]:
    gpus = []
    for line in text.splitlines():
        cols = [c.strip() for c in line.split(",")]
        if len(cols) >= 2 and cols[0].isdigit():
            gpus.append(PhysicalGpu(int(cols[0]), cols[1], cols[2] if len(cols) > 2 else ""))
    return gpus


def _nvidia_smi() -> list[PhysicalGpu] | str | None:
    """nvidia-smi's list; a string when it runs but fails (no driver loaded); None when absent."""
    try:
        run = subprocess.run(
            ["nvidia-smi", "--query-gpu=index,name,uuid", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=15,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if run.returncode != 0:
        first = (run.stdout + run.stderr).strip().splitlines()
        return f"nvidia-smi failed: {first[0] if first else f'exit {run.returncode}'}"
    return parse_nvidia_smi(run.stdout)


def _proc_gpus() -> list[PhysicalGpu] | None:
    """The driver's own list, one folder per GPU named by PCI bus id (nvidia-smi's order too)."""
    try:
        buses = sorted(p for p in PROC_GPUS.iterdir())
    except OSError:
        return None
    gpus = []
    for index, bus in enumerate(buses):
        info = (bus / "information").read_text()
        fields = dict(
            (k.strip(), v.strip())
            for k, _, v in (line.partition(":") for line in info.splitlines())
        )
        gpus.append(
            PhysicalGpu(
                index, fields.get("Model") or f"GPU at {bus.name}", fields.get("GPU UUID", "")
            )
        )
    return gpus


def visible_gpus(gpus: Sequence[PhysicalGpu], visible: str | None) -> list[PhysicalGpu]:
    """The GPUs CUDA_VISIBLE_DEVICES shows, renumbered from 0; like CUDA, stops at a bad entry."""
    if visible is None:
        return list(gpus)
    out: list[PhysicalGpu] = []
    for entry in (e.strip() for e in visible.split(",")):
        if entry.startswith("MIG-"):
            # A MIG instance is not in nvidia-smi's GPU list; CUDA shows it as a device of its own.
            gpu: PhysicalGpu | None = PhysicalGpu(-1, f"MIG instance {entry}", entry)
        elif entry.isdigit():
            gpu = next((g for g in gpus if g.index == int(entry)), None)
        else:
            gpu = next((g for g in gpus if entry and g.uuid.startswith(entry)), None)
        if gpu is None or gpu in out:
            break
        out.append(gpu)
    return out


def probe_driver(
    env: Mapping[str, str],
    nvidia_smi: Callable[[], list[PhysicalGpu] | str | None] = _nvidia_smi,
    proc_gpus: Callable[[], list[PhysicalGpu] | None] = _proc_gpus,
) -> CudaProbe:
    """The GPUs the NVIDIA driver lists (nvidia-smi, else /proc) that CUDA_VISIBLE_DEVICES shows."""
    smi = nvidia_smi()
    gpus = smi if isinstance(smi, list) else proc_gpus()
    if gpus is None:
        why = (
            smi
            if isinstance(smi, str)
            else f"no NVIDIA driver found: no nvidia-smi on PATH, no {PROC_GPUS}"
        )
        return CudaProbe([], why)
    visible = env.get("CUDA_VISIBLE_DEVICES")
    devices = [(f"cuda:{i}", g.name) for i, g in enumerate(visible_gpus(gpus, visible))]
    source = "nvidia-smi" if isinstance(smi, list) else str(PROC_GPUS)
    return CudaProbe(
        devices, source if visible is None else f"{source}, CUDA_VISIBLE_DEVICES={visible}"
    )


def probe_cuda(env: Mapping[str, str] = os.environ) -> CudaProbe:
    """PyTorch's devices when it imports (it honours CUDA_VISIBLE_DEVICES), else the driver's."""
    try:
        import torch
    except ImportError:
        return probe_driver(env)
    version = torch.__version__
    if torch.version.cuda is None:
        return CudaProbe([], f"PyTorch {version} is a CPU-only build; install {GPU_HELP}")
    count = torch.cuda.device_count()
    if count == 0:
        driver = probe_driver(env)
        if not driver.devices:
            return driver
        return CudaProbe(
            [],
            f"PyTorch {version} (CUDA {torch.version.cuda}) sees none of the {len(driver.devices)} "
            f"GPU(s) the driver lists ({driver.source}); is the driver too old for "
            f"CUDA {torch.version.cuda}?",
        )
    try:
        names = [torch.cuda.get_device_name(i) for i in range(count)]
    except Exception as err:  # CUDA fails to initialise: every evaluation would fail the same way
        return CudaProbe([], f"PyTorch {version} cannot use them: {str(err).splitlines()[0]}")
    return CudaProbe([(f"cuda:{i}", n) for i, n in enumerate(names)], f"PyTorch {version}")


def describe(probe: CudaProbe) -> str:
    """ "1 CUDA device (cuda:0, NVIDIA H200)", "no CUDA device (why)"."""
    n = len(probe.devices)
    if n == 0:
        return f"no CUDA device ({probe.source})"
    listed = "; ".join(f"{label}, {name}" for label, name in probe.devices)
    return f"{n} CUDA device{'' if n == 1 else 's'} ({listed})"


def check_cuda_devices(devices: Sequence[str], probe: Callable[[], CudaProbe] = probe_cuda) -> None:
    """Raises ValueError naming the device and what the machine has.

    The machine is probed only if a cuda label is listed: CPU workers never look for a driver.
    """
    cuda = [d for d in devices if CUDA_LABEL.match(d)]
    if not cuda:
        return
    found = probe()
    for device in cuda:
        index = CUDA_LABEL.match(device).group(1)  # type: ignore[union-attr]
        if index is not None and not index.isdigit():
            raise ValueError(
                f"EVAL_DEVICES: {device} is not a CUDA device; write cuda:<index>, e.g. cuda:0"
            )
        if int(index or 0) >= len(found.devices):
            raise ValueError(
                f"EVAL_DEVICES: {device} is not on this machine: it has {describe(found)}"
            )
