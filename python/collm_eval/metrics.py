"""The Python eval worker's Prometheus endpoint and metrics, as the TypeScript eval worker has them.

COLLM_METRICS_ADDRESS turns the endpoint on (src/metrics/address.ts reads it
the same way): unset or empty, off; a bare port, 127.0.0.1:port; any other
interface only when written out (0.0.0.0:9464). The endpoint carries the
SDK's worker metrics and the evaluation metrics below, with the same names
and labels as src/metrics/names.ts, so one dashboard shows both workers.
Labels are bounded: the evaluator (one served here), the space (a known one
or "other") and the worker's own device labels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from temporalio.common import MetricMeter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

# The spaces of src/spaces/index.ts; another is "other".
SPACES = frozenset(
    ["nb201", "ofa-mbv3-w10", "ofa-mbv3-w12", "spos-shufflenetv2", "autoformer-t", "autoformer-s", "autoformer-b"]
)
# As HISTOGRAM_BUCKETS in src/metrics/names.ts: a table lookup to a GPU training of hours.
EVAL_SECONDS_BUCKETS = [0.005, 0.05, 0.25, 1, 5, 30, 120, 600, 1800, 3600, 4 * 3600, 12 * 3600]
_ADDRESS = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d+)$")


def metrics_bind_address(text: str | None) -> str | None:
    """Where the endpoint listens, or None when metrics are off (see the module's doc)."""
    value = (text or "").strip()
    if not value:
        return None
    match = ("", "127.0.0.1", value) if value.isdigit() else _ADDRESS.match(value)
    port = int(match[2]) if match else 0
    if not match or not 1 <= port <= 65535:
        raise ValueError(
            f"COLLM_METRICS_ADDRESS: '{value}' is not a port or host:port; use e.g. 9464 "
            "(127.0.0.1:9464), or 0.0.0.0:9464 to listen on every interface"
        )
    return f"{match[1]}:{port}"


def runtime_for(env: Mapping[str, str]) -> Runtime | None:
    """A Temporal runtime exporting to COLLM_METRICS_ADDRESS, or None (the SDK's default runtime)."""
    address = metrics_bind_address(env.get("COLLM_METRICS_ADDRESS"))
    if address is None:
        return None
    # Durations in seconds, counters without _total: the TypeScript workers' choices (src/metrics/runtime.ts).
    prometheus = PrometheusConfig(
        bind_address=address,
        durations_as_seconds=True,
        histogram_bucket_overrides={"collm_evaluation_duration_seconds": EVAL_SECONDS_BUCKETS},
    )
    return Runtime(telemetry=TelemetryConfig(metrics=prometheus))


class EvalMetrics:
    """Evaluations started, completed, failed and retried; their duration; busy and free slots."""

    def __init__(self, meter: MetricMeter, devices: Sequence[str]) -> None:
        self._started = meter.create_counter("collm_evaluations_started", "Evaluations started (retries included)")
        self._completed = meter.create_counter("collm_evaluations_completed", "Evaluations that returned a result")
        self._failed = meter.create_counter("collm_evaluations_failed", "Evaluation attempts that failed")
        self._retried = meter.create_counter("collm_evaluations_retried", "Evaluation attempts after the first")
        self._ranked = meter.create_counter("collm_rank_evaluations", "Candidates scored by a ranking stage")
        self._seconds = meter.create_histogram_float(
            "collm_evaluation_duration_seconds", "Wall time of one evaluation on its device slot", "s"
        )
        self._busy_gauge = meter.create_gauge("collm_device_slots_busy", "Device slots running an evaluation")
        self._free_gauge = meter.create_gauge("collm_device_slots_free", "Device slots waiting for an evaluation")
        self._total: dict[str, int] = {}
        for d in devices:
            self._total[d] = self._total.get(d, 0) + 1
        self._busy = {d: 0 for d in self._total}
        for d in self._total:
            self._publish(d)

    def _publish(self, device: str) -> None:
        busy = self._busy.get(device, 0)
        self._busy_gauge.set(busy, {"device": device})
        self._free_gauge.set(self._total.get(device, 0) - busy, {"device": device})

    @staticmethod
    def _labels(evaluator: str, space: str) -> dict[str, str | int | float | bool]:
        return {"evaluator": evaluator, "space": space if space in SPACES else "other"}

    def slot_taken(self, device: str) -> None:
        self._busy[device] = self._busy.get(device, 0) + 1
        self._publish(device)

    def slot_freed(self, device: str) -> None:
        self._busy[device] = self._busy.get(device, 1) - 1
        self._publish(device)

    def started(self, evaluator: str, space: str, attempt: int) -> None:
        self._started.add(1, self._labels(evaluator, space))
        if attempt > 1:
            self._retried.add(1, self._labels(evaluator, space))

    def completed(self, evaluator: str, space: str, device: str, seconds: float) -> None:
        self._completed.add(1, self._labels(evaluator, space))
        self._seconds.record(seconds, {**self._labels(evaluator, space), "device": device})

    def failed(self, evaluator: str, space: str) -> None:
        self._failed.add(1, self._labels(evaluator, space))

    def ranked(self, evaluator: str, space: str, ok: bool) -> None:
        self._ranked.add(1, {**self._labels(evaluator, space), "outcome": "ok" if ok else "failed"})
