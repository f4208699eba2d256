"""The guard on the shape of a request's JSON, as src/lib/plain-json.ts guards a config.

Keys that reach a prototype (`__proto__`, `constructor`, `prototype`) are
refused anywhere, and nesting is bounded, with the messages and the path the
TypeScript worker gives for the same request: both eval workers refuse the
same requests in the same words. Nothing here recurses, so a value nested
10,000 deep is measured, never a RecursionError (retried for nothing).
"""

from __future__ import annotations

import re
from typing import Any

FORBIDDEN_KEYS = frozenset({"__proto__", "constructor", "prototype"})
# As MAX_JSON_DEPTH in plain-json.ts: deeper than any config needs, far below any stack limit.
MAX_JSON_DEPTH = 32


def forbidden_key_message(path: str) -> str:
    return (
        f"{path}: the key '{path.split('.')[-1]}' is not allowed (__proto__, constructor and "
        "prototype are refused as keys anywhere); remove it"
    )


def json_shape_problem(value: Any, max_depth: int = MAX_JSON_DEPTH, root: str = "(config)") -> str | None:
    """The first forbidden key or too-deep value in `value` as "path: problem"; None when fine.

    Walks in the order jsonShapeProblem does (a stack: last child first), so that
    of several problems both workers name the same one.
    """
    stack: list[tuple[Any, str, int]] = [(value, root, 0)]
    while stack:
        v, path, depth = stack.pop()
        if not isinstance(v, (dict, list)):
            continue  # decoded JSON: the rest are scalars, each field checks its own
        if depth >= max_depth:
            return (
                f"{path}: nested more than {max_depth} levels deep; no field of a search "
                "config or an evaluation request is"
            )
        entries = [(str(i), x) for i, x in enumerate(v)] if isinstance(v, list) else v.items()
        for key, child in entries:
            at = key if path == root else f"{path}.{key}"
            if isinstance(v, dict) and key in FORBIDDEN_KEYS:
                return forbidden_key_message(at)
            stack.append((child, at, depth + 1))
    return None


# A JSON string (escapes included) or a bracket: brackets inside strings are not nesting.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def prune_deep(text: str, max_depth: int = MAX_JSON_DEPTH) -> str:
    """JSON `text` with every container `max_depth` levels down emptied.

    json.loads recurses (RecursionError near 1,000 levels): this lets it read
    any depth. The emptied containers are still there, so json_shape_problem
    names the same path it would in the whole value, and never looks inside
    them: the pruned value is refused exactly as the original would be.
    """
    depth = 0
    pieces: list[str] = []
    kept: int | None = 0  # where the text still to copy starts; None while skipping
    for token in _TOKENS.finditer(text):
        bracket = token.group()
        if bracket[0] == '"':
            continue
        if bracket in "[{":
            depth += 1
            if depth == max_depth + 1 and kept is not None:  # inside a container max_depth down
                pieces.append(text[kept : token.end()])
                kept = None
        else:
            if depth == max_depth + 1:
                kept = token.start()
            depth -= 1
    if not pieces:
        return text
    # Unbalanced brackets leave it unreadable, as the original was.
    return "".join(pieces) + (text[kept:] if kept is not None else "")
