"""ofa-supernet's image cache with PyTorch: does it change no number, and what does it save?

Part of `python -m collm_eval.gpucheck` (which makes the random weights and
synthetic images these run on), and of `python -m collm_eval.selftest` where
PyTorch and ofa are installed (`standalone`).

`check` evaluates one subnet twice without the cache and twice with it, and
requires the same result and the same logits, bit for bit (a digest of every
validation batch's logits: random weights score about 0% on synthetic images,
so the accuracy alone would hide a difference); then two evaluations asking at
once (one decode), eviction to a limit that holds one resolution, and bf16
autocast (it runs, and changes the logits). `bench` times the first and the
second evaluation with and without the cache, and the forward pass alone on a
batch already on the device (the most an evaluation can reach).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import gpucheck_data as data
from . import image_cache, ofa_supernet
from .context import EvalContext
from .contract import result_problems
from .image_cache import ImageCache, Limits


@dataclass
class Run:
    result: dict[str, Any]
    digest: str  # of every validation batch's logits, in order; "" when not taken
    seconds: float
    phases: dict[str, float]
    sources: dict[str, str]  # where the calibration and validation images came from
    decoded: int  # images decoded into the cache during it


def _request(subnet: data.Subnet, options: dict[str, Any], r: int | None = None) -> dict[str, Any]:
    arch = json.loads(subnet.arch)
    if r is not None:
        arch["r"] = r
    return {
        "evaluator": "ofa-supernet",
        "options": options,
        "space": subnet.space,
        "dataset": "imagenet",
        "arch": json.dumps(arch),
    }


def run(
    device: str,
    subnet: data.Subnet,
    options: dict[str, Any],
    cache: ImageCache,
    r: int | None = None,
    digest: bool = True,
    beats: list[Any] | None = None,
) -> Run:
    """One evaluation through ofa_supernet.evaluate, with this cache; `beats` gets its
    heartbeats' details."""
    sha = hashlib.sha256()
    probe = ofa_supernet.Probe(
        logits=(lambda t: sha.update(t.detach().float().cpu().numpy().tobytes()))
        if digest
        else None
    )
    ctx = EvalContext(
        device=device,
        heartbeat=beats.append if beats is not None else lambda _d: None,
        cancelled=threading.Event(),
    )
    before = cache.decoded
    started = time.perf_counter()
    result = ofa_supernet.evaluate(_request(subnet, options, r), ctx, cache, probe)
    seconds = time.perf_counter() - started
    return Run(
        result,
        sha.hexdigest() if digest else "",
        seconds,
        dict(probe.seconds),
        dict(probe.sources),
        cache.decoded - before,
    )


def _images(options: dict[str, Any], result: dict[str, Any]) -> int:
    return int(result["metrics"]["calibImages"] + result["metrics"]["valImages"])


def check(device: str, subnet: data.Subnet, options: dict[str, Any]) -> list[str]:
    """The cache changes no number, decodes once, evicts to its limit; bf16 autocast runs."""
    memory = image_cache.TorchMemory()
    place = memory.place(device)
    problems: list[str] = []

    def expect(ok: bool, what: str) -> None:
        print(f"  {device:8} cache: {what}: {'ok' if ok else 'FAILED'}", flush=True)
        if not ok:
            problems.append(what)

    def same(a: Run, b: Run, what: str) -> None:
        expect(
            a.result == b.result and a.digest == b.digest,
            f"{what}: the same result and logits (top-1 {a.result['valAcc']!r} and "
            f"{b.result['valAcc']!r}, logits {a.digest[:12]} and {b.digest[:12]})",
        )

    off = ImageCache(memory, Limits(device=0, host=0))
    a, b = run(device, subnet, options, off), run(device, subnet, options, off)
    n = _images(options, a.result)
    r0 = json.loads(subnet.arch)["r"]
    calib, val = int(a.result["metrics"]["calibImages"]), int(a.result["metrics"]["valImages"])
    same(a, b, "without the cache, twice")
    expect(
        a.sources == {"calib": "decoded", "val": "decoded"} and off.uncached == 2 * n,
        f"without the cache, each evaluation decodes its {n} images ({off.uncached} decoded)",
    )
    on = ImageCache(memory, Limits())
    beats: list[Any] = []
    c, d = run(device, subnet, options, on), run(device, subnet, options, on, beats=beats)
    same(a, c, "with the cache (first, decoding) and without")
    same(c, d, "with the cache, twice")
    expect(
        (c.decoded, d.decoded) == (n, 0) and d.sources == {"calib": place, "val": place},
        f"with the cache, the first decodes {n} images into {place} ({c.decoded}), "
        f"the second none ({d.decoded}, read from {d.sources})",
    )

    last = json.loads(json.dumps(beats[-1])) if beats else {}
    expect(
        last.get("stage") == "validating"
        and last["cache"][place]["holds"] == [f"calib {r0}px x{calib}", f"val {r0}px x{val}"]
        and last["cache"]["decodedImages"] == n,
        f"heartbeats report the cache's memory ({json.dumps(last.get('cache'))})",
    )

    # Two evaluations asking for the same images at once: one decode, the same numbers.
    both = ImageCache(memory, Limits())
    runs: list[Run | BaseException] = []
    start = threading.Barrier(2)

    def one() -> None:
        start.wait()
        try:
            runs.append(run(device, subnet, options, both))
        except BaseException as err:  # reported below
            runs.append(err)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    errors = [r for r in runs if not isinstance(r, Run)]
    expect(not errors, f"two evaluations at once on {device} run ({errors})")
    if not errors:
        for r in runs:
            assert isinstance(r, Run)
            same(a, r, "two at once, each against the uncached one")
        expect(both.decoded == n, f"two at once decode the images once ({both.decoded} of {n})")

    # A device limit that holds one resolution: the other is evicted (from a GPU, to host memory,
    # whose limit has room for both; on the CPU host memory is the limited one).
    r1, r2 = r0, r0 + 16 if r0 < 224 else r0 - 16

    def size(r: int) -> int:
        return memory.nbytes(calib, (3, r, r)) + memory.nbytes(val, (3, r, r))

    limit = max(size(r1), size(r2))
    small = ImageCache(
        memory, Limits(device=limit, host=limit if place == image_cache.HOST else None)
    )
    e1 = run(device, subnet, options, small, r1)
    e2 = run(device, subnet, options, small, r2)
    held = small.usage().get(place, {})
    expect(
        held.get("holds") == [f"calib {r2}px x{calib}", f"val {r2}px x{val}"]
        and held.get("GiB", 0) <= round(limit / 2**30, 2),
        f"a limit of one resolution ({limit / 2**20:.1f} MiB) keeps {r2}px only in {place} "
        f"({held.get('holds')})",
    )
    e3 = run(device, subnet, options, small, r1)
    again = 0 if place != image_cache.HOST else n  # from a GPU the evicted ones went to host
    expect(
        e3.result == e1.result and e3.digest == e1.digest and e3.decoded == again,
        f"{r1}px again after eviction: the same numbers, {again} images decoded ({e3.decoded})",
    )
    expect(e2.digest != e1.digest, f"{r2}px and {r1}px give different logits")

    # bf16 autocast: runs, keeps the contract, changes the logits; the cached images serve it.
    f = run(device, subnet, {**options, "autocast": "bf16"}, on)
    expect(
        not result_problems(f.result) and f.digest != c.digest and f.decoded == 0,
        f"autocast bf16 runs (top-1 {f.result['valAcc']!r}), its logits differ from float32's, "
        f"from the cache ({f.decoded} decoded)",
    )
    return problems


def forward_limit(
    device: str, subnet: data.Subnet, batch: int, autocast: bool, min_seconds: float
) -> float:
    """Images/s of the subnet's forward pass on one batch already on the device."""
    import torch

    arch = json.loads(subnet.arch)
    _, d, ks, e = ofa_supernet.parse_arch(subnet.arch)
    r = arch["r"]
    dev = torch.device(device)
    net = ofa_supernet._subnet(ofa_supernet.NET_IDS[subnet.space], ks, e, d).to(dev).eval()
    x = torch.randn(batch, 3, r, r, device=dev)
    cast = (
        torch.autocast(dev.type, dtype=torch.bfloat16)
        if autocast
        else torch.autocast(dev.type, enabled=False)
    )

    def sync() -> None:
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)

    with torch.no_grad(), cast:
        for _ in range(3):
            net(x)
        sync()
        n, started = 0, time.perf_counter()
        while True:
            for _ in range(5 if dev.type == "cuda" else 1):
                net(x)
                n += 1
            sync()
            elapsed = time.perf_counter() - started
            if elapsed >= min_seconds and n >= 3:
                return n * batch / elapsed


def decode_limit(device: str, subnet: data.Subnet, options: dict[str, Any]) -> float:
    """Images/s of decoding and resizing the validation images alone (the evaluator's loader,
    no cache, no forward pass): what every evaluation was bound by before the cache."""
    import torch

    opts = ofa_supernet._options(options)
    _, val = ofa_supernet._specs(torch, opts, json.loads(subnet.arch)["r"])
    started = time.perf_counter()
    n = sum(len(labels) for _images, labels in val.source(opts.batch_size, device != "cpu"))
    return n / (time.perf_counter() - started)


def bench(
    device: str, subnets: list[data.Subnet], options: dict[str, Any], repeat: int = 1
) -> list[str]:
    """Per subnet: the first and second evaluation with and without the cache (each the fastest
    of `repeat` rounds, a fresh cache each round: other load on the machine only slows), the
    second with bf16 autocast, decoding alone and the forward limit; lines for the summary."""
    memory = image_cache.TorchMemory()
    lines = []
    bf16 = {**options, "autocast": "bf16"}
    for subnet in subnets:
        # Untimed: loads the supernet and lists the image folders, which only a worker's first
        # evaluation does.
        run(device, subnet, options, ImageCache(memory, Limits(device=0, host=0)), digest=False)
        best: dict[str, Run] = {}
        for _ in range(repeat):
            off = ImageCache(memory, Limits(device=0, host=0))
            on = ImageCache(memory, Limits())
            rounds = {
                "uncached, 1st": run(device, subnet, options, off, digest=False),
                "uncached, 2nd": run(device, subnet, options, off, digest=False),
                "cached, 1st": run(device, subnet, options, on, digest=False),
                "cached, 2nd": run(device, subnet, options, on, digest=False),
                "cached, 2nd, bf16": run(device, subnet, bf16, on, digest=False),
            }
            for name, r in rounds.items():
                if name not in best or r.seconds < best[name].seconds:
                    best[name] = r
        seconds = 2.0 if device.startswith("cuda") else 1.0
        decode = max(decode_limit(device, subnet, options) for _ in range(repeat))
        limits = {
            False: max(
                forward_limit(device, subnet, options["batchSize"], False, seconds)
                for _ in range(repeat)
            ),
            True: max(
                forward_limit(device, subnet, options["batchSize"], True, seconds)
                for _ in range(repeat)
            ),
        }
        first = best["cached, 1st"]
        images = _images(options, first.result)
        val = int(first.result["metrics"]["valImages"])
        head = f"{device} {subnet.space} {subnet.name} r={json.loads(subnet.arch)['r']}"
        lines.append(
            f"{head}: {int(first.result['metrics']['calibImages'])} calibration + {val} validation "
            f"images, batch {options['batchSize']}, best of {repeat}; forward limit "
            f"{limits[False]:.1f} images/s float32, {limits[True]:.1f} bf16 autocast; decoding "
            f"alone {decode:.1f} images/s ({options.get('loaderWorkers')} loader workers)"
        )
        for name, r in best.items():
            limit = limits[name.endswith("bf16")]
            rate, val_rate = images / r.seconds, val / r.phases["validate"]
            lines.append(
                f"{head}: {name:17} {r.seconds:7.2f} s {rate:8.1f} images/s "
                f"({100 * rate / limit:3.0f}% of the forward limit), validating {val_rate:8.1f} "
                f"images/s ({100 * val_rate / limit:3.0f}%); "
                + ", ".join(f"{k} {v:.2f} s" for k, v in r.phases.items())
            )
        second = best["cached, 2nd"]
        lines.append(
            f"{head}: second / first evaluation: {second.seconds / first.seconds:.2f} with the "
            f"cache, {second.seconds / best['uncached, 1st'].seconds:.2f} against one without it"
        )
    return lines


def standalone(device: str = "cpu") -> dict[str, Any]:
    """`check` on its own, in a scratch directory: for selftest, where PyTorch and ofa are
    installed. The smallest subnet of ofa-mbv3-w10, 16 calibration and 32 validation images."""
    import os
    import shutil

    subnet = next(
        s
        for s in data.load_fixture(data.FIXTURE)
        if s.space == "ofa-mbv3-w10" and s.name == "smallest"
    )
    home, workdir = Path.cwd(), Path(tempfile.mkdtemp(prefix="collm-cachecheck-"))
    try:
        os.chdir(workdir)  # ofa_net reads weights relative to it
        data.forbid_downloads()
        data.make_weights(workdir, {subnet.space})
        imagenet = data.make_imagenet(workdir / "imagenet", 16, 32)
        options = {
            "imagenetDir": str(imagenet),
            "batchSize": 8,
            "calibImages": 16,
            "loaderWorkers": 1,
        }
        problems = check(device, subnet, options)
    finally:
        os.chdir(home)
        shutil.rmtree(workdir, ignore_errors=True)
    return {"ran": True, "device": device, "problems": problems}
