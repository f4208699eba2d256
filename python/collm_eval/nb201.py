"""NAS-Bench-201 in Python: the cell's text format and the benchmark table.

A port of src/spaces/nb201/{arch,canonical}.ts and src/evaluators/nb201/table.ts
that must give exactly the TypeScript answers: same parse errors, same
canonical keys, same numbers (test/python-worker.test.ts compares all 15,625
architectures on every dataset).
"""

from __future__ import annotations

import math
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .context import EvalContext, EvalRequest, EvalResult, Evaluator
from .errors import ArchitectureError, TableError

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
# Edges in canonical order: (1<-0), (2<-0), (2<-1), (3<-0), (3<-1), (3<-2).
EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
DATASETS = ("cifar10", "cifar100", "imagenet16")
ARCH_COUNT = len(OPS) ** len(EDGES)

NB201_DATA_HELP = (
    "Set NB201_TABLE to the path of nb201.csv (one row per architecture with the columns "
    "index, arch, <dataset>_valid, <dataset>_test, flops_M, params_M ...). "
    'See "NAS-Bench-201 data" in README.md for how to obtain it.'
)


def parse_arch(text: object) -> tuple[str, ...]:
    """Parses `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|` into six ops; errors as parseNb201's."""
    if not isinstance(text, str):
        raise ArchitectureError("architecture must be a string")
    trimmed = text.strip()
    nodes = trimmed.split("+")
    if len(nodes) != 3:
        raise ArchitectureError(
            f"expected 3 node groups separated by '+', found {len(nodes)} in '{trimmed}' "
            "(format: |op~0|+|op~0|op~1|+|op~0|op~1|op~2|)"
        )
    ops: list[str] = []
    for g, group in enumerate(nodes):
        node = g + 1
        if not group.startswith("|") or not group.endswith("|") or len(group) < 2:
            raise ArchitectureError(f"node {node} group '{group}' must start and end with '|'")
        items = group[1:-1].split("|")
        if len(items) != node:
            raise ArchitectureError(
                f"node {node} must have {node} input edge(s), found {len(items)} in '{group}'"
            )
        for index, item in enumerate(items):
            where = f"node {node}, input {index}"
            parts = item.split("~")
            if len(parts) != 2:
                raise ArchitectureError(f"{where}: '{item}' is not of the form op~{index}")
            op, idx = parts
            if idx != str(index):
                raise ArchitectureError(f"{where}: '{item}' names input {idx}, expected ~{index}")
            if op not in OPS:
                raise ArchitectureError(
                    f"{where}: unknown operation '{op}'; use one of {', '.join(OPS)}"
                )
            ops.append(op)
    return tuple(ops)


def format_arch(arch: tuple[str, ...]) -> str:
    a, b, c, d, e, f = arch
    return f"|{a}~0|+|{b}~0|{c}~1|+|{d}~0|{e}~1|{f}~2|"


def canonical_arch(arch: tuple[str, ...]) -> tuple[str, ...]:
    """Edges on no input-to-output path of live edges become `none` (as canonicalNb201).

    One form per function computed, so a search never spends budget on a disguised duplicate.
    """
    live = [op != "none" for op in arch]
    from_input = [True, False, False, False]
    for e, (src, dst) in enumerate(EDGES):
        # Edges are ordered by target node, so one pass settles reachability.
        if live[e] and from_input[src]:
            from_input[dst] = True
    to_output = [False, False, False, True]
    for e in range(len(EDGES) - 1, -1, -1):
        src, dst = EDGES[e]
        if live[e] and to_output[dst]:
            to_output[src] = True
    return tuple(
        op if live[e] and from_input[EDGES[e][0]] and to_output[EDGES[e][1]] else "none"
        for e, op in enumerate(arch)
    )


def arch_key(text: str) -> str:
    """The search's dedup key (nb201Space.key): equal for cells that compute the same function."""
    return format_arch(canonical_arch(parse_arch(text)))


def table_candidates(env: Mapping[str, str] | None = None, root: Path | None = None) -> list[Path]:
    """NB201_TABLE, else ./data/nb201, else ../shared/data/nb201 (as nb201TableCandidates)."""
    env = os.environ if env is None else env
    root = Path.cwd() if root is None else root
    if env.get("NB201_TABLE"):
        return [Path(env["NB201_TABLE"]).resolve()]
    return [root / "data/nb201/nb201.csv", root / "../shared/data/nb201/nb201.csv"]


def resolve_table(env: Mapping[str, str] | None = None, root: Path | None = None) -> Path:
    candidates = table_candidates(env, root)
    for path in candidates:
        if path.exists():
            return path
    looked = ", ".join(str(p) for p in candidates)
    raise TableError(f"NAS-Bench-201 table not found (looked at {looked}). {NB201_DATA_HELP}")


# A row's columns per dataset, in _Row's order; {s}: the table names the first
# dataset's (CIFAR-10's) costs flops_M and params_M, the others' flops_M_<dataset>.
_ROW_COLUMNS = ("{d}_valid", "{d}_test", "flops_M{s}", "params_M{s}")


def _column_name(pattern: str, dataset: str) -> str:
    return pattern.format(d=dataset, s="" if dataset == DATASETS[0] else f"_{dataset}")


def _split_csv(text: str, file: Path) -> tuple[list[str], list[list[str]]]:
    lines = [line for line in re.split(r"\r?\n", text) if line]
    if len(lines) < 2:
        raise TableError(f"{file}: is empty or has no data rows. {NB201_DATA_HELP}")
    # No field of these tables contains a comma or a quote.
    return lines[0].split(","), [line.split(",") for line in lines[1:]]


def _column(header: list[str], name: str, file: Path) -> int:
    if name not in header:
        raise TableError(
            f"{file}: missing column '{name}' (found: {', '.join(header)}). {NB201_DATA_HELP}"
        )
    return header.index(name)


def _js_number(raw: str) -> float:
    """JavaScript's Number() on the values these tables hold: NaN where it is no number."""
    try:
        return float(raw)
    except ValueError:
        return math.nan


@dataclass(frozen=True)
class _Row:
    """valid, test, flopsM, paramsM by dataset."""

    valid: dict[str, float]
    test: dict[str, float]
    flops_m: dict[str, float]
    params_m: dict[str, float]


class Nb201Table:
    """nb201.csv (and hw.csv beside it, when present) read once into memory."""

    def __init__(
        self,
        file: Path,
        rows: dict[str, _Row],
        hw: dict[str, dict[str, float]],
        hw_columns: list[str],
    ) -> None:
        self.file = file
        self._rows = rows
        self._hw = hw
        self.hw_columns = hw_columns

    @property
    def size(self) -> int:
        return len(self._rows)

    def archs(self) -> list[str]:
        """Every architecture of the table, in its normalised text form."""
        return list(self._rows)

    @staticmethod
    def load(file: Path) -> Nb201Table:
        if not file.exists():
            raise TableError(f"NAS-Bench-201 table not found: {file}. {NB201_DATA_HELP}")
        header, lines = _split_csv(file.read_text(encoding="utf-8"), file)
        required = ["arch"] + [_column_name(c, d) for d in DATASETS for c in _ROW_COLUMNS]
        missing = [c for c in required if c not in header]
        if missing:
            listed = ", ".join(f"'{c}'" for c in missing)
            raise TableError(f"{file}: missing column(s) {listed}. {NB201_DATA_HELP}")
        arch_col = header.index("arch")
        index = {name: i for i, name in enumerate(header)}

        def num(cells: list[str], name: str, line: int) -> float:
            i = index[name]
            raw = cells[i] if i < len(cells) else None
            value = _js_number(raw) if raw else math.nan
            if not math.isfinite(value):
                raise TableError(
                    f"{file}: line {line + 2}, column {name}: '{raw or ''}' is not a number. "
                    f"{NB201_DATA_HELP}"
                )
            return value

        rows: dict[str, _Row] = {}
        for line, cells in enumerate(lines):
            try:
                key = format_arch(parse_arch(cells[arch_col] if arch_col < len(cells) else ""))
            except ArchitectureError as err:
                raise TableError(
                    f"{file}: line {line + 2}: {err.message}. {NB201_DATA_HELP}"
                ) from err
            valid, test, flops_m, params_m = (
                {d: num(cells, _column_name(c, d), line) for d in DATASETS} for c in _ROW_COLUMNS
            )
            rows[key] = _Row(valid, test, flops_m, params_m)
        if len(rows) != ARCH_COUNT:
            raise TableError(
                f"{file}: has {len(rows)} distinct architectures, expected {ARCH_COUNT}. "
                f"{NB201_DATA_HELP}"
            )
        hw, hw_columns = Nb201Table._load_hw(file.parent / "hw.csv")
        return Nb201Table(file, rows, hw, hw_columns)

    @staticmethod
    def _load_hw(hw_file: Path) -> tuple[dict[str, dict[str, float]], list[str]]:
        if not hw_file.exists():
            return {}, []
        header, lines = _split_csv(hw_file.read_text(encoding="utf-8"), hw_file)
        arch_col = _column(header, "arch", hw_file)
        columns = [h for h in header if h.endswith("_ms")]
        positions = [header.index(h) for h in columns]
        hw: dict[str, dict[str, float]] = {}
        for cells in lines:
            hw[cells[arch_col]] = {
                h: _js_number(cells[i])
                for h, i in zip(columns, positions, strict=True)
                if i < len(cells) and cells[i] != ""
            }
        return hw, columns

    def lookup(self, arch: str, dataset: str, latency_device: str | None = None) -> dict[str, Any]:
        """The benchmark's numbers for `arch`, as Nb201Table.lookup returns them.

        The row is found by the arch as written (normalised, not canonical):
        cells that compute the same function were trained separately and have
        rows with different accuracies, and the TypeScript lookup reads the
        row of the cell as written.
        """
        if dataset not in DATASETS:
            raise TableError(
                f"dataset: '{dataset}' is not in the NAS-Bench-201 table; "
                f"use one of {', '.join(DATASETS)}"
            )
        key = format_arch(parse_arch(arch))
        row = self._rows.get(key)
        if row is None:
            raise TableError(f"{self.file}: no row for architecture {key}")
        cost: dict[str, float] = {"flopsM": row.flops_m[dataset], "paramsM": row.params_m[dataset]}
        if latency_device is not None:
            cost["latencyMs"] = self._latency(key, latency_device)
        return {"valAcc": row.valid[dataset], "testAcc": row.test[dataset], "cost": cost}

    def _latency(self, key: str, device: str) -> float:
        column = next(
            (c for c in (device, f"{device}_latency_ms", f"{device}_ms") if c in self.hw_columns),
            None,
        )
        if column is None:
            if not self.hw_columns:
                raise TableError(
                    f"constraint.device: no hw.csv beside {self.file}, so latency is unavailable; "
                    "put hw.csv there or use a flops/params constraint"
                )
            known = ", ".join(re.sub(r"(_latency)?_ms$", "", c) for c in self.hw_columns)
            raise TableError(f"constraint.device: unknown device '{device}'; use one of {known}")
        value = self._hw.get(key, {}).get(column)
        if value is None:
            raise TableError(
                f"constraint.device: {column} has no latency for {key}; "
                "pick a device with full coverage such as hwnb_pixel3"
            )
        return value


_lock = threading.Lock()
_tables: dict[Path, Nb201Table] = {}


def load_table(path: Path | None = None) -> Nb201Table:
    """The table at `path` (default: resolve_table()), read on first use, kept for the process."""
    file = path if path is not None else resolve_table()
    with _lock:  # evaluations run in threads; read the file once
        if file not in _tables:
            _tables[file] = Nb201Table.load(file)
        return _tables[file]


def evaluate(request: EvalRequest, _ctx: EvalContext) -> EvalResult:
    return load_table().lookup(request["arch"], request["dataset"], request.get("latencyDevice"))


def check() -> None:
    load_table()  # reads the table now, so a worker without it says so at start-up


EVALUATOR = Evaluator(
    description="NAS-Bench-201 accuracies and costs from the benchmark table (latency: hw.csv)",
    evaluate=evaluate,
    check=check,
)
