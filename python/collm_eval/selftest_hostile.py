"""Hostile `evaluate` requests sent through a real Temporal server to an eval queue.

  python -m collm_eval.selftest_hostile ADDRESS QUEUE

A workflow on a queue of its own schedules `evaluate` on QUEUE (served by
either eval worker) with raw JSON payloads no search would send: an arch of
1.5 MB, options nested 10,000 deep (JSON.stringify and json.dumps cannot
even write these: the payload is built as text), a `__proto__` key, bytes
that are not JSON. It prints, as JSON, how each attempt ended: the failure's
type, message length and head, whether it was retryable, and why Temporal
stopped (retry state), so a test can tell a refusal from a retried failure.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
# Under the server's 2 MB limit on one payload: a 10 MB arch never reaches a worker this way.
HUGE_ARCH_CHARS = 1_500_000
DEEP = 10_000


def request_text(case: str) -> bytes:
    good = {"evaluator": "nb201-table", "options": {}, "space": "nb201", "dataset": "cifar100"}
    if case == "hugeArch":
        return json.dumps({**good, "arch": "x" * HUGE_ARCH_CHARS}).encode()
    if case == "deepOptions":
        deep = '{"a":' * DEEP + "1" + "}" * DEEP
        return json.dumps({**good, "arch": ARCH}).replace('"options": {}', f'"options": {deep}').encode()
    if case == "protoKey":
        return json.dumps({**good, "arch": ARCH, "options": {"__proto__": {"polluted": True}}}).encode()
    if case == "notJson":
        return b'{"evaluator": "nb201-table", "options": {'
    raise ValueError(f"unknown case {case}")


CASES = ["hugeArch", "deepOptions", "protoKey", "notJson"]


@workflow.defn(name="hostile-evaluate")
class HostileEvaluate:
    @workflow.run
    async def run(self, queue: str, case: str) -> dict[str, Any]:
        payload = Payload(metadata={"encoding": b"json/plain"}, data=request_text(case))
        try:
            await workflow.execute_activity(
                "evaluate",
                RawValue(payload),
                task_queue=queue,
                start_to_close_timeout=timedelta(seconds=60),
                # Three quick attempts: enough to see whether a failure is retried.
                retry_policy=RetryPolicy(
                    maximum_attempts=3,
                    initial_interval=timedelta(milliseconds=100),
                    backoff_coefficient=1.0,
                ),
            )
        except ActivityError as err:
            cause = err.cause
            message = str(getattr(cause, "message", cause))
            return {
                "retryState": err.retry_state.name if err.retry_state is not None else None,
                "type": cause.type if isinstance(cause, ApplicationError) else type(cause).__name__,
                "nonRetryable": isinstance(cause, ApplicationError) and cause.non_retryable,
                "length": len(message),
                "message": message[:2500],
            }
        return {"retryState": None, "type": None, "message": "evaluated"}


async def run(address: str, queue: str) -> dict[str, Any]:
    # The SDK warns on stdout of the 1.5 MB payload (over its 512 KB warning limit): stdout is the report.
    quiet = TelemetryConfig(logging=LoggingConfig(filter=TelemetryFilter("ERROR", "ERROR")))
    client = await Client.connect(address, runtime=Runtime(telemetry=quiet))
    own = f"hostile-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=own,
        workflows=[HostileEvaluate],
        workflow_runner=UnsandboxedWorkflowRunner(),
        max_cached_workflows=0,
    ):
        results = await asyncio.gather(
            *(
                client.execute_workflow(
                    HostileEvaluate.run,
                    args=[queue, case],
                    id=f"{own}-{case}",
                    task_queue=own,
                    execution_timeout=timedelta(minutes=2),
                )
                for case in CASES
            )
        )
    return dict(zip(CASES, results))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m collm_eval.selftest_hostile ADDRESS QUEUE")
    json.dump(asyncio.run(run(sys.argv[1], sys.argv[2])), sys.stdout, indent=2)
    print()
    # Skip the interpreter's teardown, where the SDK's Rust threads can abort the process
    # (temporalio/sdk-python#300; see worker.main).
    sys.stdout.flush()
    os._exit(0)
