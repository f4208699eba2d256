"""The Python eval worker: serves the `evaluate` and `evaluateBatch` activities on the eval task queue.

It does what src/activities/evaluate.ts and src/workers/eval.ts do, so a
search cannot tell which worker served an evaluation: the same request and
result (checked against the schemas generated from the zod contract), one
evaluation at a time per device, a heartbeat every second, and the same
failures (bad request, unknown evaluator, illegal architecture, missing data,
a missing or broken device: non-retryable with a clear message; anything
else: retried). A CUDA device in EVAL_DEVICES that the machine lacks stops
the worker at start-up. Any client can reach the queue, so a request is
decoded here, not by the SDK: one nested too deep or with a prototype key is
refused for good (plain_json.py), and every failure's message is cut to
2,000 characters (errors.to_failure). `evaluateBatch` evaluates many
candidates in one activity (cheap evaluators, ranking stages), each as
`evaluate` would on a device slot of the same set; a candidate's failure is
its own outcome, retried inside the activity when a retry can help.

Environment:
  TEMPORAL_ADDRESS      server, default 127.0.0.1:7233 (also TEMPORAL_NAMESPACE,
                        TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE: Temporal's
                        environment configuration, as the TypeScript workers read it)
  NAS_EVAL_TASK_QUEUE   default nas-eval
  EVAL_DEVICES          comma list, one concurrent evaluation each; default "cpu,cpu"
  EVAL_EVALUATORS       comma list of evaluators to serve; default every one that can run here
  EVAL_SIMULATE_MS      pretend each evaluation takes this long (as the TypeScript worker)
  COLLM_METRICS_ADDRESS Prometheus endpoint, off when unset; a bare port is 127.0.0.1:port
                        (metrics.py, docs/metrics.md)
  EVAL_CACHE_DEVICE_GB, EVAL_CACHE_HOST_GB
                        the most ofa-supernet's decoded-image cache holds in each GPU's
                        memory and in host memory (image_cache.py; default half of each)
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, NamedTuple

from temporalio import activity
from temporalio.client import Client
from temporalio.common import MetricMeter, RawValue
from temporalio.envconfig import ClientConfig
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from . import image_cache
from .contract import batch_request_problems, request_problems, result_problems
from .devices import check_cuda_devices, probe_cuda
from .errors import EvaluationError, device_error, to_failure
from .metrics import EvalMetrics, metrics_bind_address, runtime_for
from .evaluators import EvalContext, Evaluator, select_evaluators
from .plain_json import json_shape_problem, prune_deep

EVAL_TASK_QUEUE = "nas-eval"
DEFAULT_ADDRESS = "127.0.0.1:7233"
# Well inside any heartbeat timeout a search sets, so a dead worker is noticed quickly.
HEARTBEAT_S = 1.0


def parse_devices(text: str | None, fallback: int = 2) -> list[str]:
    """EVAL_DEVICES as parseDevices reads it: "cuda:0,cuda:1"; unset: `fallback` cpu slots."""
    if not text:
        return ["cpu"] * fallback
    devices = [d.strip() for d in text.split(",") if d.strip()]
    if not devices:
        raise ValueError(
            f'EVAL_DEVICES: \'{text}\' names no device; use e.g. "cuda:0,cuda:1" or "cpu,cpu"'
        )
    return devices


class DeviceSlots:
    """One slot per device: an evaluation owns its device until its evaluator returns."""

    def __init__(self, devices: Sequence[str]) -> None:
        if not devices:
            raise ValueError('devices: at least one device slot is needed, e.g. "cuda:0" or "cpu"')
        self._free: asyncio.Queue[str] = asyncio.Queue()
        for device in devices:
            self._free.put_nowait(device)

    async def acquire(self) -> str:
        return await self._free.get()

    def release(self, device: str) -> None:
        self._free.put_nowait(device)


class _Progress:
    """The details an evaluator last reported (from its thread); the heartbeat loop sends them."""

    def __init__(self, details: Any) -> None:
        self.details = details

    def record(self, details: Any) -> None:
        self.details = details


def _refuse(message: str, type: str) -> ApplicationError:
    return ApplicationError(message, type=type, non_retryable=True)


def _bad_request(activity_name: str, problem: str) -> ApplicationError:
    return _refuse(f"{activity_name}: bad request: {problem}", "BadEvalRequest")


def decode_request(request: Any, activity_name: str = "evaluate") -> Any:
    """The request as a value, its shape checked before anything recursive reads it.

    The activity takes its payload raw: decoded by the SDK, JSON nested past
    json.loads's recursion limit failed as a retryable "Failed decoding
    arguments", attempt after attempt. Here it is pruned (plain_json.prune_deep),
    then refused for good, naming the path, as the TypeScript worker refuses it.
    A value (a direct call, as the selftest makes) is checked the same way.
    """
    if isinstance(request, RawValue):
        payload = request.payload
        if payload.metadata.get("encoding") == b"json/plain":
            try:
                request = json.loads(prune_deep(payload.data.decode("utf-8")))
            except ValueError as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
                raise _bad_request(activity_name, f"not JSON ({err})") from None
        else:
            request = activity.payload_converter().from_payload(payload)
    problem = json_shape_problem(request, root="(request)")
    if problem:
        raise _bad_request(activity_name, problem)
    return request


def _checked(
    activity_name: str, request: Any, problems_of: Callable[[Any], list[str]]
) -> dict[str, Any]:
    """`request` if it keeps the contract; checked on both sides of the queue, whoever is on the other."""
    problems = problems_of(request)
    if problems:
        raise _bad_request(activity_name, "; ".join(problems))
    return request


def _outcome(failure: ApplicationError, attempts: int) -> dict[str, Any]:
    """A batch candidate's failure as its outcome (eval-batch-outcome), as the workflow would see it."""
    return {
        "error": failure.message,
        **({"type": failure.type} if failure.type else {}),
        **({"nonRetryable": True} if failure.non_retryable else {}),
        "attempts": attempts,
    }


def _backoff_s(attempt: int) -> float:
    """The wait after a batch candidate's `attempt`-th failure: 1 s, 2 s, 4 s, ... at most 10 s."""
    return float(min(2 ** (attempt - 1), 10))


class EvalActivities(NamedTuple):
    evaluate: Callable[[Any], Any]
    evaluate_batch: Callable[[Any], Any]


def create_eval_activities(
    evaluators: Mapping[str, Evaluator],
    devices: Sequence[str],
    not_served: Mapping[str, str] | None = None,
    simulate_ms: int = 0,
    metrics: EvalMetrics | None = None,
) -> EvalActivities:
    """The `evaluate` and `evaluateBatch` activities over these evaluators and devices.

    Both take their devices from the same slots, so a batch and single
    evaluations on one worker never share a device. `not_served`: why other
    evaluators are not served here. `metrics`: where evaluations and slot use
    are counted (the worker's Prometheus endpoint); default: nowhere.
    """
    slots = DeviceSlots(devices)
    counted = metrics or EvalMetrics(MetricMeter.noop, [])
    # Evaluators block (training, inference): each runs in a thread, at most one per device.
    threads = ThreadPoolExecutor(max_workers=len(devices), thread_name_prefix="evaluate")
    skipped = dict(not_served or {})

    async def heartbeating(job: asyncio.Future[Any], progress: _Progress) -> Any:
        """Awaits the evaluator's thread, heartbeating every second.

        A cancellation (delivered with a heartbeat's answer) arrives here as CancelledError.
        """
        while True:
            done, _ = await asyncio.wait({job}, timeout=HEARTBEAT_S)
            if done:
                return job.result()
            activity.heartbeat(progress.details)

    async def sleep(seconds: float, *details: Any) -> None:
        """Waits (EVAL_SIMULATE_MS, a batch's backoff) heartbeating, and stops when cancelled."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(HEARTBEAT_S, left))
            activity.heartbeat(*details)

    async def take_slot() -> str:
        """A free device, heartbeating while there is none.

        A batch holds every slot of the worker for as long as it has candidates
        left: an activity waiting behind it must still look alive.
        """
        taking = asyncio.ensure_future(slots.acquire())
        try:
            while True:
                done, _ = await asyncio.wait({taking}, timeout=HEARTBEAT_S)
                if done:
                    return taking.result()
                activity.heartbeat()
        except asyncio.CancelledError:
            if taking.done() and not taking.cancelled():
                slots.release(taking.result())  # given just as the activity was cancelled
            else:
                taking.cancel()
            raise

    def evaluator_for(request: dict[str, Any], field: str) -> Evaluator:
        """The evaluator `request` names, or a refusal naming `field` (where the search config set it)."""
        name = request["evaluator"]
        evaluator = evaluators.get(name)
        if evaluator is None:
            why = f"; not served here: {skipped[name]}" if name in skipped else ""
            raise _refuse(
                f"{field}: this eval worker has no evaluator '{name}' "
                f"(it serves {', '.join(evaluators)}){why}",
                "UnknownEvaluator",
            )
        if "costEvaluator" in request:
            # Cost evaluators (onnx-cost) run on the TypeScript eval worker only.
            raise _refuse(
                f"evaluation.costEvaluator: this eval worker does not measure with '{request['costEvaluator']}'",
                "UnknownEvaluator",
            )
        return evaluator

    async def evaluate_one(
        request: dict[str, Any], evaluator: Evaluator, rank: bool, attempt: int
    ) -> dict[str, Any]:
        """Attempt `attempt` of one evaluation of a checked request on a device of its own.

        Counted as an evaluation, or (`rank`) as a ranking stage's candidate;
        only an evaluation gets EVAL_SIMULATE_MS.
        """
        device = await take_slot()
        started = time.monotonic()
        simulate = not rank
        labels = (request["evaluator"], str(request.get("space", "")))
        counted.slot_taken(device)
        if not rank:
            counted.started(*labels, attempt)
        ok = False
        progress = _Progress({"device": device})
        cancelled = threading.Event()
        ctx = EvalContext(device=device, heartbeat=progress.record, cancelled=cancelled)
        job: asyncio.Future[Any] | None = None
        try:
            activity.heartbeat(progress.details)
            job = asyncio.get_running_loop().run_in_executor(
                threads, evaluator.evaluate, request, ctx
            )
            result = await heartbeating(job, progress)
            if simulate and simulate_ms > 0:
                await sleep(simulate_ms / 1000, {"device": device})
            ms = round((time.monotonic() - started) * 1000)
            out = {**result, "device": device, "ms": ms} if isinstance(result, dict) else result
            problems = result_problems(out)
            if problems:
                raise _refuse(
                    f"evaluator {request['evaluator']} returned a bad result: {'; '.join(problems)}",
                    "BadEvalResult",
                )
            ok = True
            if not rank:
                counted.completed(*labels, device, time.monotonic() - started)
            return out
        except (EvaluationError, ApplicationError):
            raise  # they say whether a retry can help (TableError, ArchitectureError, ...)
        except Exception as err:
            # A missing or broken device fails every attempt here: not retried, and named.
            failure = device_error(err, device)
            if failure is None:
                raise  # retried by Temporal, typed by the exception's class name
            raise failure.with_traceback(err.__traceback__) from err
        except asyncio.CancelledError:
            cancelled.set()
            raise
        finally:
            if rank:
                counted.ranked(*labels, ok)
            elif not ok:
                counted.failed(*labels)

            def free(_: Any = None) -> None:
                # The gauge follows the slot itself, so a busy device never shows as free.
                counted.slot_freed(device)
                slots.release(device)

            if job is not None and not job.done():
                # Cancelled while the evaluator still runs: its device stays taken until it returns.
                job.add_done_callback(free)
            else:
                free()

    async def evaluate_request(request: Any) -> dict[str, Any]:
        checked = _checked("evaluate", request, request_problems)
        return await evaluate_one(
            checked, evaluator_for(checked, "evaluation.evaluator"), False, activity.info().attempt
        )

    async def evaluate_batch_request(request: Any) -> list[dict[str, Any]]:
        """Many candidates in one activity, as many at once as there are device slots.

        A candidate's failure is its own outcome: a retryable one is tried again
        (up to `attempts` in all) before it is given up, so one bad candidate
        neither fails nor repeats the others. Only what no candidate can pass
        (a bad request, an evaluator not served here) fails the activity.
        """
        checked = _checked("evaluateBatch", request, batch_request_problems)
        rank = checked.get("purpose") == "rank"
        common = {k: v for k, v in checked.items() if k not in ("archs", "attempts", "purpose")}
        evaluator = evaluator_for(common, "rank.by" if rank else "evaluation.evaluator")
        attempts: int = checked["attempts"]

        async def candidate(arch: str) -> dict[str, Any]:
            attempt = 1
            while True:
                try:
                    # A ranking stage's scores get none of the simulated training time.
                    result = await evaluate_one({**common, "arch": arch}, evaluator, rank, attempt)
                    return {"result": result, **({"attempts": attempt} if attempt > 1 else {})}
                except Exception as err:  # cancellation is no Exception: it ends the whole batch
                    # The failure a single evaluation would leave: its type, retry and bounded message.
                    failure = to_failure(err)
                    if failure.non_retryable or attempt >= attempts:
                        return _outcome(failure, attempt)
                await sleep(_backoff_s(attempt))
                attempt += 1

        # The slots bound how many run at once; gather keeps the order of `archs`.
        return list(await asyncio.gather(*(candidate(arch) for arch in checked["archs"])))

    @activity.defn(name="evaluate")
    async def evaluate(request: RawValue) -> dict[str, Any]:
        try:
            return await evaluate_request(decode_request(request, "evaluate"))
        except Exception as err:
            # Every failure leaves here, its message bounded (errors.to_failure). Cancellation
            # (asyncio.CancelledError) is no Exception: it passes as it is.
            raise to_failure(err) from None

    @activity.defn(name="evaluateBatch")
    async def evaluate_batch(request: RawValue) -> list[dict[str, Any]]:
        try:
            return await evaluate_batch_request(decode_request(request, "evaluateBatch"))
        except Exception as err:
            raise to_failure(err) from None

    return EvalActivities(evaluate, evaluate_batch)


def create_evaluate_activity(
    evaluators: Mapping[str, Evaluator],
    devices: Sequence[str],
    not_served: Mapping[str, str] | None = None,
    simulate_ms: int = 0,
) -> Callable[[Any], Any]:
    """The `evaluate` activity alone (create_eval_activities), with device slots of its own."""
    return create_eval_activities(evaluators, devices, not_served, simulate_ms).evaluate


def connect_config(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Client.connect arguments from Temporal's environment configuration; local by default."""
    config: dict[str, Any] = dict(
        ClientConfig.load_client_connect_config(
            override_env_vars=None if env is None else dict(env)
        )
    )
    config.setdefault("target_host", DEFAULT_ADDRESS)
    config.setdefault("namespace", "default")
    return config


async def serve(env: Mapping[str, str]) -> None:
    devices = parse_devices(env.get("EVAL_DEVICES"))
    # Before connecting: a CUDA device this machine lacks stops the worker, naming what it has.
    check_cuda_devices(devices, lambda: probe_cuda(env))
    image_cache.configure(image_cache.limits_from_env(env))
    task_queue = env.get("NAS_EVAL_TASK_QUEUE") or EVAL_TASK_QUEUE
    serve_names = [n.strip() for n in env.get("EVAL_EVALUATORS", "").split(",") if n.strip()]
    evaluators, skipped = select_evaluators(serve_names or None)
    for why in skipped.values():
        print(f"eval worker: not serving {why}", file=sys.stderr, flush=True)
    # What evaluators keep across evaluations (ofa-supernet: its image cache, how much it holds
    # and may hold where), so that a user sees what the worker will take of each memory.
    notes = [f"; {name}: {e.status(devices)}" for name, e in evaluators.items() if e.status]
    config = connect_config(env)
    # Before the connection, which runs on it: the runtime that exports to COLLM_METRICS_ADDRESS.
    runtime = runtime_for(env)
    client = await Client.connect(**config, **({"runtime": runtime} if runtime else {}))
    worker = Worker(
        client,
        task_queue=task_queue,
        activities=list(
            create_eval_activities(
                evaluators,
                devices,
                skipped,
                int(env.get("EVAL_SIMULATE_MS") or 0),
                EvalMetrics(runtime.metric_meter, devices) if runtime else None,
            )
        ),
        max_concurrent_activities=len(devices),
        # On SIGTERM, let evaluations in flight finish before exiting.
        graceful_shutdown_timeout=timedelta(seconds=30),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    running = asyncio.ensure_future(worker.run())
    # Tests and scripts wait for this line: the TypeScript eval worker prints the same.
    print(
        f"eval worker (python): polling {task_queue} with devices {', '.join(devices)} "
        f"(evaluators {', '.join(evaluators)}) on {config['target_host']}{''.join(notes)}",
        flush=True,
    )
    if runtime:
        address = env["COLLM_METRICS_ADDRESS"]
        print(f"metrics: http://{metrics_bind_address(address)}/metrics (COLLM_METRICS_ADDRESS)", flush=True)
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not running.done():
        await worker.shutdown()
    stopping.cancel()
    await running


def main() -> None:
    try:
        asyncio.run(serve(os.environ))
        code = 0
    except Exception as err:  # a start-up error: say it in one line, as the TypeScript workers do
        print(f"eval worker: {err}", file=sys.stderr, flush=True)
        code = 1
    # The worker has shut down (or never started); skip the interpreter's
    # teardown. The Temporal SDK's Rust threads can still call into Python
    # while it finalizes, which aborts the process ("PyGILState_Release ...
    # must be current", temporalio/sdk-python#300) and turns a clean SIGTERM
    # into a crash. Nothing is left to clean up but buffered output.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
