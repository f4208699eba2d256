"""`ofa-supernet`: a subnet of once-for-all's MobileNetV3 supernet, scored on ImageNet.

For users who have the supernet weights and ImageNet (train/ and val/ as
torchvision ImageFolders): the subnet inherits its weights from the trained
supernet, its batch-norm statistics are recalibrated on a fixed subset of
training images (as OFA does), and its top-1 accuracy on the validation set
is the result. Nothing here runs without PyTorch, torchvision and the `ofa`
package, so they are imported inside the functions: the worker starts
without them and says why it does not serve this evaluator.

The architecture is the ofa-mbv3 space's text (src/spaces/ofa-mbv3):
{"r": 224, "d": [5 depths], "ks": [20 kernel sizes], "e": [20 expand ratios]},
with 0 in the slots past a stage's depth.

Options (`evaluation.options` of the search, all optional):
  imagenetDir   ImageNet root with train/ and val/ (default: env IMAGENET_DIR)
  batchSize     images per batch (default 200)
  calibImages   training images for BN recalibration (default 2000, OFA's choice)
  valImages     validation images to score on, a fixed random subset (default: all)
  loaderWorkers data-loading processes (default 8)
  autocast      "bf16": the validation forward passes under bfloat16 autocast (faster on
                GPUs with bf16 tensor cores; top-1 may differ from float32's in the last
                digits); "off" (the default): float32. Recalibration is float32 either way.

The images are decoded once per worker and resolution (image_cache.py): the
first evaluation at a resolution decodes the calibration and validation images
into the worker's cache (GPU memory when it fits, else host memory) while it
evaluates; every later one reads them from there as uint8 and normalises them
on its device. Cached or not, an evaluation sees the same numbers, so its
result does not depend on the cache (gpucheck checks this).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import math
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import image_cache
from .context import EvalContext, Evaluator
from .errors import ArchitectureError, EvaluationError

# The supernet of each ofa-mbv3 space (src/spaces/ofa-mbv3: ofa-mbv3-w<width x 10>).
NET_IDS = {
    "ofa-mbv3-w10": "ofa_mbv3_d234_e346_k357_w1.0",
    "ofa-mbv3-w12": "ofa_mbv3_d234_e346_k357_w1.2",
}
STAGES, MAX_DEPTH = 5, 4
DEPTHS, KERNEL_SIZES, EXPAND_RATIOS = (2, 3, 4), (3, 5, 7), (3, 4, 6)
# OFA's seed for the BN-recalibration subset (DataProvider.SUB_SEED): every subnet sees the
# same images, so subnets are compared fairly.
SUB_SEED = 937162211
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)

INSTALL_HELP = (
    "install PyTorch, torchvision and once-for-all, pinned, into the worker's environment "
    "(.tools/python/bin/pip install -r python/requirements-gpu.txt), or run this search's "
    "evaluations on a worker that has them (evaluation.taskQueue)"
)


@dataclass(frozen=True)
class _Options:
    imagenet_dir: Path
    batch_size: int
    calib_images: int
    val_images: int | None
    loader_workers: int
    autocast: str | None


# In this order, so that an error names the most basic missing package.
_REQUIRED_MODULES = (
    "torch",
    "torchvision",
    "ofa.model_zoo",
    "ofa.imagenet_classification.elastic_nn.utils",
)


def _torch() -> Any:
    """torch, once every module this evaluator needs imports; else a non-retryable error."""
    try:
        for name in _REQUIRED_MODULES:
            importlib.import_module(name)
    except ImportError as err:
        missing = err.name or str(err)
        raise EvaluationError(
            f"ofa-supernet: {missing} is not installed on this eval worker; {INSTALL_HELP}",
            False,
            "MissingDependency",
        ) from err
    return sys.modules["torch"]


def _positive(options: dict[str, Any], name: str) -> int | None:
    value = options.get(name)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
        raise _bad_options(
            f"evaluation.options.{name}: must be a positive integer (got {json.dumps(value)})"
        )
    return value


def _bad_options(message: str) -> EvaluationError:
    return EvaluationError(message, False, "BadOptions")


def _missing_data(message: str) -> EvaluationError:
    return EvaluationError(f"ofa-supernet: {message}", False, "MissingData")


def _options(options: dict[str, Any]) -> _Options:
    known = ("imagenetDir", "batchSize", "calibImages", "valImages", "loaderWorkers", "autocast")
    extra = sorted(set(options) - set(known))
    if extra:
        raise _bad_options(
            f"evaluation.options: unknown option(s) {', '.join(extra)} for ofa-supernet; "
            f"known: {', '.join(known)}"
        )
    root = options.get("imagenetDir") or os.environ.get("IMAGENET_DIR")
    if not root:
        raise _missing_data(
            "no ImageNet: set IMAGENET_DIR on the eval worker (or evaluation.options.imagenetDir) "
            "to a folder with train/ and val/"
        )
    imagenet = Path(root)
    for part in ("train", "val"):
        if not (imagenet / part).is_dir():
            raise _missing_data(
                f"{imagenet / part} is not a folder; ImageNet must be laid out as "
                "torchvision ImageFolders train/ and val/"
            )
    autocast = options.get("autocast")
    if autocast not in (None, "off", "bf16"):
        raise _bad_options(
            f'evaluation.options.autocast: must be "bf16" or "off" (got {json.dumps(autocast)})'
        )
    return _Options(
        imagenet_dir=imagenet,
        batch_size=_positive(options, "batchSize") or 200,
        calib_images=_positive(options, "calibImages") or 2000,
        val_images=_positive(options, "valImages"),
        loader_workers=_positive(options, "loaderWorkers") or 8,
        autocast=None if autocast == "off" else autocast,
    )


def check() -> None:
    """Served only where PyTorch, ofa and ImageNet (IMAGENET_DIR) are present."""
    _torch()
    _options({})


def parse_arch(text: str) -> tuple[int, list[int], list[int], list[int]]:
    """(r, d, ks, e), the unused slots filled with a legal value (they are not run)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ArchitectureError(f"not JSON: {err.msg} at position {err.pos}") from err
    if not isinstance(value, dict) or set(value) != {"r", "d", "ks", "e"}:
        raise ArchitectureError(
            f"must be a JSON object with the fields r, d, ks and e (got {text})"
        )
    r, d, ks, e = value["r"], value["d"], value["ks"], value["e"]
    if not isinstance(r, int) or r <= 0:
        raise ArchitectureError(f"r: must be a positive integer (got {json.dumps(r)})")
    if not isinstance(d, list) or len(d) != STAGES or any(x not in DEPTHS for x in d):
        raise ArchitectureError(
            f"d: must be a list of {STAGES} depths, each 2, 3 or 4 (got {json.dumps(d)})"
        )
    slots = STAGES * MAX_DEPTH
    for name, values, legal in (("ks", ks, KERNEL_SIZES), ("e", e, EXPAND_RATIOS)):
        if not isinstance(values, list) or len(values) != slots:
            raise ArchitectureError(
                f"{name}: must be a list of {slots} values, {MAX_DEPTH} per stage "
                f"(got {json.dumps(values)})"
            )
        for i, v in enumerate(values):
            used = i % MAX_DEPTH < d[i // MAX_DEPTH]
            if (used and v not in legal) or (not used and v != 0 and v not in legal):
                raise ArchitectureError(
                    f"{name}[{i}]: must be {', '.join(map(str, legal))}{'' if used else ' or 0'} "
                    f"(got {json.dumps(v)})"
                )
    return r, list(d), _fill(ks, KERNEL_SIZES), _fill(e, EXPAND_RATIOS)


def _fill(values: list[int], legal: tuple[int, ...]) -> list[int]:
    """The 0s of unused slots become a legal value: set_active_subnet sets every slot."""
    return [v if v in legal else legal[0] for v in values]


_lock = threading.Lock()
_supernets: dict[str, tuple[Any, threading.Lock]] = {}


def _supernet(net_id: str) -> tuple[Any, threading.Lock]:
    """One supernet per net, on the CPU, with the lock its evaluations take to extract a subnet."""
    from ofa.model_zoo import ofa_net

    with _lock:
        if net_id not in _supernets:
            try:
                # Reads .torch/ofa_nets/<net_id> under the working directory; downloads if absent.
                _supernets[net_id] = (ofa_net(net_id, pretrained=True), threading.Lock())
            except Exception as err:
                weights = Path.cwd() / ".torch/ofa_nets" / net_id
                raise _missing_data(
                    f"could not load the {net_id} weights ({err}); put them at {weights}"
                ) from err
        return _supernets[net_id]


def _subnet(net_id: str, ks: list[int], e: list[int], d: list[int]) -> Any:
    """The subnet with its own copy of the weights; set_active_subnet changes the supernet, so
    evaluations (several may share a device) take turns at it."""
    supernet, lock = _supernet(net_id)
    with lock:
        supernet.set_active_subnet(ks=ks, e=e, d=d)
        return supernet.get_active_subnet(preserve_weight=True)


_scan_lock = threading.Lock()
Files = list[tuple[str, int]]  # (image file, class index), as ImageFolder lists them
_folders: dict[str, Files] = {}
_subsets: dict[tuple[str, int, int | None], tuple[Files, Files]] = {}


def _folder(path: Path) -> Files:
    """An ImageFolder's (file, class) list, scanned once per worker: train/ has 1.28 M files."""
    from torchvision import datasets

    key = str(path)
    with _scan_lock:
        if key not in _folders:
            _folders[key] = datasets.ImageFolder(key).samples
        return _folders[key]


def _images(torch: Any, opts: _Options) -> tuple[Files, Files]:
    """(calibration, validation) files: OFA's fixed random subsets (SUB_SEED)."""
    key = (str(opts.imagenet_dir), opts.calib_images, opts.val_images)
    if key not in _subsets:
        train, val = _folder(opts.imagenet_dir / "train"), _folder(opts.imagenet_dir / "val")
        g = torch.Generator().manual_seed(SUB_SEED)
        calib = [train[i] for i in torch.randperm(len(train), generator=g)[: opts.calib_images]]
        if opts.val_images is not None:
            # A random subset, not the first images: val/ is sorted by class.
            val = [val[i] for i in torch.randperm(len(val), generator=g)[: opts.val_images]]
        with _scan_lock:
            _subsets[key] = (calib, val)
    return _subsets[key]


def _rgb(path: str) -> Any:
    from PIL import Image

    with open(path, "rb") as f:  # as torchvision's ImageFolder loads an image
        return Image.open(f).convert("RGB")


class _Images:
    """Images of a subset at resolution r, as uint8 tensors with their labels, normalised later on
    the device. (Plain classes: DataLoader's worker processes need them picklable.)"""

    def __init__(self, files: Files, r: int) -> None:
        self.files, self.r = files, r

    def __len__(self) -> int:
        return len(self.files)


class _ValImages(_Images):
    """OFA's validation transform: resize to r / 0.875, centre crop r."""

    def __getitem__(self, i: int) -> tuple[Any, int]:
        from torchvision.transforms import functional as F

        path, label = self.files[i]
        image = F.center_crop(F.resize(_rgb(path), math.ceil(self.r / 0.875)), self.r)
        return F.pil_to_tensor(image), label


class _CalibImages(_Images):
    """OFA's training transform for BN recalibration: RandomResizedCrop(r, scale 0.08-1) and a
    horizontal flip, drawn from a generator seeded with SUB_SEED and the image's place in the
    subset. So every subnet sees the same crops, whatever the batch size, the loader's worker
    processes or the cache; and the same boxes at every resolution."""

    def __getitem__(self, k: int) -> tuple[Any, int]:
        import torch
        from torchvision.transforms import InterpolationMode
        from torchvision.transforms import functional as F

        path, label = self.files[k]
        image = _rgb(path)
        g = torch.Generator().manual_seed(SUB_SEED + k)
        top, left, h, w = _crop_box(torch, image.size, g)
        image = F.resized_crop(
            image, top, left, h, w, [self.r, self.r], InterpolationMode.BILINEAR, antialias=True
        )
        if torch.rand(1, generator=g).item() < 0.5:
            image = F.hflip(image)
        return F.pil_to_tensor(image), label


def _crop_box(
    torch: Any,
    size: tuple[int, int],
    g: Any,
    scale: tuple[float, float] = (0.08, 1.0),
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
) -> tuple[int, int, int, int]:
    """torchvision's RandomResizedCrop.get_params, drawing from `g` instead of the global
    generator (which the evaluations' threads share)."""
    width, height = size
    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target_area = area * torch.empty(1).uniform_(scale[0], scale[1], generator=g).item()
        aspect = math.exp(torch.empty(1).uniform_(*log_ratio, generator=g).item())
        w = int(round(math.sqrt(target_area * aspect)))
        h = int(round(math.sqrt(target_area / aspect)))
        if 0 < w <= width and 0 < h <= height:
            top = int(torch.randint(0, height - h + 1, size=(1,), generator=g).item())
            left = int(torch.randint(0, width - w + 1, size=(1,), generator=g).item())
            return top, left, h, w
    # As torchvision: a central crop when 10 draws missed.
    in_ratio = width / height
    if in_ratio < min(ratio):
        w, h = width, int(round(width / min(ratio)))
    elif in_ratio > max(ratio):
        h, w = height, int(round(height * max(ratio)))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


def _decoder(torch: Any, dataset: Any, workers: int) -> Any:
    """source(batch_size, pinned) for image_cache.Spec: the dataset's batches, in order."""

    def batches(batch_size: int, pinned: bool) -> Any:
        yield from torch.utils.data.DataLoader(
            dataset,
            batch_size=batch_size,
            shuffle=False,
            num_workers=workers,
            # Pinned memory speeds copies to a GPU; a CPU-only build has none.
            pin_memory=pinned and torch.cuda.is_available(),
        )

    return batches


def _specs(torch: Any, opts: _Options, r: int) -> tuple[image_cache.Spec, image_cache.Spec]:
    """The calibration and validation images at resolution r, as the cache knows them."""
    calib, val = _images(torch, opts)
    root = str(opts.imagenet_dir)
    subset = "all" if opts.val_images is None else opts.val_images
    return (
        image_cache.Spec(
            ("ofa-supernet", root, "calib", opts.calib_images, r),
            f"calib {r}px x{len(calib)}",
            len(calib),
            (3, r, r),
            _decoder(torch, _CalibImages(calib, r), opts.loader_workers),
        ),
        image_cache.Spec(
            ("ofa-supernet", root, "val", subset, r),
            f"val {r}px x{len(val)}",
            len(val),
            (3, r, r),
            _decoder(torch, _ValImages(val, r), opts.loader_workers),
        ),
    )


_cache_lock = threading.Lock()
_default_cache: image_cache.ImageCache | None = None


def _cache() -> image_cache.ImageCache:
    """The worker's image cache (limits: image_cache.configure, else the environment)."""
    global _default_cache
    with _cache_lock:
        if _default_cache is None:
            _default_cache = image_cache.ImageCache(
                image_cache.TorchMemory(), image_cache.configured_limits()
            )
        return _default_cache


def status(devices: list[str]) -> str:
    """For the worker's start-up line: the image cache's limits on these devices."""
    return _cache().describe(devices)


@dataclass
class Probe:
    """What gpucheck watches of an evaluation: the logits of each validation batch, seconds per
    phase (subnet, calibrate, validate), and where each set of images came from."""

    logits: Callable[[Any], None] | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)


def _normalized(torch: Any, batches: Any, device: Any, check: Callable[[], None]) -> Any:
    """uint8 batches as float, normalised on the device: torchvision's ToTensor and Normalize,
    the same operations in the same order, so the same numbers."""
    mean = torch.tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1)
    for images, labels in batches:
        check()
        yield images.float().div_(255).sub_(mean).div_(std), labels


@contextlib.contextmanager
def _on(torch: Any, device: Any) -> Any:
    """A CUDA stream of its own per evaluation: evaluations sharing a GPU overlap there."""
    if device.type != "cuda":
        yield
        return
    with torch.cuda.device(device), torch.cuda.stream(torch.cuda.Stream(device)):
        yield


def evaluate(
    request: dict[str, Any],
    ctx: EvalContext,
    cache: image_cache.ImageCache | None = None,
    probe: Probe | None = None,
) -> dict[str, Any]:
    torch = _torch()
    from ofa.imagenet_classification.elastic_nn.utils import set_running_statistics
    from ofa.utils import count_net_flops, count_parameters

    net_id = NET_IDS.get(request["space"])
    if net_id is None:
        raise EvaluationError(
            f"space: ofa-supernet evaluates {', '.join(NET_IDS)}, not '{request['space']}'",
            False,
            "UnsupportedSpace",
        )
    if request["dataset"] != "imagenet":
        raise EvaluationError(
            f"dataset: ofa-supernet scores on imagenet, not '{request['dataset']}'",
            False,
            "UnsupportedDataset",
        )
    r, d, ks, e = parse_arch(request["arch"])
    opts = _options(request["options"])
    try:
        device = torch.device(ctx.device)
    except RuntimeError as err:
        raise EvaluationError(
            f"EVAL_DEVICES: '{ctx.device}' is not a torch device; use e.g. cuda:0,cuda:1 ({err})",
            False,
            "BadDevice",
        ) from err
    cache = cache if cache is not None else _cache()
    probe = probe or Probe()

    def beat(stage: str, **more: Any) -> None:
        ctx.heartbeat({"device": ctx.device, "stage": stage, **more, "cache": cache.usage()})

    def check() -> None:
        if ctx.cancelled.is_set():
            raise EvaluationError("ofa-supernet: cancelled", True, "Cancelled")

    def waiting(what: str) -> Callable[[int, int], None]:
        def wait(decoded: int, of: int) -> None:
            check()
            beat(f"decoding {what} images", decoded=decoded, of=of)

        return wait

    started = time.perf_counter()
    calib_spec, val_spec = _specs(torch, opts, r)
    subnet = _subnet(net_id, ks, e, d)
    # Counted on the CPU copy: the same float32 sums (OFA's profiler adds on the CPU), and the GPU
    # stays free for an evaluation sharing it.
    flops = count_net_flops(subnet, (1, 3, r, r))
    params = count_parameters(subnet)
    try:
        with (
            _on(torch, device),
            # Both at once: the validation images decode while batch norm is recalibrated.
            cache.images(calib_spec, ctx.device, waiting("calibration")) as calib,
            cache.images(val_spec, ctx.device, waiting("validation")) as val,
        ):
            probe.sources.update(calib=calib.source, val=val.source)
            subnet = subnet.to(device)
            probe.seconds["subnet"] = time.perf_counter() - started
            beat("recalibrating batch norm")
            started = time.perf_counter()
            # In float32 whatever `autocast` says: the statistics are sums over the whole subset.
            set_running_statistics(
                subnet, _normalized(torch, calib.batches(opts.batch_size), device, check)
            )
            if device.type == "cuda":  # once per evaluation: the phase's time is its GPU work too
                torch.cuda.current_stream(device).synchronize()
            probe.seconds["calibrate"] = time.perf_counter() - started
            started = time.perf_counter()
            subnet.eval()
            correct1 = torch.zeros((), dtype=torch.int64, device=device)
            correct5 = torch.zeros((), dtype=torch.int64, device=device)
            seen = 0
            autocast = (
                torch.autocast(device.type, dtype=torch.bfloat16)
                if opts.autocast == "bf16"
                else contextlib.nullcontext()
            )
            beat("validating", images=0)
            with torch.no_grad():
                for images, labels in _normalized(
                    torch, val.batches(opts.batch_size), device, check
                ):
                    with autocast:
                        logits = subnet(images)
                    if probe.logits is not None:
                        probe.logits(logits)
                    # Counted on the device: no wait for the GPU per batch.
                    top5 = logits.topk(5, dim=1).indices
                    correct1 += (top5[:, 0] == labels).sum()
                    correct5 += (top5 == labels[:, None]).any(dim=1).sum()
                    seen += labels.numel()
                    beat("validating", images=seen)
            top1_count, top5_count = correct1.item(), correct5.item()
            probe.seconds["validate"] = time.perf_counter() - started
    except Exception as err:
        if device.type == "cuda" and image_cache.out_of_memory(err):
            # The cache's part of the GPU may be why: give it back before the retry.
            image_cache.log(cache.lower(ctx.device))
        raise
    if seen == 0:
        raise _missing_data(f"{opts.imagenet_dir / 'val'} has no images")
    return {
        "valAcc": 100.0 * top1_count / seen,
        "cost": {"flopsM": flops / 1e6, "paramsM": params / 1e6},
        "metrics": {
            "top5": 100.0 * top5_count / seen,
            "valImages": float(seen),
            "calibImages": float(calib_spec.count),
        },
    }


EVALUATOR = Evaluator(
    description="OFA MobileNetV3 subnet with supernet weights, BN recalibrated: ImageNet top-1",
    evaluate=evaluate,
    check=check,
    status=status,
)
