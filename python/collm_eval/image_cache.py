"""A worker-wide cache of decoded images, so that a search's evaluations decode each image once.

Every subnet of an OFA search reads the same validation images and the same
calibration subset at one of a few resolutions, and decoding and resizing
JPEGs costs more than the forward pass on a GPU. So each eval worker keeps
what it decoded, as uint8 (3 bytes a pixel, a quarter of float32), keyed by
what the images are (folder, subset, resolution, transform), and every later
evaluation reads it from there; normalising to float happens on the device.

Where an entry lives ("place"): in the memory of the device that asked for
it when it fits there ("cuda:0"), else in host memory ("host"; pinned when a
GPU reads it, so copies to the device run at full speed). Each place has a
size limit; when an entry does not fit, the least recently used entries not
being read are evicted (a device's are moved to host memory when they fit
there, so they need not be decoded again). An entry too large for any place
is not cached: the evaluation decodes its images itself, as without a cache.

Evaluations run in threads of their own (several may share one GPU): the
first to ask for an entry starts one fill (a background thread decoding into
it); others asking meanwhile read it as it fills, so each entry is decoded
once however many ask at once. Reading an entry never copies it on its own
device: batches are views.

The memory is behind `Memory` (TorchMemory here), so that the cache's rules
(limits, eviction, one fill) are checked without PyTorch (selftest.py).

Environment (read by the worker at start-up; `limits_from_env`):
  EVAL_CACHE_DEVICE_GB  the most the cache holds in each GPU's memory, in GiB
                        (default: half of the GPU's memory; 0: nothing on GPUs)
  EVAL_CACHE_HOST_GB    the most it holds in host memory, in GiB (default: half
                        of the machine's memory, or of the container's limit;
                        0: nothing in host memory). Both 0: no cache.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

GiB = 2**30
HOST = "host"
# Images decoded per step of a fill: readers waiting on a fill get their first batch this soon.
FILL_BATCH = 64
# How often a reader waiting on a fill reports (heartbeat) and checks for cancellation.
WAIT_S = 0.5


@dataclass(frozen=True)
class Limits:
    """Bytes per place; None: the default (half of the memory of that place)."""

    device: int | None = None
    host: int | None = None


def _gib(env: Mapping[str, str], name: str) -> int | None:
    text = (env.get(name) or "").strip()
    if text in ("", "auto"):
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ValueError(
            f"{name}: '{text}' is not a size in GiB; use a number >= 0 (0: no cache there), "
            "or leave it unset for half of that memory"
        )
    return int(value * GiB)


def limits_from_env(env: Mapping[str, str]) -> Limits:
    """EVAL_CACHE_DEVICE_GB and EVAL_CACHE_HOST_GB; ValueError naming the variable if malformed."""
    return Limits(device=_gib(env, "EVAL_CACHE_DEVICE_GB"), host=_gib(env, "EVAL_CACHE_HOST_GB"))


_configured: Limits | None = None


def configure(limits: Limits) -> None:
    """The limits of caches made from now on (the worker sets them from its environment)."""
    global _configured
    _configured = limits


def configured_limits() -> Limits:
    return _configured if _configured is not None else limits_from_env(os.environ)


def host_memory() -> int:
    """The machine's memory, or the container's limit (cgroup v2 or v1) when lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text))
    return total


@dataclass(frozen=True)
class Spec:
    """Images to cache: `key` says what they are (equal keys, equal bytes), `source` decodes them.

    source(batch_size, pinned) yields (images, labels) in order: uint8 [b, *shape] and int64 [b]
    on the CPU, pinned when asked (for copies to a GPU); every batch `batch_size` but the last.
    """

    key: tuple[Any, ...]
    label: str
    count: int
    shape: tuple[int, ...]
    source: Callable[[int, bool], Iterable[tuple[Any, Any]]]


class Memory(Protocol):
    """Where entries are stored and how batches get to a device (TorchMemory; a fake in selftest)."""

    def place(self, device: str) -> str: ...  # HOST or a device such as "cuda:0"
    def capacity(self, place: str) -> int: ...  # bytes of that memory
    def nbytes(self, count: int, shape: tuple[int, ...]) -> int: ...
    def allocate(self, place: str, count: int, shape: tuple[int, ...], pinned: bool) -> Any: ...
    def write(self, storage: Any, start: int, images: Any, labels: Any) -> None: ...
    def read(self, storage: Any, start: int, stop: int, device: str) -> tuple[Any, Any]: ...
    def copy(self, storage: Any, place: str, pinned: bool) -> Any: ...
    def to_device(self, images: Any, labels: Any, device: str) -> tuple[Any, Any]: ...
    def settle(self, device: str) -> None: ...  # waits for the device's work on what was read


@dataclass(eq=False)
class _Entry:
    spec: Spec
    place: str
    nbytes: int
    pinned: bool
    storage: Any = None
    filled: int = 0  # images written so far, in order
    done: bool = False
    error: BaseException | None = None
    readers: int = 0  # evaluations (and copies) reading it: never evicted while > 0


@dataclass
class _Plan:
    """What one request does outside the lock: evictions to finish, then fill or copy its entry."""

    entry: _Entry | None = None  # what the request reads; None: decode without caching
    new: bool = False  # this request fills `entry` (from `copy_from`, else by decoding)
    copy_from: _Entry | None = None
    evicted: list[_Entry] = field(default_factory=list)
    demote: list[tuple[_Entry, _Entry]] = field(default_factory=list)  # (from device, to host)


class ImageCache:
    def __init__(
        self, memory: Memory, limits: Limits = Limits(), fill_batch: int = FILL_BATCH
    ) -> None:
        self.memory = memory
        self.limits = limits
        self.fill_batch = fill_batch
        self._cond = threading.Condition()
        self._places: dict[str, OrderedDict[tuple[Any, ...], _Entry]] = {}
        self._lowered: dict[str, int] = {}  # limits cut after the device ran out of memory
        self._capacity: dict[str, int] = {}
        self.decoded = 0  # images decoded into the cache
        self.uncached = 0  # images decoded for one evaluation only (no room, or no cache)

    # -- limits and reports ---------------------------------------------------------------------

    def limit(self, place: str) -> int:
        if place in self._lowered:
            return self._lowered[place]
        chosen = self.limits.host if place == HOST else self.limits.device
        if chosen is not None:
            return chosen
        if place not in self._capacity:
            self._capacity[place] = self.memory.capacity(place)
        return self._capacity[place] // 2

    def usage(self) -> dict[str, Any]:
        """What the cache holds, per place: for heartbeats (GiB to 2 decimals)."""
        with self._cond:
            out: dict[str, Any] = {}
            for place, entries in sorted(self._places.items()):
                if entries:
                    out[place] = {
                        "GiB": round(sum(e.nbytes for e in entries.values()) / GiB, 2),
                        "limitGiB": round(self.limit(place) / GiB, 2),
                        "holds": [e.spec.label for e in entries.values()],
                    }
            return {**out, "decodedImages": self.decoded, "uncachedImages": self.uncached}

    def describe(self, devices: Iterable[str]) -> str:
        """One line for the worker's start-up: what the cache holds and may hold, per place."""
        places = []
        for device in devices:
            try:
                place = self.memory.place(device)
            except RuntimeError:  # a slot name, not a device: the evaluator refuses it, not this
                continue
            if place not in places:
                places.append(place)
        if HOST not in places:
            places.append(HOST)
        with self._cond:
            parts = []
            for place in places:
                used = sum(e.nbytes for e in self._places.get(place, {}).values())
                where = "host memory" if place == HOST else place
                parts.append(f"{used / GiB:.1f} of {self.limit(place) / GiB:.1f} GiB in {where}")
        return "image cache " + ", ".join(parts)

    # -- reading --------------------------------------------------------------------------------

    @contextmanager
    def images(
        self, spec: Spec, device: str, waiting: Callable[[int, int], None] = lambda _n, _of: None
    ) -> Iterator[Images]:
        """The images of `spec` for an evaluation on `device`, from the cache when it can.

        `waiting(decoded, of)` is called while batches are still being decoded (about every
        WAIT_S): it reports progress, and raises to give up (a cancelled evaluation).
        """
        entry = self._acquire(spec, device)
        try:
            yield Images(self, spec, device, entry, waiting)
        finally:
            # The device's work on the batches read is finished before the entry may be evicted.
            self.memory.settle(device)
            if entry is not None:
                with self._cond:
                    entry.readers -= 1

    def _acquire(self, spec: Spec, device: str) -> _Entry | None:
        """An entry to read `spec` from (readers counted), or None to decode without caching."""
        place = self.memory.place(device)
        failed: set[str] = set()  # places where storing it failed (out of memory) this time
        while True:
            with self._cond:
                plan = self._plan(spec, place, failed)
            try:
                self._finish_evictions(plan)
                if plan.new and plan.entry is not None:
                    self._start(plan)
                return plan.entry
            except Exception as err:
                if plan.entry is None or not plan.new or not out_of_memory(err):
                    raise
                failed.add(plan.entry.place)

    def _plan(self, spec: Spec, place: str, failed: set[str]) -> _Plan:
        """Under the lock: where to read `spec` from, and what must be stored or evicted first."""
        own = self._places.get(place, {}).get(spec.key)
        if own is not None:
            return self._reading(own)
        elsewhere = [
            e
            for p, entries in self._places.items()
            if p != place and (e := entries.get(spec.key)) is not None
        ]
        ready = sorted((e for e in elsewhere if e.done), key=lambda e: e.place != HOST)
        if ready and place != HOST and place not in failed:
            # Decoded already, but elsewhere: copy it here when it fits, else read it from there.
            source = ready[0]
            source.readers += 1  # read by the copy; and not evicted to make room for its own copy
            plan = self._room(place, source.nbytes)
            if plan is not None:
                plan.entry = self._insert(spec, place, source.nbytes, pinned=False)
                plan.entry.readers += 1
                plan.new, plan.copy_from = True, source
                return plan
            source.readers -= 1
        if ready or elsewhere:
            return self._reading(ready[0] if ready else elsewhere[0])
        nbytes = self.memory.nbytes(spec.count, spec.shape)
        for target in (place, HOST) if place != HOST else (HOST,):
            if target in failed:
                continue
            plan = self._room(target, nbytes)
            if plan is not None:
                # Host memory is pinned when a GPU will read it.
                plan.entry = self._insert(spec, target, nbytes, pinned=place != HOST)
                plan.entry.readers += 1
                plan.new = True
                return plan
        return _Plan()

    def _reading(self, entry: _Entry) -> _Plan:
        entry.readers += 1
        self._places[entry.place].move_to_end(entry.spec.key)  # most recently used
        return _Plan(entry=entry)

    def _insert(self, spec: Spec, place: str, nbytes: int, pinned: bool) -> _Entry:
        entry = _Entry(spec, place, nbytes, pinned)
        self._places.setdefault(place, OrderedDict())[spec.key] = entry
        return entry

    def _room(self, place: str, nbytes: int) -> _Plan | None:
        """Under the lock: evicts least recently used idle entries of `place` until `nbytes` fit.

        None (and nothing evicted) when they cannot fit. Evicted device entries move to host
        memory when they fit there (`demote`), evicting idle host entries in turn.
        """
        limit = self.limit(place)
        if nbytes > limit:
            return None
        entries = self._places.get(place, OrderedDict())
        used = sum(e.nbytes for e in entries.values())
        victims = []
        for entry in entries.values():
            if used + nbytes <= limit:
                break
            if entry.readers == 0 and entry.done:
                victims.append(entry)
                used -= entry.nbytes
        if used + nbytes > limit:
            return None
        plan = _Plan()
        for victim in victims:
            del entries[victim.spec.key]
            plan.evicted.append(victim)
            host = self._places.get(HOST, {})
            if place != HOST and victim.spec.key not in host:
                room = self._room(HOST, victim.nbytes)
                if room is not None:
                    plan.evicted += room.evicted
                    plan.demote += room.demote
                    to = self._insert(victim.spec, HOST, victim.nbytes, pinned=True)
                    victim.readers += 1  # read by the move
                    plan.demote.append((victim, to))
        return plan

    def _finish_evictions(self, plan: _Plan) -> None:
        """Outside the lock: moves evicted device entries to host memory, then lets them go."""
        for source, to in plan.demote:
            try:
                storage = self.memory.copy(source.storage, HOST, True)
            except Exception as err:
                self._failed(to, err)
            else:
                with self._cond:
                    to.storage, to.filled, to.done = storage, source.spec.count, True
                    self._cond.notify_all()
            finally:
                with self._cond:
                    source.readers -= 1
        for victim in plan.evicted:
            victim.storage = None  # its memory goes back once no batch of it is referenced

    def _start(self, plan: _Plan) -> None:
        """Stores the planned entry: copied now from where it is, or decoded in the background."""
        entry = plan.entry
        assert entry is not None
        spec = entry.spec
        if plan.copy_from is not None:
            source = plan.copy_from
            try:
                storage = self.memory.copy(source.storage, entry.place, entry.pinned)
            except Exception as err:
                self._failed(entry, err)
                raise
            finally:
                with self._cond:
                    source.readers -= 1
            with self._cond:
                entry.storage, entry.filled, entry.done = storage, spec.count, True
                self._cond.notify_all()
            return
        try:
            entry.storage = self.memory.allocate(entry.place, spec.count, spec.shape, entry.pinned)
        except Exception as err:
            self._failed(entry, err)
            raise
        threading.Thread(
            target=self._fill, args=(entry,), name=f"image-cache {spec.label}", daemon=True
        ).start()

    def _fill(self, entry: _Entry) -> None:
        spec = entry.spec
        try:
            for images, labels in spec.source(self.fill_batch, entry.pinned):
                n = len(labels)
                if entry.filled + n > spec.count:
                    raise RuntimeError(
                        f"{spec.label}: the source gave more than {spec.count} images"
                    )
                self.memory.write(entry.storage, entry.filled, images, labels)
                with self._cond:
                    entry.filled += n
                    self.decoded += n
                    # Done with its last image: evictable as soon as its readers are.
                    entry.done = entry.filled == spec.count
                    self._cond.notify_all()
            if entry.filled != spec.count:
                raise RuntimeError(
                    f"{spec.label}: the source gave {entry.filled} images, {spec.count} expected"
                )
        except BaseException as err:  # readers raise it; the next request decodes again
            self._failed(entry, err)
            return
        with self._cond:
            entry.done = True  # (already, unless it holds no image)
            self._cond.notify_all()

    def _failed(self, entry: _Entry, err: BaseException) -> None:
        with self._cond:
            entry.error = err
            entry.storage = None
            entries = self._places.get(entry.place, {})
            if entries.get(entry.spec.key) is entry:
                del entries[entry.spec.key]
            self._cond.notify_all()

    def lower(self, device: str) -> str:
        """After the device ran out of memory: evicts its idle entries and keeps its part within
        what the others hold. Says what it did (for the worker's log)."""
        place = self.memory.place(device)
        with self._cond:
            entries = self._places.get(place, OrderedDict())
            idle = [e for e in entries.values() if e.readers == 0 and e.done]
            for entry in idle:
                del entries[entry.spec.key]
            kept = sum(e.nbytes for e in entries.values())
            self._lowered[place] = kept
        for entry in idle:
            entry.storage = None
        return (
            f"image cache: {place} ran out of memory: evicted {len(idle)} entries, "
            f"its part of the cache now holds at most {kept / GiB:.2f} GiB"
        )


class Images:
    """One evaluation's view of a spec's images: batches on its device, in order."""

    def __init__(
        self,
        cache: ImageCache,
        spec: Spec,
        device: str,
        entry: _Entry | None,
        waiting: Callable[[int, int], None],
    ) -> None:
        self._cache, self.spec, self.device, self._entry, self._waiting = (
            cache,
            spec,
            device,
            entry,
            waiting,
        )
        # Where the batches come from: a place of the cache, or "decoded" (no cache).
        self.source = entry.place if entry is not None else "decoded"

    def __len__(self) -> int:
        return self.spec.count

    def batches(self, size: int) -> Iterator[tuple[Any, Any]]:
        """(uint8 images, int64 labels) on the device, `size` at a time (the last fewer)."""
        memory, entry = self._cache.memory, self._entry
        if entry is None:
            pinned = memory.place(self.device) != HOST
            for images, labels in self.spec.source(size, pinned):
                with self._cache._cond:
                    self._cache.uncached += len(labels)
                yield memory.to_device(images, labels, self.device)
            return
        for start in range(0, self.spec.count, size):
            stop = min(start + size, self.spec.count)
            while True:
                with self._cache._cond:
                    if entry.error is not None:
                        raise entry.error
                    if entry.filled >= stop:
                        storage = entry.storage
                        break
                    self._cache._cond.wait(WAIT_S)
                    filled = entry.filled
                if filled < stop:
                    self._waiting(filled, self.spec.count)  # outside the lock: it may report usage
            yield memory.read(storage, start, stop, self.device)


def out_of_memory(err: BaseException) -> bool:
    """MemoryError, torch.OutOfMemoryError, or an allocation's "out of memory" RuntimeError."""
    return isinstance(err, MemoryError) or "out of memory" in str(err).lower()


class TorchMemory:
    """Entries as uint8 tensors: one per entry on a device or in plain host memory; pinned host
    memory in chunks of at most CHUNK bytes (PyTorch's pinned allocator rounds every allocation
    up to a power of two: a 7.5 GB entry would take 8 GiB, a 4.7 GB one 8 GiB too)."""

    CHUNK = 2**28

    def __init__(self) -> None:
        import torch

        self.torch = torch

    def place(self, device: str) -> str:
        d = self.torch.device(device)
        if d.type == "cpu":
            return HOST
        if d.type == "cuda" and d.index is None:
            return f"cuda:{self.torch.cuda.current_device()}"
        return str(d)

    def capacity(self, place: str) -> int:
        if place == HOST:
            return host_memory()
        if not place.startswith("cuda"):
            return 0  # a device whose memory this does not measure: its entries go to host memory
        return int(self.torch.cuda.get_device_properties(self.torch.device(place)).total_memory)

    def nbytes(self, count: int, shape: tuple[int, ...]) -> int:
        return count * (math.prod(shape) + 8)  # the images, and an int64 label each

    def allocate(self, place: str, count: int, shape: tuple[int, ...], pinned: bool) -> Any:
        torch = self.torch
        on_host = place == HOST
        pin = on_host and pinned and torch.cuda.is_available()
        device = "cpu" if on_host else place
        per = max(1, self.CHUNK // math.prod(shape)) if pin else max(count, 1)
        chunks = [
            (
                start,
                torch.empty(
                    (min(per, count - start), *shape),
                    dtype=torch.uint8,
                    device=device,
                    pin_memory=pin,
                ),
            )
            for start in range(0, count, per)
        ]
        labels = torch.empty(count, dtype=torch.int64, device=device, pin_memory=pin)
        return _Stored(chunks, labels, count, shape, pin)

    def _pieces(self, storage: _Stored, start: int, stop: int) -> list[Any]:
        out = []
        for first, chunk in storage.chunks:
            a, b = max(start, first), min(stop, first + len(chunk))
            if a < b:
                out.append(chunk[a - first : b - first])
        return out

    def write(self, storage: _Stored, start: int, images: Any, labels: Any) -> None:
        stop = start + len(labels)
        at = 0
        for first, chunk in storage.chunks:
            a, b = max(start, first), min(stop, first + len(chunk))
            if a < b:
                chunk[a - first : b - first].copy_(images[at : at + b - a])
                at += b - a
        storage.labels[start:stop].copy_(labels)
        self._sync(storage.labels.device)

    def _sync(self, device: Any) -> None:
        # Copies within or between GPUs are asynchronous: a batch is published only once written.
        if device.type == "cuda":
            self.torch.cuda.current_stream(device).synchronize()

    def read(self, storage: _Stored, start: int, stop: int, device: str) -> tuple[Any, Any]:
        torch = self.torch
        target = torch.device(device)
        pieces = [
            p.to(target, non_blocking=storage.pinned) for p in self._pieces(storage, start, stop)
        ]
        images = pieces[0] if len(pieces) == 1 else torch.cat(pieces)
        return images, storage.labels[start:stop].to(target, non_blocking=storage.pinned)

    def copy(self, storage: _Stored, place: str, pinned: bool) -> Any:
        out = self.allocate(place, storage.count, storage.shape, pinned)
        for first, chunk in storage.chunks:
            self.write(out, first, chunk, storage.labels[first : first + len(chunk)])
        return out

    def to_device(self, images: Any, labels: Any, device: str) -> tuple[Any, Any]:
        target = self.torch.device(device)
        pinned = images.is_pinned() if target.type == "cuda" else False
        return images.to(target, non_blocking=pinned), labels.to(target, non_blocking=pinned)

    def settle(self, device: str) -> None:
        d = self.torch.device(device)
        if d.type == "cuda":
            self.torch.cuda.current_stream(d).synchronize()


@dataclass
class _Stored:
    chunks: list[tuple[int, Any]]  # (first image, uint8 [n, *shape])
    labels: Any
    count: int
    shape: tuple[int, ...]
    pinned: bool


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
