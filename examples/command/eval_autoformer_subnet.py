#!/usr/bin/env python3
"""Scores one AutoFormer subnet for collm-nas's `command` evaluator.

AutoFormer (Chen et al., "AutoFormer: Searching Transformers for Visual
Recognition", ICCV 2021; microsoft/Cream, AutoFormer/) trains one vision
transformer supernet per size (T, S, B) in which every subnet - a depth, one
embedding width, and an MLP ratio and a head count per layer - uses the
leading slice of each shared weight. A candidate's weights are cut out of the
supernet into a plain ViT and its top-1 is measured. There is no batch norm
(only layer norms), so unlike SPOS nothing needs recalibrating.

Contract (docs/spaces-and-evaluators.md, `command`): one JSON line on stdin,
    {"space": "autoformer-t", "dataset": "imagenet",
     "arch": "depth=13;embed_dim=192;mlp_ratio=3.5,...;num_heads=3,...",
     "archJson": {"depth": 13, "embed_dim": 192, "mlp_ratio": [...], "num_heads": [...]},
     "device": "cuda:0", ...}
and the metrics as the last line of stdout,
    {"valAcc": 75.3, "flopsM": 1344.03, "paramsM": 5.868, "macsM": ..., ...}
Everything else goes to stderr, which the search log keeps.

Search config (evaluation), e.g. config/autoformer-t-command.json:
    {"evaluator": "command",
     "options": {"argv": ["python3", "examples/command/eval_autoformer_subnet.py",
                          "--supernet", "/ckpt/supernet-tiny.pth", "--imagenet", "/data/imagenet"]}}

By hand (no stdin needed):
    python3 examples/command/eval_autoformer_subnet.py --space autoformer-t \\
        --arch 'depth=13;embed_dim=192;mlp_ratio=3.5,3.5,3,3.5,3,3,4,4,3.5,4,3.5,4,3.5;num_heads=3,3,3,3,3,3,3,3,3,3,4,3,3'

Without --supernet the weights are random and without --imagenet the images
are the 20 ImageNet samples `npm run setup` extracts into
.tools/data/foolbox/: the program then runs end to end and its parameters
and FLOPs are exact, but its accuracy says nothing about the architecture.

flopsM follows the AutoFormer repository's own counter (get_complexity, quirks
included: 198 tokens per block, the head over all 197 tokens, its relative-
position terms), as do the published 1.34 / 4.89 / 11.24 GFLOPs and
collm-nas's cost model. macsM is what this forward pass really multiplies
(torch's FLOP counter, halved): 4-12 % more, mostly because each relative-
position product costs 197^2 x heads x 64, where get_complexity counts
2 x 14 x 198^2, while the head reads one pooled vector, not 197 tokens.

On a CPU eval worker with several slots, give each evaluation one thread
(`"env": {"OMP_NUM_THREADS": "1"}` in the options): evaluations side by side
that each use every core slow each other down several times over.

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
import torch.nn.functional as F
import torchvision.transforms as T
from torch.utils.flop_counter import FlopCounterMode
from torchvision.datasets import ImageFolder

# Beside this file (a script's own folder is on sys.path): the request, the metrics line, the sample images.
from collm_command import (SAMPLES, SampleImages, data_loader, every_nth, log, pick_device, print_metrics, read_request,
                           top1_top5, warn_random_weights)

IMAGE = 224
PATCH = 16
SIDE = IMAGE // PATCH  # 14 x 14 patches
TOKENS = SIDE * SIDE  # 196, plus the class token
CLASSES = 1000
HEAD_DIM = 64  # change_qkv: 64 dims per head whatever the width
MAX_RELATIVE = 14  # relative positions clipped to +-14; tables of 2*14+2 rows

# Supernet shapes (experiments/supernet/supernet-{T,S,B}.yaml) and the values
# a subnet may take (src/spaces/autoformer/variants.ts: the trained ones, plus
# T's MLP ratio 3 and B's 8 heads, which the published subnets use).
VARIANTS = {
    "autoformer-t": dict(embed=256, heads=4, mlp=4.0, depth=14,
                         depths=(12, 13, 14), embeds=(192, 216, 240), ratios=(3, 3.5, 4), head_counts=(3, 4)),
    "autoformer-s": dict(embed=448, heads=7, mlp=4.0, depth=14,
                         depths=(12, 13, 14), embeds=(320, 384, 448), ratios=(3, 3.5, 4), head_counts=(5, 6, 7)),
    "autoformer-b": dict(embed=640, heads=10, mlp=4.0, depth=16,
                         depths=(14, 15, 16), embeds=(528, 576, 624), ratios=(3, 3.5, 4), head_counts=(8, 9, 10)),
}


# ---------------------------------------------------------------- the supernet
#
# Parameter names follow the reference's (patch_embed_super.proj, blocks.<i>.
# attn.qkv / proj / rel_pos_embed_k / rel_pos_embed_v, attn_layer_norm,
# ffn_layer_norm, fc1, fc2, norm, head, pos_embed, cls_token) so that its
# checkpoints load with strict=True. The supernet only holds the weights; a
# candidate runs as the plain ViT `Subnet` cut out of it.


class RelativeTables(nn.Module):
    """Two learned tables, vertical and horizontal distance, of 2*14+2 rows:
    row 0 for the class token, rows 1..29 for distances -14..14."""

    def __init__(self, dim):
        super().__init__()
        self.embeddings_table_v = nn.Parameter(torch.zeros(2 * MAX_RELATIVE + 2, dim))
        self.embeddings_table_h = nn.Parameter(torch.zeros(2 * MAX_RELATIVE + 2, dim))


class SuperAttention(nn.Module):
    def __init__(self, embed):
        super().__init__()
        self.qkv = nn.Linear(embed, 3 * embed)
        self.proj = nn.Linear(embed, embed)
        self.rel_pos_embed_k = RelativeTables(HEAD_DIM)
        self.rel_pos_embed_v = RelativeTables(HEAD_DIM)


class SuperLayer(nn.Module):
    def __init__(self, embed, ffn):
        super().__init__()
        self.attn = SuperAttention(embed)
        self.attn_layer_norm = nn.LayerNorm(embed)
        self.ffn_layer_norm = nn.LayerNorm(embed)
        self.fc1 = nn.Linear(embed, ffn)
        self.fc2 = nn.Linear(ffn, embed)


class PatchEmbed(nn.Module):
    def __init__(self, embed):
        super().__init__()
        self.proj = nn.Conv2d(3, embed, PATCH, PATCH)


class AutoformerSupernet(nn.Module):
    def __init__(self, v):
        super().__init__()
        e = v["embed"]
        assert e // v["heads"] == HEAD_DIM
        self.patch_embed_super = PatchEmbed(e)
        self.blocks = nn.ModuleList(SuperLayer(e, int(v["mlp"] * e)) for _ in range(v["depth"]))
        self.pos_embed = nn.Parameter(torch.zeros(1, TOKENS + 1, e))
        self.cls_token = nn.Parameter(torch.zeros(1, 1, e))
        self.norm = nn.LayerNorm(e)
        self.head = nn.Linear(e, CLASSES)


def random_init(model, seed):
    # As the reference initialises its supernet; deterministic for a given seed.
    torch.manual_seed(seed)
    for name, p in model.named_parameters():
        if name.startswith("patch_embed_super."):
            continue  # the patch conv keeps torch's default init, as in the reference
        if p.dim() == 1:
            nn.init.ones_(p) if "norm" in name and name.endswith("weight") else nn.init.zeros_(p)
        else:
            nn.init.trunc_normal_(p, std=0.02)


def load_supernet(model, path, trust):
    try:
        # weights_only: a checkpoint is data, never code to run.
        ckpt = torch.load(path, map_location="cpu", weights_only=not trust)
    except Exception as err:  # an unpickling error names the object it refused
        raise SystemExit(f"--supernet {path}: cannot load it as plain tensors ({err}); the reference saves its "
                         "training args beside the weights: pass --trust-checkpoint if you trust this file")
    state = ckpt.get("model", ckpt) if isinstance(ckpt, dict) else ckpt
    # DistributedDataParallel prefixes every key with "module.".
    state = {re.sub(r"^module\.", "", k): v for k, v in state.items()}
    model.load_state_dict(state, strict=True)


# ------------------------------------------------------------------ a subnet


def relative_index():
    """For 197 tokens (class token first), the table row of every (query, key)
    pair's vertical and horizontal distance: row 0 wherever the class token is
    involved, else clip(distance, -14, 14) + 15."""
    pos = torch.arange(TOKENS)
    rows, cols = pos // SIDE, pos % SIDE

    def table(coord):
        d = (coord[None, :] - coord[:, None]).clamp(-MAX_RELATIVE, MAX_RELATIVE) + MAX_RELATIVE + 1
        return F.pad(d, (1, 0, 1, 0), value=0)

    return table(rows), table(cols)


class Attention(nn.Module):
    def __init__(self, embed, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(embed, 3 * heads * HEAD_DIM)
        self.proj = nn.Linear(heads * HEAD_DIM, embed)
        self.k_tables = nn.Parameter(torch.zeros(2, 2 * MAX_RELATIVE + 2, HEAD_DIM))
        self.v_tables = nn.Parameter(torch.zeros(2, 2 * MAX_RELATIVE + 2, HEAD_DIM))
        index_v, index_h = relative_index()
        self.register_buffer("index_v", index_v, persistent=False)
        self.register_buffer("index_h", index_h, persistent=False)

    def forward(self, x):
        b, n, _ = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, HEAD_DIM).permute(2, 0, 3, 1, 4)
        # (n, n, HEAD_DIM): the relative-position embedding of every pair, vertical + horizontal.
        rel_k = self.k_tables[0][self.index_v] + self.k_tables[1][self.index_h]
        rel_v = self.v_tables[0][self.index_v] + self.v_tables[1][self.index_h]
        scale = HEAD_DIM ** -0.5
        attn = (q @ k.transpose(-2, -1) + torch.einsum("bhnd,nmd->bhnm", q, rel_k)) * scale
        attn = attn.softmax(-1)
        out = attn @ v + torch.einsum("bhnm,nmd->bhnd", attn, rel_v)
        return self.proj(out.transpose(1, 2).reshape(b, n, -1))


class Layer(nn.Module):
    """Pre-norm: x + attention(LN(x)), then x + MLP(LN(x)) with GELU."""

    def __init__(self, embed, heads, ffn):
        super().__init__()
        self.norm1 = nn.LayerNorm(embed)
        self.attn = Attention(embed, heads)
        self.norm2 = nn.LayerNorm(embed)
        self.fc1 = nn.Linear(embed, ffn)
        self.fc2 = nn.Linear(ffn, embed)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class Subnet(nn.Module):
    def __init__(self, arch):
        super().__init__()
        e = arch["embed_dim"]
        self.patch = nn.Conv2d(3, e, PATCH, PATCH)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, e))
        self.pos_embed = nn.Parameter(torch.zeros(1, TOKENS + 1, e))
        self.layers = nn.ModuleList(Layer(e, h, int(e * r)) for r, h in zip(arch["mlp_ratio"], arch["num_heads"]))
        self.norm = nn.LayerNorm(e)
        self.head = nn.Linear(e, CLASSES)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat((self.cls_token.expand(len(x), -1, -1), x), 1) + self.pos_embed
        for layer in self.layers:
            x = layer(x)
        # The supernets are trained with --gp: the classifier reads the mean of the patch tokens, not the class token.
        return self.head(self.norm(x)[:, 1:].mean(1))


@torch.no_grad()
def cut_subnet(sup, arch):
    """The subnet's weights: the leading slice of each supernet weight (the
    first embed_dim channels everywhere, the first int(embed_dim * ratio) MLP
    units, the first heads * 64 Q/K/V dims), copied into a plain ViT."""
    e = arch["embed_dim"]
    net = Subnet(arch)
    net.patch.weight.copy_(sup.patch_embed_super.proj.weight[:e])
    net.patch.bias.copy_(sup.patch_embed_super.proj.bias[:e])
    net.cls_token.copy_(sup.cls_token[..., :e])
    net.pos_embed.copy_(sup.pos_embed[..., :e])
    for layer, s in zip(net.layers, sup.blocks):
        q = layer.attn.heads * HEAD_DIM
        f = layer.fc1.out_features
        # The supernet's qkv rows interleave Q, K and V (row 3i is Q, 3i+1 K, 3i+2 V): a subnet takes
        # every third of the first 3q rows for each. Its bias is the plain first 3q entries (the reference does so).
        w = s.attn.qkv.weight[: 3 * q, :e]
        layer.attn.qkv.weight.copy_(torch.cat([w[i::3] for i in range(3)]))
        layer.attn.qkv.bias.copy_(s.attn.qkv.bias[: 3 * q])
        layer.attn.proj.weight.copy_(s.attn.proj.weight[:e, :q])
        layer.attn.proj.bias.copy_(s.attn.proj.bias[:e])
        for mine, theirs in ((layer.attn.k_tables, s.attn.rel_pos_embed_k), (layer.attn.v_tables, s.attn.rel_pos_embed_v)):
            mine[0].copy_(theirs.embeddings_table_v)
            mine[1].copy_(theirs.embeddings_table_h)
        for mine, theirs in ((layer.norm1, s.attn_layer_norm), (layer.norm2, s.ffn_layer_norm)):
            mine.weight.copy_(theirs.weight[:e])
            mine.bias.copy_(theirs.bias[:e])
        layer.fc1.weight.copy_(s.fc1.weight[:f, :e])
        layer.fc1.bias.copy_(s.fc1.bias[:f])
        layer.fc2.weight.copy_(s.fc2.weight[:e, :f])
        layer.fc2.bias.copy_(s.fc2.bias[:e])
    net.norm.weight.copy_(sup.norm.weight[:e])
    net.norm.bias.copy_(sup.norm.bias[:e])
    net.head.weight.copy_(sup.head.weight[:, :e])
    net.head.bias.copy_(sup.head.bias)
    return net


# ------------------------------------------------------------ FLOPs and params


def reference_flops(net):
    """FLOPs as AutoFormer's get_complexity(196) counts them, from the
    subnet's own layer shapes: the patch conv over 196 positions plus its
    bias, half a FLOP per position-embedding entry, the head over all 197
    tokens, and in every layer, which it hands 198 tokens: 198 per
    layer-norm channel, 198 x weights per linear, 2 x 198^2 x q for the two
    attention products and its relative-position terms."""
    e = net.patch.out_channels
    total = e + TOKENS * net.patch.weight.numel()
    total += net.pos_embed.numel() / 2
    total += (TOKENS + 1) * net.head.weight.numel()
    n = TOKENS + 2
    for layer in net.layers:
        q = layer.attn.heads * HEAD_DIM
        total += 2 * n * e  # the two layer norms
        total += n * (layer.attn.qkv.weight.numel() + layer.attn.proj.weight.numel())
        total += n * (layer.fc1.weight.numel() + layer.fc2.weight.numel())
        total += 2 * n * n * q
        total += 2 * MAX_RELATIVE * n * n + n * n / 2 + n * q / 2
    return total


def measured_macs(net, device):
    """Multiply-accumulates of one 224x224 image through this forward pass:
    torch counts 2 FLOPs per multiply-accumulate of every matmul and conv."""
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(torch.zeros(1, 3, IMAGE, IMAGE, device=device))
    return counter.get_total_flops() / 2


def count_params(net):
    """Every weight the subnet uses, which is what the reference's
    get_sampled_params_numel adds up (class token and position embedding
    included)."""
    return sum(p.numel() for p in net.parameters())


# ---------------------------------------------------------------------- data


def transform():
    # The reference's evaluation transform: resize to 256 (bicubic), centre crop 224, ImageNet mean and std.
    return T.Compose([T.Resize(256, interpolation=T.InterpolationMode.BICUBIC), T.CenterCrop(IMAGE), T.ToTensor(),
                      T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])


def evaluate(net, loader, device, amp):
    net.eval()
    with torch.no_grad(), torch.autocast(device.type, enabled=amp):
        return top1_top5((net(images.to(device)), labels) for images, labels in loader)


# ------------------------------------------------------------ the candidate


def decode_arch(request, v):
    """{depth, embed_dim, mlp_ratio[], num_heads[]} from archJson or the
    text form depth=D;embed_dim=E;mlp_ratio=r1,...;num_heads=h1,..., checked
    against the variant (what the supernet can provide)."""
    arch = request.get("archJson")
    if not isinstance(arch, dict):
        fields = dict(part.split("=", 1) for part in str(request.get("arch", "")).split(";") if "=" in part)
        try:
            arch = {"depth": int(fields["depth"]), "embed_dim": int(fields["embed_dim"]),
                    "mlp_ratio": [float(x) for x in fields["mlp_ratio"].split(",")],
                    "num_heads": [int(x) for x in fields["num_heads"].split(",")]}
        except (KeyError, ValueError) as err:
            raise SystemExit(f"arch: expected depth=D;embed_dim=E;mlp_ratio=r1,...;num_heads=h1,... ({err}), "
                             f"got {request.get('arch')!r}")
    problems = []
    if arch.get("depth") not in v["depths"]:
        problems.append(f"depth must be one of {v['depths']}")
    if arch.get("embed_dim") not in v["embeds"]:
        problems.append(f"embed_dim must be one of {v['embeds']}")
    for key, allowed in (("mlp_ratio", v["ratios"]), ("num_heads", v["head_counts"])):
        values = arch.get(key)
        if not isinstance(values, list) or len(values) != arch.get("depth"):
            problems.append(f"{key} must list one value per layer")
        elif any(x not in allowed for x in values):
            problems.append(f"{key} values must be in {allowed}")
    if problems:
        raise SystemExit(f"arch {arch}: " + "; ".join(problems))
    return arch


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--supernet", help="AutoFormer supernet checkpoint ({'model': ...}, e.g. supernet-tiny.pth); "
                                      "random weights without it")
    p.add_argument("--trust-checkpoint", action="store_true",
                   help="load a checkpoint that holds more than tensors (full unpickling: only for files you trust)")
    p.add_argument("--imagenet", help="ImageNet as an ImageFolder with val/; without it the 20 foolbox sample images")
    p.add_argument("--samples", default=str(SAMPLES), help="folder of the sample images (default: %(default)s)")
    p.add_argument("--space", choices=sorted(VARIANTS), help="with --arch: the space (default: autoformer-t)")
    p.add_argument("--arch", help="evaluate this architecture (text or JSON) instead of reading stdin")
    p.add_argument("--device", help="torch device (default: stdin's device, else COLLM_DEVICE, else cpu)")
    p.add_argument("--val-images", type=int, default=0,
                   help="with --imagenet: evaluate on this many validation images spread over the classes (0: all)")
    p.add_argument("--batch-size", type=int, default=None, help="default: 128 with --imagenet, 20 without")
    p.add_argument("--workers", type=int, default=None, help="data-loading processes (default: 8 with --imagenet, 0 without)")
    p.add_argument("--amp", action="store_true", help="mixed precision on the GPU (the reference's --amp)")
    p.add_argument("--seed", type=int, default=0, help="random weights (default: %(default)s)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = p.parse_args()
    started = time.time()

    request = read_request(args.arch, args.space or "autoformer-t")
    space = request.get("space")
    if space not in VARIANTS or request.get("dataset", "imagenet") != "imagenet":
        raise SystemExit(f"this program evaluates spaces {', '.join(VARIANTS)} on imagenet, not {space} "
                         f"on {request.get('dataset')}")
    v = VARIANTS[space]
    arch = decode_arch(request, v)
    device = pick_device(args.device, request)
    if args.threads:
        torch.set_num_threads(args.threads)
    on_imagenet = bool(args.imagenet)
    batch_size = args.batch_size or (128 if on_imagenet else 20)

    sup = AutoformerSupernet(v)
    if args.supernet:
        load_supernet(sup, args.supernet, args.trust_checkpoint)
    else:
        random_init(sup, args.seed)
        warn_random_weights(args.seed)
    net = cut_subnet(sup, arch).to(device)
    del sup  # the supernet's other weights are not needed any more

    flops = reference_flops(net)
    macs = measured_macs(net, device)
    params = count_params(net)

    if on_imagenet:
        val = every_nth(ImageFolder(Path(args.imagenet) / "val", transform()), args.val_images)
        source = f"ImageNet validation at {args.imagenet}"
    else:
        val = SampleImages(Path(args.samples), transform())
        source = f"the {len(val)} foolbox ImageNet sample images in {args.samples}"
        log(f"no --imagenet: {source}")
    loader = data_loader(val, batch_size, device, args.workers)
    t0 = time.time()
    top1, top5, n = evaluate(net, loader, device, args.amp and device.type == "cuda")
    log(f"{space} {arch} on {device} ({args.supernet or 'random weights'}): top-1 {top1:.2f}% top-5 {top5:.2f}% "
        f"on {n} images in {time.time() - t0:.1f} s; {flops / 1e6:.2f} MFLOPs (AutoFormer's counter), "
        f"{macs / 1e6:.2f} M MACs measured, {params / 1e6:.3f} M params")

    print_metrics(top1=top1, top5=top5, images=n, flops=flops, params=params, macsM=round(macs / 1e6, 6),
                  random_weights=not args.supernet, seconds=time.time() - started)


if __name__ == "__main__":
    main()
