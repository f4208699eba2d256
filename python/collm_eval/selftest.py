"""Checks of the Python eval worker that need no Temporal server (no pytest needed).

  python -m collm_eval.selftest              runs the real `evaluate` and
      `evaluateBatch` activities in Temporal's ActivityEnvironment on good and bad
      requests, asserts how each is answered, and prints the failures as JSON
      (test/python-worker.test.ts checks the messages again, against the
      TypeScript worker's); checks the image cache's rules (selftest_cache.py),
      and where PyTorch and ofa are installed, that ofa-supernet's numbers are the
      same with the cache and without (gpucheck_cache.py; else says what is missing)
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

from . import ofa_supernet, selftest_cache
from .contract import batch_outcome_problems, problems
from .errors import MAX_MESSAGE_CHARS, ArchitectureError, EvaluationError
from .evaluators import EVALUATORS, EvalContext, Evaluator, select_evaluators
from .nb201 import DATASETS, arch_key, load_table
from .worker import create_eval_activities, create_evaluate_activity

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


BATCH = {**{k: v for k, v in GOOD.items() if k != "arch"}, "attempts": 3}
ILLEGAL = "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|"
OTHER = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
_COST = {"flopsM": 1.0, "paramsM": 1.0}


def _outcomes(activity: Any, request: Any, env: ActivityEnvironment | None = None) -> list[Any]:
    """The batch's outcomes, each checked against the contract's eval-batch-outcome."""
    outcomes: list[Any] = asyncio.run((env or ActivityEnvironment()).run(activity, request))
    assert isinstance(outcomes, list) and len(outcomes) == len(request["archs"]), outcomes
    for outcome in outcomes:
        assert not batch_outcome_problems(outcome), (outcome, batch_outcome_problems(outcome))
    return outcomes


def _without_timing(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k not in ("device", "ms")}


def batch_outcomes() -> dict[str, Any]:
    """`evaluateBatch` on the table: one outcome per arch in order, an illegal one failing alone."""
    served, skipped = select_evaluators(["nb201-table"])
    activities = create_eval_activities(served, ["slot:0", "slot:1"], skipped, simulate_ms=1000)
    table = load_table()
    outcomes = _outcomes(activities.evaluate_batch, {**BATCH, "archs": [ARCH, ILLEGAL, OTHER]})
    assert _without_timing(outcomes[0]["result"]) == table.lookup(ARCH, "cifar100"), outcomes[0]
    assert _without_timing(outcomes[2]["result"]) == table.lookup(OTHER, "cifar100"), outcomes[2]
    assert all(o["result"]["device"] in ("slot:0", "slot:1") for o in (outcomes[0], outcomes[2]))
    # Evaluated candidates get the simulated training time, as single evaluations do.
    assert outcomes[0]["result"]["ms"] >= 1000, outcomes[0]
    # The illegal one fails as its single evaluation does, at once and for good.
    alone = _failure(activities.evaluate, {**GOOD, "arch": ILLEGAL})
    assert outcomes[1] == {
        "error": alone["message"],
        "type": "ArchitectureError",
        "nonRetryable": True,
        "attempts": 1,
    }, (outcomes[1], alone)
    # A ranking stage's scores skip the simulated training time.
    ranked = _outcomes(activities.evaluate_batch, {**BATCH, "archs": [ARCH], "purpose": "rank"})
    assert ranked[0]["result"]["ms"] < 1000, ranked
    return {"outcomes": outcomes, "ranked": ranked}


def batch_retries() -> dict[str, Any]:
    """A retryable failure is tried again inside the activity, backing off and heartbeating."""
    calls: dict[str, int] = {}
    lock = threading.Lock()

    def flaky(request: dict[str, Any], _ctx: EvalContext) -> dict[str, Any]:
        """Arch "fails-N" fails retryably N times, then answers its number of calls."""
        arch = request["arch"]
        with lock:
            calls[arch] = calls.get(arch, 0) + 1
            n = calls[arch]
        if n <= int(arch.split("-")[1]):
            raise EvaluationError(f"{arch}: device busy, try again", True, "DeviceBusy")
        return {"valAcc": float(n), "cost": _COST}

    activities = create_eval_activities(
        {
            "flaky": Evaluator("flaky", flaky, lambda: None),
            "crash": _raising(RuntimeError("GPU fell off the bus")),
            "broken-gpu": _raising(RuntimeError("CUDA error: invalid device ordinal")),
        },
        ["slot:0", "slot:1"],
    )
    request = {**BATCH, "evaluator": "flaky", "purpose": "rank"}
    beats: list[Any] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details)
    started = time.monotonic()
    outcomes = _outcomes(
        activities.evaluate_batch, {**request, "archs": ["fails-0", "fails-2", "fails-5"]}, env
    )
    waited = time.monotonic() - started
    assert [o.get("result", {}).get("valAcc") for o in outcomes[:2]] == [1.0, 3.0], outcomes
    # A result says how many attempts it took when it took more than one.
    assert "attempts" not in outcomes[0] and outcomes[1]["attempts"] == 3, outcomes
    assert outcomes[2] == {
        "error": "fails-5: device busy, try again",
        "type": "DeviceBusy",
        "attempts": 3,
    }, outcomes[2]
    assert calls == {"fails-0": 1, "fails-2": 3, "fails-5": 3}, calls
    # Backing off 1 s, then 2 s, heartbeating meanwhile.
    assert waited >= 3, waited
    assert beats.count(()) >= 2, beats
    # The ranking stage asks for one attempt: no retry.
    once = _outcomes(activities.evaluate_batch, {**request, "archs": ["fails-1"], "attempts": 1})
    assert once == [
        {"error": "fails-1: device busy, try again", "type": "DeviceBusy", "attempts": 1}
    ]
    # Any other exception is retried, typed by its class; a device error is not retried.
    crash = _outcomes(
        activities.evaluate_batch, {**request, "evaluator": "crash", "archs": ["a"], "attempts": 2}
    )
    assert crash == [{"error": "GPU fell off the bus", "type": "RuntimeError", "attempts": 2}], (
        crash
    )
    device = _outcomes(
        activities.evaluate_batch, {**request, "evaluator": "broken-gpu", "archs": ["a"]}
    )
    assert device[0]["type"] == "DeviceError" and device[0]["nonRetryable"] is True, device
    assert device[0]["attempts"] == 1 and "device slot:" in device[0]["error"], device
    return {"outcomes": outcomes, "crash": crash, "device": device}


def batch_concurrency() -> None:
    """Candidates run as many at once as there are device slots; outcomes keep the order of archs."""
    running = [0, 0]  # now, most at once
    lock = threading.Lock()

    def slow(request: dict[str, Any], _ctx: EvalContext) -> dict[str, Any]:
        with lock:
            running[0] += 1
            running[1] = max(running)
        time.sleep(float(request["arch"]))
        with lock:
            running[0] -= 1
        return {"valAcc": float(request["arch"]), "cost": _COST}

    activities = create_eval_activities(
        {"slow": Evaluator("slow", slow, lambda: None)}, ["slot:0", "slot:1"]
    )
    archs = ["0.5", "0.1", "0.2", "0.1", "0.1"]
    outcomes = _outcomes(activities.evaluate_batch, {**BATCH, "evaluator": "slow", "archs": archs})
    assert [o["result"]["valAcc"] for o in outcomes] == [float(a) for a in archs], outcomes
    assert running == [0, 2], running


def batch_cancellation() -> None:
    """Cancelling the batch cancels it whole: every running evaluator is told, nothing returns."""
    told: list[str] = []

    def waits(request: dict[str, Any], ctx: EvalContext) -> dict[str, Any]:
        if ctx.cancelled.wait(10):
            told.append(request["arch"])
        return {"valAcc": 1.0, "cost": _COST}

    activities = create_eval_activities(
        {"waits": Evaluator("waits", waits, lambda: None)}, ["slot:0", "slot:1"]
    )

    async def run() -> None:
        env = ActivityEnvironment()
        running = asyncio.ensure_future(
            env.run(
                activities.evaluate_batch, {**BATCH, "evaluator": "waits", "archs": ["a", "b", "c"]}
            )
        )
        await asyncio.sleep(0.3)
        env.cancel()
        try:
            await running
        except asyncio.CancelledError:
            pass
        else:
            raise AssertionError("the cancelled batch returned")
        await asyncio.sleep(0.2)  # the evaluators' threads see the cancellation

    asyncio.run(run())
    assert sorted(told) == ["a", "b"], told


def batch_refusals() -> dict[str, dict[str, Any]]:
    """What fails the whole batch: a request no candidate can pass, as `evaluate` refuses it."""
    served, skipped = select_evaluators()
    activity = create_eval_activities(served, ["slot:0"], skipped).evaluate_batch
    good = {**BATCH, "archs": [ARCH]}
    cases = {
        "badRequest": _expect(
            _failure(
                activity,
                {**{k: v for k, v in good.items() if k != "attempts"}, "arch": ARCH, "archs": []},
            ),
            "BadEvalRequest",
            True,
            "evaluateBatch: bad request:",
            "'attempts' is a required property",
            "('arch' was unexpected)",
            "archs: [] should be non-empty",
        ),
        "badAttempts": _expect(
            _failure(activity, {**good, "attempts": 0, "purpose": "score"}),
            "BadEvalRequest",
            True,
            "attempts: 0 is less than the minimum of 1",
            "purpose: 'score' is not one of ['evaluate', 'rank']",
        ),
        "tooManyArchs": _bounded(
            _expect(
                _failure(activity, {**good, "archs": [ARCH] * 2001}),
                "BadEvalRequest",
                True,
                "evaluateBatch: bad request: archs: (list of 2,001 items) is too long",
            )
        ),
        "protoKey": _expect(
            _failure(activity, _json(json.dumps({**good, "options": {"__proto__": {"a": 1}}}))),
            "BadEvalRequest",
            True,
            "evaluateBatch: bad request: options.__proto__: the key '__proto__' is not allowed",
        ),
        "unknownEvaluator": _expect(
            _failure(activity, {**good, "evaluator": "no-such"}),
            "UnknownEvaluator",
            True,
            "evaluation.evaluator: this eval worker has no evaluator 'no-such' (it serves nb201-table",
        ),
        # A ranking stage names its evaluator in rank.by.
        "unknownRanker": _expect(
            _failure(activity, {**good, "evaluator": "no-such", "purpose": "rank"}),
            "UnknownEvaluator",
            True,
            "rank.by: this eval worker has no evaluator 'no-such' (it serves nb201-table",
        ),
        "costEvaluator": _expect(
            _failure(activity, {**good, "costEvaluator": "onnx-cost"}),
            "UnknownEvaluator",
            True,
            "evaluation.costEvaluator: this eval worker does not measure with 'onnx-cost'",
        ),
    }
    # The same problems, in the same words, as `evaluate` has for the same fields.
    single = _failure(
        create_evaluate_activity(served, ["slot:0"], skipped), {**GOOD, "evaluator": "no-such"}
    )
    assert single["message"] == cases["unknownEvaluator"]["message"], (
        single,
        cases["unknownEvaluator"],
    )
    return cases


def batch() -> dict[str, Any]:
    """The real `evaluateBatch` activity, run as `evaluate` is; returns what it answered."""
    report = {"served": batch_outcomes(), "retries": batch_retries(), "refusals": batch_refusals()}
    batch_concurrency()
    batch_cancellation()
    return report


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
    report = {"refusals": refusals(), "served": served(), "batch": batch()}
    cancellation()
    ofa_arch()
    report["imageCache"] = selftest_cache.rules()
    # With PyTorch and ofa installed: the cache changes no number (seconds on the CPU).
    report["ofaCacheCheck"] = selftest_cache.torch_check()
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main(sys.argv[1:])
