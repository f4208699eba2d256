"""Checks of the Python eval worker that need no Temporal server (no pytest needed).

  python -m collm_eval.selftest              runs the real `evaluate` activity in
      Temporal's ActivityEnvironment on good and bad requests, asserts how each is
      answered, and prints the failures as JSON (test/python-worker.test.ts checks
      the messages again, against the TypeScript worker's)
  python -m collm_eval.selftest --dump-nb201 prints every table architecture's key
      and lookups as JSON, for the TypeScript test to compare number for number
  python -m collm_eval.selftest --check-contract reads [{"schema", "value"}, ...] as
      JSON on stdin and prints each value's problems, for the TypeScript test to
      compare with what zod says of the same values

Both read the NAS-Bench-201 table (NB201_TABLE, or the default places).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import sys
import threading
import time
from pathlib import Path
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from . import ofa_supernet
from .contract import problems
from .errors import MAX_MESSAGE_CHARS, ArchitectureError, EvaluationError
from .evaluators import EVALUATORS, EvalContext, Evaluator, select_evaluators
from .nb201 import DATASETS, arch_key, load_table
from .worker import create_evaluate_activity

ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"  # noqa: E501
GOOD = {
    "evaluator": "nb201-table",
    "options": {},
    "space": "nb201",
    "dataset": "cifar100",
    "arch": ARCH,
}


def _failure(activity: Any, request: Any, env: ActivityEnvironment | None = None) -> dict[str, Any]:
    """How the activity refused `request`, as the workflow sees it: type, message, retryable."""
    try:
        asyncio.run((env or ActivityEnvironment()).run(activity, request))
    except ApplicationError as err:
        return {"type": err.type, "message": err.message, "nonRetryable": err.non_retryable}
    except (
        Exception
    ) as err:  # the worker turns other errors into retryable failures named after their class
        return {"type": type(err).__name__, "message": str(err), "nonRetryable": False}
    raise AssertionError(f"expected {request!r} to be refused")


def _expect(failure: dict[str, Any], type: str, non_retryable: bool, *parts: str) -> dict[str, Any]:
    assert failure["type"] == type, failure
    assert failure["nonRetryable"] is non_retryable, failure
    for part in parts:
        assert part in failure["message"], (part, failure)
    return failure


def _json(text: str) -> RawValue:
    """A request as the worker receives it from the server: JSON text, undecoded."""
    return RawValue(Payload(metadata={"encoding": b"json/plain"}, data=text.encode()))


def _nested(depth: int) -> dict[str, Any]:
    """{"a": {"a": ... 1}} `depth` levels deep, built without recursion."""
    value: dict[str, Any] = {"a": 1}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def _bounded(failure: dict[str, Any], *parts: str) -> dict[str, Any]:
    assert len(failure["message"]) <= MAX_MESSAGE_CHARS, len(failure["message"])
    for part in parts:
        assert part in failure["message"], (part, failure["message"][:300])
    return failure


def hostile(activity: Any, odd: Any) -> dict[str, dict[str, Any]]:
    """Requests no search sends: each refused for good (or retried, for a crash), message bounded."""
    deep = '{"a":' * 10_000 + "1" + "}" * 10_000
    too_deep = "options" + ".a" * 31 + ": nested more than 32 levels deep"
    cases = {
        "hugeArch": _bounded(
            _expect(
                _failure(activity, {**GOOD, "arch": "x" * 10_000_000}),
                "ArchitectureError",
                True,
                "found 1 in 'xxxx",
            ),
            "…' (10,000,000 characters)",
        ),
        # As JSON text: json.loads alone gives up (RecursionError) near 1,000 levels.
        "deepOptions": _expect(
            _failure(activity, _json(json.dumps(GOOD).replace('"options": {}', f'"options": {deep}'))),
            "BadEvalRequest",
            True,
            f"evaluate: bad request: {too_deep}",
        ),
        "deepOptionsValue": _expect(
            _failure(activity, {**GOOD, "options": _nested(10_000)}),
            "BadEvalRequest",
            True,
            f"evaluate: bad request: {too_deep}",
        ),
        "protoKey": _expect(
            _failure(activity, _json(json.dumps({**GOOD, "options": {"x": [{"__proto__": {"a": 1}}]}}))),
            "BadEvalRequest",
            True,
            "evaluate: bad request: options.x.0.__proto__: the key '__proto__' is not allowed",
        ),
        "constructorKey": _expect(
            _failure(activity, {**GOOD, "options": {"constructor": {"prototype": 1}}}),
            "BadEvalRequest",
            True,
            "options.constructor: the key 'constructor' is not allowed",
        ),
        "notJson": _expect(
            _failure(activity, _json('{"evaluator": "nb201-table", "options": {')),
            "BadEvalRequest",
            True,
            "evaluate: bad request: not JSON (",
        ),
        "hugeUnknownEvaluator": _bounded(
            _expect(
                _failure(activity, {**GOOD, "evaluator": "e" * 10_000_000}),
                "UnknownEvaluator",
                True,
            ),
            "…' (10,000,000 characters) (it serves nb201-table",
        ),
        "hugeCrash": _bounded(
            _expect(_failure(odd, {**GOOD, "evaluator": "huge-crash"}), "RuntimeError", False),
            "evaluator said: " + "y" * 100 + "… (10,000,000 characters)",
        ),
    }
    for failure in cases.values():
        _bounded(failure)
    return cases


def _raising(exc: Exception) -> Evaluator:
    def evaluate(_request: dict[str, Any], _ctx: EvalContext) -> dict[str, Any]:
        raise exc

    return Evaluator("raises", evaluate, lambda: None)


def _returning(result: dict[str, Any]) -> Evaluator:
    return Evaluator("returns", lambda _r, _c: result, lambda: None)


def refusals() -> dict[str, dict[str, Any]]:
    """Every way a request can fail, through the real activity; returns the failures by case."""
    served, skipped = select_evaluators()
    activity = create_evaluate_activity(served, ["slot:0"], skipped)
    table = EVALUATORS["nb201-table"]
    missing = Path("/nonexistent/nb201.csv")
    odd = create_evaluate_activity(
        {
            "no-table": Evaluator(
                "missing table",
                lambda r, _c: load_table(missing).lookup(r["arch"], r["dataset"]),
                lambda: None,
            ),
            "nan": _returning({"valAcc": math.nan, "cost": {"flopsM": 1, "paramsM": 1}}),
            "extra": _returning(
                {"valAcc": 1.0, "cost": {"flopsM": 1, "paramsM": 1}, "accuracy": 1.0}
            ),
            "crash": _raising(RuntimeError("GPU fell off the bus")),
            "huge-crash": _raising(RuntimeError("evaluator said: " + "y" * 10_000_000)),
            "busy": _raising(EvaluationError("device busy, try again", True, "DeviceBusy")),
            "nb201-table": table,
        },
        ["slot:0"],
    )
    cases = {
        "notAnObject": _expect(
            _failure(activity, "just a string"),
            "BadEvalRequest",
            True,
            "evaluate: bad request: (root): 'just a string' is not of type 'object'",
        ),
        "badRequest": _expect(
            _failure(
                activity,
                {**{k: v for k, v in GOOD.items() if k != "arch"}, "dataset": "", "extra": 1},
            ),
            "BadEvalRequest",
            True,
            "evaluate: bad request:",
            "'arch' is a required property",
            "dataset: '' should be non-empty",
            "('extra' was unexpected)",
        ),
        "unknownEvaluator": _expect(
            _failure(activity, {**GOOD, "evaluator": "no-such"}),
            "UnknownEvaluator",
            True,
            "evaluation.evaluator: this eval worker has no evaluator 'no-such'",
            "(it serves nb201-table",
        ),
        "illegalArch": _expect(
            _failure(activity, {**GOOD, "arch": "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|"}),
            "ArchitectureError",
            True,
            "node 1, input 0: unknown operation 'conv'; use one of none, skip_connect",
        ),
        "unknownDataset": _expect(
            _failure(activity, {**GOOD, "dataset": "mnist"}),
            "TableError",
            True,
            "dataset: 'mnist' is not in the NAS-Bench-201 table",
        ),
        "unknownLatencyDevice": _expect(
            _failure(activity, {**GOOD, "latencyDevice": "no_such_device"}),
            "TableError",
            True,
            "constraint.device: unknown device 'no_such_device'; use one of",
            "hwnb_pixel3",
        ),
        "missingTable": _expect(
            _failure(odd, {**GOOD, "evaluator": "no-table"}),
            "TableError",
            True,
            f"NAS-Bench-201 table not found: {missing}",
        ),
        "nonFiniteResult": _expect(
            _failure(odd, {**GOOD, "evaluator": "nan"}),
            "BadEvalResult",
            True,
            "valAcc: must be a finite number",
        ),
        "extraResultField": _expect(
            _failure(odd, {**GOOD, "evaluator": "extra"}),
            "BadEvalResult",
            True,
            "'accuracy' was unexpected",
        ),
        "crash": _expect(
            _failure(odd, {**GOOD, "evaluator": "crash"}),
            "RuntimeError",
            False,
            "GPU fell off the bus",
        ),
        "retryableEvaluationError": _expect(
            _failure(odd, {**GOOD, "evaluator": "busy"}), "DeviceBusy", False, "device busy"
        ),
        **hostile(activity, odd),
    }
    # Without torch and ofa (as on the test machines), or without ImageNet once requirements-gpu.txt
    # is installed, ofa-supernet is not served, and says why.
    if "ofa-supernet" in skipped:
        cases["ofaNotServed"] = _expect(
            _failure(
                activity,
                {
                    **GOOD,
                    "evaluator": "ofa-supernet",
                    "space": "ofa-mbv3-w12",
                    "dataset": "imagenet",
                    "arch": "{}",
                },
            ),
            "UnknownEvaluator",
            True,
            "(it serves nb201-table); not served here: ofa-supernet:",
        )
        try:
            ofa_supernet.evaluate(
                {
                    **GOOD,
                    "space": "ofa-mbv3-w12",
                    "dataset": "imagenet",
                    # The smallest subnet: depth 2 in each stage, the other two slots 0.
                    "arch": json.dumps(
                        {"r": 160, "d": [2] * 5, "ks": [3, 3, 0, 0] * 5, "e": [3, 3, 0, 0] * 5}
                    ),
                },
                EvalContext("cpu", lambda _d: None, threading.Event()),
            )
        except EvaluationError as err:
            # What is missing: the packages, or (with requirements-gpu.txt installed) ImageNet.
            assert not err.retryable and err.type in ("MissingDependency", "MissingData"), err
        else:
            raise AssertionError("ofa-supernet evaluated without its packages or data")
    return cases


def served() -> dict[str, Any]:
    """A good request: the result the workflow gets, with device and ms; heartbeats meanwhile."""
    served, _ = select_evaluators(["nb201-table"])
    beats: list[Any] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details)
    activity = create_evaluate_activity(served, ["cuda:7"], simulate_ms=1200)
    result: dict[str, Any] = asyncio.run(env.run(activity, GOOD))
    assert result["device"] == "cuda:7" and result["ms"] >= 1000, result
    assert result["valAcc"] == load_table().lookup(ARCH, "cifar100")["valAcc"], result
    assert len(beats) >= 2 and beats[-1] == ({"device": "cuda:7"},), beats
    return result


def cancellation() -> None:
    """A cancelled evaluation frees its device only once its evaluator has stopped."""
    stopped = threading.Event()

    def slow(_request: dict[str, Any], ctx: EvalContext) -> dict[str, Any]:
        ctx.cancelled.wait(10)  # a real evaluator checks this between batches
        time.sleep(0.3)
        stopped.set()
        return {"valAcc": 1.0, "cost": {"flopsM": 1.0, "paramsM": 1.0}}

    activity = create_evaluate_activity({"slow": Evaluator("slow", slow, lambda: None)}, ["gpu"])

    async def run() -> None:
        env = ActivityEnvironment()
        first = asyncio.ensure_future(env.run(activity, {**GOOD, "evaluator": "slow"}))
        await asyncio.sleep(0.3)
        env.cancel()
        try:
            await first
        except asyncio.CancelledError:
            pass
        else:
            raise AssertionError("the cancelled evaluation returned")
        assert not stopped.is_set(), "cancellation waited for the evaluator"
        # The only device is still busy: a second evaluation starts after the first evaluator stops.
        other = ActivityEnvironment()
        second = asyncio.ensure_future(other.run(activity, {**GOOD, "evaluator": "slow"}))
        await asyncio.sleep(0.1)
        assert not second.done()
        await asyncio.sleep(0.5)
        assert stopped.is_set()
        other.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await second

    asyncio.run(run())


def ofa_arch() -> None:
    """ofa-supernet's architecture parsing, the part of it that runs without torch."""
    text = json.dumps(
        {
            "r": 224,
            "d": [2, 3, 4, 2, 3],
            "ks": [3, 5, 0, 0, 3, 3, 5, 0, 5, 7, 3, 3, 5, 5, 0, 0, 7, 5, 3, 0],
            "e": [3, 4, 0, 0, 4, 3, 6, 0, 6, 4, 4, 3, 6, 3, 0, 0, 6, 6, 4, 0],
        }
    )
    r, d, ks, e = ofa_supernet.parse_arch(text)
    assert (r, d) == (224, [2, 3, 4, 2, 3]) and 0 not in ks and 0 not in e, (ks, e)
    assert ks[:4] == [3, 5, 3, 3] and e[12:16] == [6, 3, 3, 3], (ks, e)
    bad = text.replace('"ks": [3, 5, 0, 0, 3, 3, 5, 0', '"ks": [3, 5, 0, 0, 3, 3, 0, 0')
    try:
        ofa_supernet.parse_arch(bad)
    except ArchitectureError as err:
        assert err.message == "ks[6]: must be 3, 5, 7 (got 0)", err.message
    else:
        raise AssertionError("a used slot with kernel size 0 was accepted")


def dump_nb201() -> dict[str, Any]:
    table = load_table()
    archs = table.archs()
    return {
        "archs": archs,
        "keys": [arch_key(a) for a in archs],
        "lookups": {d: [table.lookup(a, d) for a in archs] for d in DATASETS},
        "pixel3": [table.lookup(a, "cifar10", "hwnb_pixel3")["cost"]["latencyMs"] for a in archs],
    }


def check_contract(samples: list[dict[str, Any]]) -> list[list[str]]:
    return [problems(s["schema"], s["value"]) for s in samples]


def main(argv: list[str]) -> None:
    if argv == ["--dump-nb201"]:
        json.dump(dump_nb201(), sys.stdout)
        return
    if argv == ["--check-contract"]:
        json.dump(check_contract(json.load(sys.stdin)), sys.stdout)
        return
    if argv:
        sys.exit(
            "usage: python -m collm_eval.selftest [--dump-nb201 | --check-contract] "
            f"(got {' '.join(argv)})"
        )
    report = {"refusals": refusals(), "served": served()}
    cancellation()
    ofa_arch()
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main(sys.argv[1:])
