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
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    known = ("imagenetDir", "batchSize", "calibImages", "valImages", "loaderWorkers")
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
    return _Options(
        imagenet_dir=imagenet,
        batch_size=_positive(options, "batchSize") or 200,
        calib_images=_positive(options, "calibImages") or 2000,
        val_images=_positive(options, "valImages"),
        loader_workers=_positive(options, "loaderWorkers") or 8,
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
_supernets: dict[tuple[str, str], Any] = {}


def _supernet(net_id: str, device: str) -> Any:
    """One supernet per (net, device): set_active_subnet changes it, so one per device."""
    from ofa.model_zoo import ofa_net

    with _lock:
        if (net_id, device) not in _supernets:
            try:
                # Reads .torch/ofa_nets/<net_id> under the working directory; downloads if absent.
                _supernets[(net_id, device)] = ofa_net(net_id, pretrained=True)
            except Exception as err:
                weights = Path.cwd() / ".torch/ofa_nets" / net_id
                raise _missing_data(
                    f"could not load the {net_id} weights ({err}); put them at {weights}"
                ) from err
        return _supernets[(net_id, device)]


def _loaders(torch: Any, opts: _Options, r: int, pin: bool) -> tuple[Any, Any]:
    import math

    from torchvision import datasets, transforms

    normalize = transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)
    # OFA's transforms: training-style crops for recalibration, resize + centre crop for validation.
    train_tf = transforms.Compose(
        [
            transforms.RandomResizedCrop(r, scale=(0.08, 1.0)),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            normalize,
        ]
    )
    val_tf = transforms.Compose(
        [
            transforms.Resize(int(math.ceil(r / 0.875))),
            transforms.CenterCrop(r),
            transforms.ToTensor(),
            normalize,
        ]
    )
    train = datasets.ImageFolder(str(opts.imagenet_dir / "train"), train_tf)
    val = datasets.ImageFolder(str(opts.imagenet_dir / "val"), val_tf)
    g = torch.Generator().manual_seed(SUB_SEED)
    calib = torch.utils.data.Subset(
        train, torch.randperm(len(train), generator=g)[: opts.calib_images].tolist()
    )
    if opts.val_images is not None:
        # A random subset, not the first images: val/ is sorted by class.
        val = torch.utils.data.Subset(
            val, torch.randperm(len(val), generator=g)[: opts.val_images].tolist()
        )
    # Pinned memory speeds copies to a GPU; on the CPU it is only a warning.
    common = {"batch_size": opts.batch_size, "num_workers": opts.loader_workers, "pin_memory": pin}
    calib_loader = torch.utils.data.DataLoader(
        calib, shuffle=False, generator=torch.Generator().manual_seed(SUB_SEED), **common
    )
    return calib_loader, torch.utils.data.DataLoader(val, shuffle=False, **common)


def evaluate(request: dict[str, Any], ctx: EvalContext) -> dict[str, Any]:
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

    supernet = _supernet(net_id, ctx.device)
    supernet.set_active_subnet(ks=ks, e=e, d=d)
    subnet = supernet.get_active_subnet(preserve_weight=True).to(device)
    calib, val = _loaders(torch, opts, r, pin=device.type == "cuda")
    ctx.heartbeat({"device": ctx.device, "stage": "recalibrating batch norm"})
    set_running_statistics(subnet, calib)

    subnet.eval()
    correct1 = correct5 = seen = 0
    with torch.no_grad():
        for images, labels in val:
            if ctx.cancelled.is_set():
                raise EvaluationError("ofa-supernet: cancelled", True, "Cancelled")
            images, labels = (
                images.to(device, non_blocking=True),
                labels.to(device, non_blocking=True),
            )
            top5 = subnet(images).topk(5, dim=1).indices
            correct1 += (top5[:, 0] == labels).sum().item()
            correct5 += (top5 == labels[:, None]).any(dim=1).sum().item()
            seen += labels.numel()
            ctx.heartbeat({"device": ctx.device, "stage": "validating", "images": seen})
    if seen == 0:
        raise _missing_data(f"{opts.imagenet_dir / 'val'} has no images")
    return {
        "valAcc": 100.0 * correct1 / seen,
        "cost": {
            "flopsM": count_net_flops(subnet, (1, 3, r, r)) / 1e6,
            "paramsM": count_parameters(subnet) / 1e6,
        },
        "metrics": {
            "top5": 100.0 * correct5 / seen,
            "valImages": float(seen),
            "calibImages": float(len(calib.dataset)),
        },
    }


EVALUATOR = Evaluator(
    description="OFA MobileNetV3 subnet with supernet weights, BN recalibrated: ImageNet top-1",
    evaluate=evaluate,
    check=check,
)
