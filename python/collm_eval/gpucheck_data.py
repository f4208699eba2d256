"""What `python -m collm_eval.gpucheck` evaluates on: subnets with known costs,
randomly initialised supernet weights and synthetic ImageNet folders, made in
a scratch directory so that the check needs no download and no dataset.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .ofa_supernet import NET_IDS

REPO = Path(__file__).resolve().parents[2]
# The TypeScript cost model's figures (`collm-nas cost --json`); test/gpucheck.test.ts checks them.
FIXTURE = REPO / "test/fixtures/ofa-subnet-costs.json"
SPACE_OF_WIDTH = {"1.0": "ofa-mbv3-w10", "1.2": "ofa-mbv3-w12"}


@dataclass(frozen=True)
class Subnet:
    name: str
    space: str
    arch: str
    # The cost model's counts; None for a published subnet known only by its published FLOPs.
    flops_m: float | None
    params_m: float | None
    published_mflops: float | None


def load_fixture(path: Path) -> list[Subnet]:
    data = json.loads(path.read_text())
    return [
        Subnet(
            s["name"], s["space"], s["arch"], s["flopsM"], s["paramsM"], s.get("publishedMflops")
        )
        for s in data["subnets"]
    ]


def published_csv() -> Path | None:
    """OFA's published subnets (specialized-flops.csv) where the tests read them: OFA_DATA, else
    ../shared/data/ofa beside the checkout. Never copied into the repo, so often absent."""
    path = (
        Path(os.environ.get("OFA_DATA") or REPO.parent / "shared/data/ofa")
        / "specialized-flops.csv"
    )
    return path if path.is_file() else None


def load_published(path: Path, known: list[Subnet]) -> list[Subnet]:
    """The published subnets not already in the fixture, each with its published MFLOPs."""
    archs = {(s.space, json.dumps(json.loads(s.arch))) for s in known}
    out = []
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            ints = [[int(x) for x in row[k].split("-")] for k in ("d", "ks", "e")]
            d, ks, e = ints
            arch = json.dumps({"r": int(row["resolution"]), "d": d, "ks": ks, "e": e})
            space = SPACE_OF_WIDTH[row["width_mult"]]
            if (space, json.dumps(json.loads(arch))) not in archs:
                out.append(
                    Subnet(row["name"], space, arch, None, None, float(row["published_mflops"]))
                )
    return out


def make_weights(workdir: Path, spaces: set[str], seed: int = 0) -> None:
    """Random supernet weights where ofa_net(..., pretrained=True) reads them: .torch/ofa_nets/<net
    id> under the working directory, as {"state_dict": ...} like OFA's published files."""
    import torch
    from ofa.model_zoo import ofa_net

    folder = workdir / ".torch/ofa_nets"
    folder.mkdir(parents=True, exist_ok=True)
    for space in sorted(spaces):
        torch.manual_seed(seed)
        net = ofa_net(
            NET_IDS[space], pretrained=False
        )  # the same constructor the evaluator's load uses
        torch.save({"state_dict": net.state_dict()}, folder / NET_IDS[space])


def make_imagenet(
    root: Path, train: int, val: int, classes: int = 4, seed: int = 0, distinct: int = 500
) -> Path:
    """ImageFolder train/ and val/ of random JPEGs of ImageNet's typical size (500x375): smooth
    regions as photos have, with detail at several scales, so that a file is about 90 KB
    (ImageNet's validation files average about 130 KB) and decoding and resizing cost about what
    they cost on the real set. Past `distinct` per part, files are hard links to earlier ones
    (decoded all the same, made fast)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)

    def noise(h: int, w: int) -> Any:
        small = Image.fromarray(rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8))
        return np.asarray(small.resize((500, 375), Image.Resampling.BILINEAR), dtype=np.float32)

    for part, count in (("train", train), ("val", val)):
        made: list[Path] = []
        for i in range(count):
            folder = root / part / f"n{i % classes:08d}"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{part}_{i:05d}.JPEG"
            if i >= distinct:
                try:
                    os.link(made[i % distinct], path)
                    continue
                except OSError:  # no hard links here: a file of its own
                    pass
            detail = sum(noise(375 // s, 500 // s) - 128 for s in (1, 2, 4)) / 6
            pixels = np.clip(noise(24, 32) + detail, 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(path, quality=90)
            made.append(path)
    return root


def forbid_downloads() -> None:
    """The check must run offline: a missing weights file fails it rather than fetching one."""
    from ofa.utils import common_tools

    def refuse(url: str, *_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError(f"gpucheck does not download ({url})")

    common_tools.urlretrieve = refuse  # type: ignore[attr-defined]
