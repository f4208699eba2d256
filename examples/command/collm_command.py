"""The command evaluator's side of the contract, and sample data, shared by
the example programs beside it (eval_spos_subnet.py, eval_autoformer_subnet.py).

Contract (docs/spaces-and-evaluators.md, `command`): collm-nas writes one JSON line on
stdin, {"space", "dataset", "arch", "archJson", "device", ...}, and reads the
metrics from the last stdout line; stderr goes to the search log.

The programs import it as `from collm_command import ...`: Python puts a
script's own folder first on sys.path, so that works however the evaluator
starts them (`prog.py` or `python3 prog.py`, from any cwd). A program copied
elsewhere needs this file copied beside it.
"""

import json
import os
import sys
from pathlib import Path

import torch
from PIL import Image

# `npm run setup` extracts foolbox's sample images here (two levels up: the repository root).
SAMPLES = Path(__file__).resolve().parents[2] / ".tools" / "data" / "foolbox"


def log(msg):
    # stdout is the contract's channel: everything for people goes to stderr, which the search log keeps.
    print(msg, file=sys.stderr, flush=True)


def read_request(arch, space, dataset="imagenet"):
    """The candidate to score: by hand, `arch` (--arch, its text form or JSON)
    in `space`; else the JSON line the command evaluator writes on stdin."""
    if arch is not None:
        text = arch.strip()
        request = {"archJson": json.loads(text)} if text.startswith("{") else {"arch": text}
        request.update(space=space, dataset=dataset)
        return request
    line = sys.stdin.readline()
    if not line.strip():
        raise SystemExit("expected one JSON line on stdin (collm-nas's command evaluator sends it), or --arch")
    return json.loads(line)


def pick_device(flag, request):
    """--device, else the device the eval worker assigned (stdin's `device`,
    also in COLLM_DEVICE), else the CPU. For "cuda:N" the worker has already
    set CUDA_VISIBLE_DEVICES to that one GPU, which this process then sees as
    cuda:0; using N here would name a GPU it cannot see (or another
    evaluation's)."""
    wanted = flag or request.get("device") or os.environ.get("COLLM_DEVICE") or "cpu"
    if wanted.startswith("cuda"):
        if not torch.cuda.is_available():
            raise SystemExit(f"device {wanted}: this torch sees no GPU (torch {torch.__version__}, "
                             f"CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES')!r})")
        visible = [d for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip()]
        return torch.device("cuda:0" if len(visible) == 1 else wanted)
    try:
        return torch.device(wanted)
    except RuntimeError as err:
        raise SystemExit(f"device {wanted!r} is not a torch device ({err}); use cpu or cuda:N in EVAL_DEVICES")


def top1_top5(outputs):
    """Top-1 and top-5 accuracy in percent, and the number of images, over
    (logits, labels) batches: what valAcc and top5 report."""
    top1 = top5 = n = 0
    for logits, labels in outputs:
        best5 = logits.topk(5, 1).indices.cpu()
        top1 += (best5[:, 0] == labels).sum().item()
        top5 += (best5 == labels[:, None]).any(1).sum().item()
        n += len(labels)
    return 100.0 * top1 / n, 100.0 * top5 / n, n


def warn_random_weights(seed):
    # Without a checkpoint a program still runs end to end, so the search log must say its accuracy is noise.
    log(f"no --supernet: RANDOM weights (seed {seed}); the accuracy below means nothing, FLOPs and params are exact")


def print_metrics(*, top1, top5, images, flops, params, random_weights, seconds, **extra):
    """The contract's answer: one JSON object as the last stdout line. valAcc
    is top-1 in percent; flopsM and paramsM (millions) stand in for the
    space's cost model; every other number (top5, `extra`, ...) is kept as a
    metric."""
    print(json.dumps({
        "valAcc": round(top1, 4),
        "flopsM": round(flops / 1e6, 6),
        "paramsM": round(params / 1e6, 6),
        **extra,
        "top5": round(top5, 4),
        "valImages": images,
        "randomWeights": 1 if random_weights else 0,
        "seconds": round(seconds, 2),
    }), flush=True)


# ---------------------------------------------------------------------- data


class SampleImages(torch.utils.data.Dataset):
    """The 20 ImageNet images of foolbox 3.3.4: imagenet_<index>_<label>.jpg,
    the label an ImageNet class index (0-999, the sorted-wnid order an
    ImageFolder of ImageNet uses). Lets a program run end to end without
    ImageNet."""

    def __init__(self, folder, transform):
        self.files = sorted(Path(folder).glob("imagenet_*_*.*"))
        if not self.files:
            raise SystemExit(f"no imagenet_<index>_<label>.jpg sample images in {folder}: run `npm run setup` "
                             "(it extracts them from the PyPI package foolbox==3.3.4), or pass --imagenet DIR")
        self.transform = transform

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        label = int(self.files[i].stem.split("_")[2])
        return self.transform(Image.open(self.files[i]).convert("RGB")), label


def data_loader(dataset, batch_size, device, workers=None, **options):
    """Batches of `dataset` for `device`. Without `workers` (--workers): 8
    decoding processes for ImageNet, where JPEG decoding is what the GPU
    waits on, none for the sample images, which take less time to decode
    than processes to start. Pinned memory only feeds a GPU."""
    if workers is None:
        workers = 0 if isinstance(dataset, SampleImages) else 8
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, num_workers=workers,
                                       pin_memory=device.type == "cuda", **options)


def every_nth(dataset, limit):
    """At most `limit` images spread over the whole set (ImageFolder sorts by
    class, so the first `limit` would be a few classes only)."""
    if not limit or limit >= len(dataset):
        return dataset
    step = len(dataset) / limit
    return torch.utils.data.Subset(dataset, [int(i * step) for i in range(limit)])
