#!/usr/bin/env python3
"""Scores one SPOS ShuffleNetV2 subnet for collm-nas's `command` evaluator.

The single-path one-shot supernet (Guo et al., "Single Path One-Shot Neural
Architecture Search with Uniform Sampling", ECCV 2020; megvii-model/
SinglePathOneShot) has 20 choice blocks, each Shuffle 3x3 / 5x5 / 7x7 or
Xception. A candidate picks one op per block; it inherits the supernet's
weights, its batch-norm statistics are recomputed for that path (the
supernet's running statistics mix every path, so they are wrong for any one
of them), and its top-1 is measured.

Contract (docs/spaces-and-evaluators.md, `command`): one JSON line on stdin,
    {"space": "spos-shufflenetv2", "dataset": "imagenet",
     "arch": "21012020202300003233", "archJson": {"ops": [2, 1, ...]},
     "device": "cuda:0", ...}
and the metrics as the last line of stdout,
    {"valAcc": 1.25, "flopsM": 322.92, "paramsM": 3.56, ...}
Everything else goes to stderr, which the search log keeps.

Search config (evaluation):
    {"evaluator": "command",
     "options": {"argv": ["python3", "examples/command/eval_spos_subnet.py",
                          "--supernet", "/ckpt/checkpoint-150000.pth.tar",
                          "--imagenet", "/data/imagenet"]}}

By hand (no stdin needed):
    python3 examples/command/eval_spos_subnet.py --arch 21012020202300003233

Without --supernet the weights are random and without --imagenet the images
are the 20 ImageNet samples `npm run setup` extracts into
.tools/data/foolbox/: the program then runs end to end and its FLOPs and
parameters are exact, but its accuracy says nothing about the architecture.

On a CPU eval worker with several slots, give each evaluation one thread
(`"env": {"OMP_NUM_THREADS": "1"}` in the options, as
config/spos-example-command.json does): evaluations side by side that each
use every core slow each other down several times over.

Needs torch and torchvision (and Pillow, which torchvision brings), and
collm_command.py beside it (reading the request, printing the metrics, the
sample images): copy both.
"""

import argparse
import re
import time
from pathlib import Path

import torch
import torch.nn as nn
import torchvision.transforms as T
from torchvision.datasets import ImageFolder

# Beside this file (a script's own folder is on sys.path): the request, the metrics line, the sample images.
from collm_command import (SAMPLES, SampleImages, data_loader, every_nth, log, pick_device, print_metrics, read_request,
                           top1_top5, warn_random_weights)

# The backbone, as in the space's cost model (src/spaces/spos/network.ts) and
# the reference's src/Supernet/network.py: a 16-channel stride-2 stem, four
# stages of [4, 4, 8, 4] blocks at 64/160/320/640 channels (the first block of
# each stage has stride 2), a 1x1 conv to 1024, a 7x7 average pool and a
# bias-free linear classifier.
STEM = 16
STAGE_REPEATS = (4, 4, 8, 4)
STAGE_CHANNELS = (64, 160, 320, 640)
LAST = 1024
CLASSES = 1000
NUM_BLOCKS = sum(STAGE_REPEATS)
OP_NAMES = ("shuffle_3x3", "shuffle_5x5", "shuffle_7x7", "xception_3x3")
SPACE = "spos-shufflenetv2"


# ---------------------------------------------------------------- the supernet
#
# Module names follow the reference's (first_conv, features.<block>.<op>.
# branch_main / branch_proj, conv_last, classifier), so that its checkpoints
# load with strict=True. Its batch norms are not affine: with a different
# path sampled every step, a learned scale and shift would have to suit all
# of them at once.


def conv_bn(cin, cout, k, stride=1, groups=1, relu=True):
    layers = [
        nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout, affine=False),
    ]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return layers


def split_channels(x):
    """ShuffleNetV2's channel split with the shuffle of the block before folded
    in: even channels pass through, odd ones go to the main branch."""
    n, c, h, w = x.shape
    x = x.reshape(n, c // 2, 2, h, w)
    return x[:, :, 0], x[:, :, 1]


class ChoiceBlock(nn.Module):
    """One op of one block. Stride 1: the main branch sees half the channels
    and the other half passes through. Stride 2: both branches see all of
    them; a projection branch (depthwise, then 1x1) halves the side of the
    pass-through part. The main branch ends with `out - inp` channels so that
    the concat has `out`."""

    def __init__(self, op, inp, out, stride):
        super().__init__()
        self.stride = stride
        mid = out // 2
        k = (3, 5, 7, 3)[op]
        if op < 3:  # Shuffle k x k: pointwise, depthwise k x k (the stride), pointwise
            main = [*conv_bn(inp, mid, 1), *conv_bn(mid, mid, k, stride, groups=mid, relu=False),
                    *conv_bn(mid, out - inp, 1)]
        else:  # Xception: three depthwise 3x3 + pointwise pairs, the first depthwise carries the stride
            main = [*conv_bn(inp, inp, 3, stride, groups=inp, relu=False), *conv_bn(inp, mid, 1),
                    *conv_bn(mid, mid, 3, groups=mid, relu=False), *conv_bn(mid, mid, 1),
                    *conv_bn(mid, mid, 3, groups=mid, relu=False), *conv_bn(mid, out - inp, 1)]
        self.branch_main = nn.Sequential(*main)
        if stride == 2:
            self.branch_proj = nn.Sequential(*conv_bn(inp, inp, k, stride, groups=inp, relu=False),
                                             *conv_bn(inp, inp, 1))

    def forward(self, x):
        if self.stride == 1:
            passed, x = split_channels(x)
        else:
            passed = self.branch_proj(x)
        return torch.cat((passed, self.branch_main(x)), 1)


class SposSupernet(nn.Module):
    def __init__(self):
        super().__init__()
        self.first_conv = nn.Sequential(*conv_bn(3, STEM, 3, stride=2))
        self.features = nn.ModuleList()
        channels = STEM
        for repeats, out in zip(STAGE_REPEATS, STAGE_CHANNELS):
            for i in range(repeats):
                # The first block of a stage reads everything; the others read half (the split).
                inp, stride = (channels, 2) if i == 0 else (out // 2, 1)
                self.features.append(nn.ModuleList(ChoiceBlock(op, inp, out, stride) for op in range(4)))
                channels = out
        self.conv_last = nn.Sequential(*conv_bn(channels, LAST, 1))
        self.globalpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Linear(LAST, CLASSES, bias=False))

    def path(self, ops):
        """The modules a subnet uses, in order (for FLOPs, params, BN reset)."""
        return [self.first_conv, *(blocks[op] for blocks, op in zip(self.features, ops)),
                self.conv_last, self.classifier]

    def forward(self, x, ops):
        x = self.first_conv(x)
        for blocks, op in zip(self.features, ops):
            x = blocks[op](x)
        x = self.globalpool(self.conv_last(x)).flatten(1)
        return self.classifier(x)


def random_init(model, seed):
    # Deterministic for a given seed, so two runs of one candidate agree.
    torch.manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)


def load_supernet(model, path):
    # weights_only: a checkpoint is data, never code to run.
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else ckpt
    # The reference trains under nn.DataParallel, which prefixes every key with "module.".
    state = {re.sub(r"^module\.", "", k): v for k, v in state.items()}
    model.load_state_dict(state, strict=True)


# ------------------------------------------------------------ FLOPs and params


def count_flops(model, ops, device, side=224):
    """Multiply-accumulates of the subnet at batch 1, counted as the reference
    (src/Supernet/flops.py) and the space's cost model count them: every conv
    `out elements * in/groups * k * k`, every linear its weights; BN, ReLU,
    pooling and the split are free."""
    total = 0

    def conv_hook(m, inputs, out):
        nonlocal total
        total += out[0].numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear_hook(m, inputs, out):
        nonlocal total
        total += m.weight.numel()

    hooks = [m.register_forward_hook(conv_hook if isinstance(m, nn.Conv2d) else linear_hook)
             for part in model.path(ops) for m in part.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    model.eval()  # eval mode: one image must not disturb the batch-norm statistics
    with torch.no_grad():
        model(torch.zeros(1, 3, side, side, device=device), ops)
    for h in hooks:
        h.remove()
    return total


def count_params(model, ops):
    """Parameters of the subnet as a stand-alone network (what the paper
    reports, the space's cost model counts and a user constrains): its conv
    and linear weights plus a scale and a shift per batch-norm channel, since
    the subnet is retrained with affine batch norms. The supernet's own,
    non-affine, batch norms have none."""
    n = 0
    for part in model.path(ops):
        for m in part.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                n += m.weight.numel()
            elif isinstance(m, nn.BatchNorm2d):
                n += 2 * m.num_features
    return n


# ---------------------------------------------------------------------- data

# The reference feeds BGR pixels in 0-255, neither scaled nor normalised
# (src/Supernet/train.py, ToBGRTensor); its supernet expects exactly that.
def bgr255(img):
    return T.functional.pil_to_tensor(img).flip(0).float()


def rgb_normalized(img):
    t = T.functional.to_tensor(img)
    return T.functional.normalize(t, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])


def transforms(pixels, train):
    to_tensor = bgr255 if pixels == "bgr255" else rgb_normalized
    if train:
        # Recalibration sees training-time statistics: the reference's training crops and flips.
        return T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), to_tensor])
    return T.Compose([T.Resize(256), T.CenterCrop(224), to_tensor])


def datasets(args):
    if args.imagenet:
        root = Path(args.imagenet)
        train = ImageFolder(root / "train", transforms(args.pixels, train=True))
        val = ImageFolder(root / "val", transforms(args.pixels, train=False))
        return every_nth(train, args.bn_images), every_nth(val, args.val_images), f"ImageNet at {root}"
    # No training split here: recalibrate on crops and flips of the same 20 images.
    folder = Path(args.samples)
    train = SampleImages(folder, transforms(args.pixels, train=True))
    val = SampleImages(folder, transforms(args.pixels, train=False))
    return train, val, f"the {len(val)} foolbox ImageNet sample images in {folder}"


# ----------------------------------------------------- recalibrate, evaluate


def recalibrate_bn(model, ops, loader, device, batches):
    """Recomputes the batch-norm statistics of the chosen path from `batches`
    batches of training images (the reference's "BN sanitize"). momentum=None
    makes each running statistic the plain average over the batches, so the
    result does not depend on a decay rate or on what was there before."""
    if batches <= 0:
        return 0  # --bn-batches 0: keep the checkpoint's statistics (to see what recalibration is worth)
    bns = [m for part in model.path(ops) for m in part.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
    model.train()
    seen = 0
    with torch.no_grad():
        while seen < batches:
            for images, _ in loader:
                model(images.to(device), ops)
                seen += 1
                if seen >= batches:
                    break
    return seen


def evaluate(model, ops, loader, device):
    model.eval()
    with torch.no_grad():
        return top1_top5((model(images.to(device), ops), labels) for images, labels in loader)


# ------------------------------------------------------------ the candidate


def decode_ops(request):
    """The 20 op indices, from archJson {"ops": [...]} or the text form
    ("21012020202300003233", the space's own)."""
    arch = request.get("archJson")
    ops = arch.get("ops") if isinstance(arch, dict) else None
    if ops is None:
        text = str(request.get("arch", ""))
        digits = re.findall(r"\d", text)
        ops = [int(d) for d in digits]
    if len(ops) != NUM_BLOCKS or any(op not in (0, 1, 2, 3) for op in ops):
        raise SystemExit(f"arch: need {NUM_BLOCKS} ops 0-3 (0-2 shuffle 3x3/5x5/7x7, 3 xception), got {request!r}")
    return ops


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--supernet", help="SPOS supernet checkpoint (.pth.tar: {'state_dict': ...}); random weights without it")
    p.add_argument("--imagenet", help="ImageNet as an ImageFolder with train/ and val/; "
                                      "without it the 20 foolbox sample images")
    p.add_argument("--samples", default=str(SAMPLES), help="folder of the sample images (default: %(default)s)")
    p.add_argument("--arch", help="evaluate this architecture (text or JSON) instead of reading stdin")
    p.add_argument("--device", help="torch device (default: stdin's device, else COLLM_DEVICE, else cpu)")
    p.add_argument("--bn-batches", type=int, default=None,
                   help="batches of training images for BN recalibration; 0 keeps the checkpoint's statistics "
                        "(default: 20 with --imagenet, 4 without)")
    p.add_argument("--bn-images", type=int, default=0, help="with --imagenet: draw recalibration images from this "
                                                           "many training images spread over the classes (0: all)")
    p.add_argument("--val-images", type=int, default=0,
                   help="with --imagenet: evaluate on this many validation images spread over the classes (0: all)")
    p.add_argument("--batch-size", type=int, default=None, help="default: 64 with --imagenet, 20 without")
    p.add_argument("--workers", type=int, default=None, help="data-loading processes (default: 8 with --imagenet, 0 without)")
    p.add_argument("--pixels", choices=("bgr255", "rgb-normalized"), default="bgr255",
                   help="input convention the supernet was trained with (the reference: BGR, 0-255)")
    p.add_argument("--seed", type=int, default=0, help="random weights and recalibration crops (default: %(default)s)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = p.parse_args()
    started = time.time()

    request = read_request(args.arch, SPACE)
    # A search on another space would hand over architectures this program cannot read.
    if request.get("space", SPACE) != SPACE or request.get("dataset", "imagenet") != "imagenet":
        raise SystemExit(f"this program evaluates space {SPACE} on imagenet, not {request.get('space')} "
                         f"on {request.get('dataset')}")
    ops = decode_ops(request)
    device = pick_device(args.device, request)
    if args.threads:
        torch.set_num_threads(args.threads)
    on_imagenet = bool(args.imagenet)
    batch_size = args.batch_size or (64 if on_imagenet else 20)
    bn_batches = args.bn_batches if args.bn_batches is not None else (20 if on_imagenet else 4)

    model = SposSupernet()
    if args.supernet:
        load_supernet(model, args.supernet)
    else:
        random_init(model, args.seed)
        warn_random_weights(args.seed)
    model.to(device)

    flops = count_flops(model, ops, device)
    params = count_params(model, ops)

    train, val, source = datasets(args)
    if not on_imagenet:
        log(f"no --imagenet: {source} (recalibration on crops and flips of the same images)")
    generator = torch.Generator().manual_seed(args.seed)  # the same recalibration crops on every run
    train_loader = data_loader(train, batch_size, device, args.workers, shuffle=True, generator=generator,
                               drop_last=len(train) > batch_size)
    val_loader = data_loader(val, batch_size, device, args.workers)

    t0 = time.time()
    recalibrate_bn(model, ops, train_loader, device, bn_batches)
    t1 = time.time()
    top1, top5, n = evaluate(model, ops, val_loader, device)
    t2 = time.time()
    log(f"{SPACE} {''.join(map(str, ops))} on {device} ({args.supernet or 'random weights'}): "
        f"top-1 {top1:.2f}% top-5 {top5:.2f}% on {n} images; BN recalibrated on {bn_batches} x {batch_size} "
        f"in {t1 - t0:.1f} s, evaluated in {t2 - t1:.1f} s; {flops / 1e6:.2f} MFLOPs, {params / 1e6:.3f} M params")

    print_metrics(top1=top1, top5=top5, images=n, flops=flops, params=params,
                  random_weights=not args.supernet, seconds=time.time() - started)


if __name__ == "__main__":
    main()
