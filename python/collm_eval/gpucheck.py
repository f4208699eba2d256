"""`python -m collm_eval.gpucheck`: does ofa-supernet run, and count right, on this machine's GPUs?

It needs no weights and no ImageNet: in a scratch directory it saves a
randomly initialised supernet for each ofa-mbv3 space where the evaluator
loads weights from, and makes small synthetic ImageNet folders. Then, on each
device, it evaluates the subnets of test/fixtures/ofa-subnet-costs.json (and
OFA's published subnets when specialized-flops.csv is at hand) through the
evaluator's own code, compares each subnet's FLOPs and parameters with the
TypeScript cost model's, and prints seconds per evaluation and images per
second. Accuracy is meaningless here (random weights, random images).
Then it checks the evaluator's image cache on each device (gpucheck_cache:
cached or not, twice, at once, evicted: the same numbers) and, with --bench,
times the first and second evaluation with and without the cache against the
forward pass alone.

  --devices     cuda:0,cuda:1 | cpu  (default: EVAL_DEVICES, else every CUDA device)
  --bench       also measure the cache and the forward-pass limit

Exit codes: 0 all good; 1 a count disagrees or an evaluation failed; 2 usage;
3 it cannot run here (no PyTorch/ofa, no CUDA device, a device this machine
lacks), with what to do.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import gpucheck_cache
from . import gpucheck_data as data
from .context import EvalContext
from .contract import result_problems
from .devices import GPU_HELP, check_cuda_devices, describe, probe_cuda

CANNOT_RUN = 3
INSTALL = f".tools/python/bin/pip install -r {GPU_HELP}"
# The cost model counts exactly what OFA's profiler counts (src/spaces/ofa-mbv3/cost.ts), so the
# only gap is the profiler's arithmetic: it sums the layers' counts in float32 (ofa/utils/
# flops_counter.py), each addition rounding by up to half a unit in the last place of the total
# (32 MACs near 1 GMAC), over the 48 to 90 counted layers of these subnets, unbiased. Measured:
# at most 32 MACs (8e-8). 1e-6 leaves room for that and is less than the smallest layer of any of
# them (an SE 1x1 conv on the pooled map, >= 1,728 MACs and >= 4.6e-6 of its subnet's total), so
# a layer missed or miscounted fails the check. Parameters are exact integers: to 6 decimals.
FLOPS_REL_TOL = 1e-6
PARAMS_ABS_TOL = 1e-6
# OFA's published names round the count (flops@389M for 389.49): the 2% the cost model documents.
PUBLISHED_REL_TOL = 0.02


@dataclass
class Row:
    device: str
    subnet: data.Subnet
    seconds: float
    images: int
    first: bool
    decoded: bool  # it decoded images into the cache (the first at its resolution)
    problems: list[str]


def _cannot_run(message: str) -> int:
    print(f"gpucheck: cannot run here: {message}", file=sys.stderr)
    return CANNOT_RUN


def _missing_package() -> str | None:
    for name in (
        "torch",
        "torchvision",
        "ofa.model_zoo",
        "ofa.imagenet_classification.elastic_nn.utils",
    ):
        try:
            importlib.import_module(name)
        except ImportError as err:
            return err.name or name
    return None


def _devices(text: str | None) -> list[str] | str:
    """The devices to check, or why there are none."""
    if text:
        return list(
            dict.fromkeys(d.strip() for d in text.split(",") if d.strip())
        )  # EVAL_DEVICES may repeat one
    found = probe_cuda()
    if not found.devices:
        return f"this machine has {describe(found)}; pass --devices cpu to check on the CPU"
    return [label for label, _ in found.devices]


def _compare(subnet: data.Subnet, cost: dict[str, float]) -> list[str]:
    problems = []
    flops, params = cost["flopsM"], cost["paramsM"]
    if subnet.flops_m is not None and abs(flops - subnet.flops_m) > FLOPS_REL_TOL * subnet.flops_m:
        problems.append(f"FLOPs {flops:.6f} M, the cost model says {subnet.flops_m:.6f} M")
    if subnet.params_m is not None and abs(params - subnet.params_m) > PARAMS_ABS_TOL + 1e-12:
        problems.append(f"params {params:.6f} M, the cost model says {subnet.params_m:.6f} M")
    published = subnet.published_mflops
    if published is not None and abs(flops - published) > PUBLISHED_REL_TOL * published:
        problems.append(f"FLOPs {flops:.2f} M, OFA published {published:g} M")
    return problems


def _evaluate(device: str, subnet: data.Subnet, options: dict[str, Any], first: bool) -> Row:
    from . import ofa_supernet

    request = {
        "evaluator": "ofa-supernet",
        "options": options,
        "space": subnet.space,
        "dataset": "imagenet",
        "arch": subnet.arch,
    }
    ctx = EvalContext(device=device, heartbeat=lambda _details: None, cancelled=threading.Event())
    cache = ofa_supernet._cache()  # the worker's, as a search's evaluations use it
    decoded = cache.decoded
    started = time.perf_counter()
    try:
        result = ofa_supernet.evaluate(request, ctx)
    # Reported, and the check goes on: the other subnets and devices still tell something.
    except Exception as err:
        lines = str(err).strip().splitlines()
        failure = f"{type(err).__name__}: {lines[0] if lines else ''}"
        print(f"  {device:8} {subnet.space:13} {subnet.name:34} FAILED: {failure}", flush=True)
        return Row(device, subnet, time.perf_counter() - started, 0, first, False, [failure])
    seconds = time.perf_counter() - started
    decodes = cache.decoded > decoded
    problems = result_problems(result) + _compare(subnet, result["cost"])
    images = int(result["metrics"]["calibImages"] + result["metrics"]["valImages"])
    flops, params = result["cost"]["flopsM"], result["cost"]["paramsM"]
    print(
        f"  {device:8} {subnet.space:13} {subnet.name:34} {flops:8.3f} MFLOPs "
        f"{params:6.3f} M params "
        f"{seconds:6.2f} s {images / seconds:7.1f} img/s{' (loads the supernet)' if first else ''}"
        f"{' (decodes its images)' if decodes else ''}"
        f"{'  ok' if not problems else '  MISMATCH: ' + '; '.join(problems)}",
        flush=True,
    )
    return Row(device, subnet, seconds, images, first, decodes, problems)


def _summary(rows: list[Row], device: str) -> str:
    import torch

    done = [r for r in rows if r.device == device and r.images]
    # One that builds a supernet and loads its weights, or decodes images into the cache, is not
    # what a search's next one costs.
    warm = [r for r in done if not r.first and not r.decoded] or done
    if not warm:
        return f"{device}: no evaluation succeeded"
    seconds = sum(r.seconds for r in warm)
    text = (
        f"{device}: {seconds / len(warm):.2f} s per evaluation, "
        f"{sum(r.images for r in warm) / seconds:.1f} images/s (over {len(warm)} evaluations"
        f"{', not those that load a supernet or decode images' if len(warm) < len(done) else ''})"
    )
    if device.startswith("cuda"):
        index = torch.device(device).index or 0
        peak = torch.cuda.max_memory_allocated(index) / 2**30
        text += f", {torch.cuda.get_device_name(index)}, peak memory {peak:.2f} GiB"
    return text


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer (got {text})")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m collm_eval.gpucheck",
        description="Runs ofa-supernet on each device with random weights and synthetic images; "
        "checks its FLOPs and params against the TypeScript cost model's, prints its speed.",
    )
    p.add_argument(
        "--devices",
        help="comma list, e.g. cuda:0,cuda:1 or cpu "
        "(default: EVAL_DEVICES, else every CUDA device)",
    )
    p.add_argument(
        "--calib-images",
        type=_positive,
        help="BN-recalibration images per evaluation (default 500, 2000 with --bench; "
        "32 on the CPU)",
    )
    p.add_argument(
        "--val-images",
        type=_positive,
        help="validation images per evaluation (default 1000, 10000 with --bench; 64 on the CPU)",
    )
    p.add_argument(
        "--batch-size", type=_positive, help="default 100, 200 with --bench; 16 on the CPU"
    )
    p.add_argument(
        "--bench",
        action="store_true",
        help="also time the first and second evaluation of the smallest and largest subnet with "
        "and without the image cache, and the forward pass alone",
    )
    p.add_argument("--loader-workers", type=_positive, default=min(8, os.cpu_count() or 1))
    p.add_argument(
        "--repeat",
        type=_positive,
        default=1,
        help="with --bench: rounds per measurement, the fastest kept (default 1)",
    )
    p.add_argument(
        "--fixture", type=Path, default=data.FIXTURE, help="subnets and their cost-model figures"
    )
    p.add_argument(
        "--keep", action="store_true", help="keep the scratch directory (weights, images)"
    )
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    missing = _missing_package()
    if missing:
        return _cannot_run(
            f"{missing} is not installed; install the GPU evaluators' packages: {INSTALL}"
        )
    import torch

    devices = _devices(args.devices or os.environ.get("EVAL_DEVICES"))
    if isinstance(devices, str):
        return _cannot_run(devices)
    for d in devices:
        try:
            torch.device(d)
        except RuntimeError:
            _parser().error(
                f"--devices: '{d}' is not a torch device; use e.g. cuda:0,cuda:1 or cpu"
            )
    try:
        check_cuda_devices(devices)
    except ValueError as err:
        return _cannot_run(
            str(err).replace("EVAL_DEVICES:", "--devices:", 1) if args.devices else str(err)
        )
    on_cpu = all(d == "cpu" for d in devices)
    # With --bench on a GPU: OFA's calibration subset and the evaluator's batch, and enough
    # validation images that an evaluation's fixed costs weigh about as in a search.
    calib = args.calib_images or (32 if on_cpu else 2000 if args.bench else 500)
    val = args.val_images or (64 if on_cpu else 10000 if args.bench else 1000)
    batch = args.batch_size or (16 if on_cpu else 200 if args.bench else 100)
    subnets = data.load_fixture(args.fixture)
    published = data.published_csv()
    if published:
        subnets += data.load_published(published, subnets)
    subnets.sort(key=lambda s: s.space, reverse=True)  # stable: each space's subnets together
    # ofa_net reads weights relative to the working directory: a scratch one, so nothing of the
    # user's is read or overwritten.
    home, workdir = Path.cwd(), Path(tempfile.mkdtemp(prefix="collm-gpucheck-"))
    print(
        f"gpucheck: torch {torch.__version__}, devices {', '.join(devices)}; "
        f"{len(subnets)} subnets ({args.fixture}{', ' + str(published) if published else ''}); "
        f"{calib} calibration + {val} validation images each, batch {batch}, "
        f"{args.loader_workers} loader workers; in {workdir}",
        flush=True,
    )
    rows: list[Row] = []
    cache_problems: list[str] = []
    bench: list[str] = []
    try:
        os.chdir(workdir)
        data.forbid_downloads()
        data.make_weights(workdir, {s.space for s in subnets})
        imagenet = data.make_imagenet(workdir / "imagenet", calib, val)
        options = {
            "imagenetDir": str(imagenet),
            "batchSize": batch,
            "calibImages": calib,
            "loaderWorkers": args.loader_workers,
        }
        fixture = data.load_fixture(args.fixture)
        # The cheapest subnet for the cache's checks; the fixture's smallest and largest w1.2.
        cheapest = min(fixture, key=lambda s: s.flops_m or float("inf"))
        timed = [
            s for s in fixture if s.space == "ofa-mbv3-w12" and s.name in ("smallest", "largest")
        ]
        for device in devices:
            loaded: set[str] = set()
            for subnet in subnets:
                rows.append(_evaluate(device, subnet, options, subnet.space not in loaded))
                loaded.add(subnet.space)
            # Reported, and the check goes on, as a failed evaluation above.
            try:
                cache_problems += [
                    f"{device}: {p}" for p in gpucheck_cache.check(device, cheapest, options)
                ]
                if args.bench:
                    bench += gpucheck_cache.bench(device, timed, options, args.repeat)
            except Exception as err:
                lines = str(err).strip().splitlines()
                failure = f"{type(err).__name__}: {lines[0] if lines else ''}"
                print(f"  {device:8} cache: FAILED: {failure}", flush=True)
                cache_problems.append(f"{device}: {failure}")
    finally:
        os.chdir(home)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    for device in devices:
        print(_summary(rows, device))
    for line in bench:
        print(f"bench: {line}")
    bad = [r for r in rows if r.problems]
    if bad or cache_problems:
        if bad:
            print(
                f"gpucheck: FAILED: {len(bad)} of {len(rows)} evaluations disagree or failed",
                file=sys.stderr,
            )
        for r in bad:
            print(
                f"  {r.device} {r.subnet.space} {r.subnet.name}: {'; '.join(r.problems)}",
                file=sys.stderr,
            )
        for p in cache_problems:
            print(f"gpucheck: FAILED: image cache: {p}", file=sys.stderr)
        return 1
    print(
        f"gpucheck: ok, {len(rows)} evaluations: every count agrees with the cost model; "
        "the image cache changes no number"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
