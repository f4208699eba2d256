"""Checks of image_cache.py's rules, with no PyTorch: selftest.py runs them (`rules`).

The memory is a fake (`FakeMemory`: lists in places named like devices, each
allocation and copy recorded), as the cache only reaches PyTorch through
image_cache.Memory; and the images come from a counting source, so a check
sees how often they were decoded. What needs PyTorch (the same numbers cached
or not, on a real device) is gpucheck_cache.py: `torch_check` runs it here
when PyTorch and ofa are installed, and says what is missing when not.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import sys
import threading
from typing import Any

from .image_cache import HOST, ImageCache, Limits, Spec, limits_from_env


class FakeMemory:
    """Storage as lists; "cpu" is host memory, any other device a memory of its own."""

    def __init__(self, capacities: dict[str, int] | None = None) -> None:
        self.capacities = capacities or {}
        self.allocated: list[tuple[str, int, bool]] = []  # (place, count, pinned)
        self.copies: list[tuple[str, str]] = []  # (from, to)
        self.out_of_memory: set[str] = set()  # places whose next allocations fail

    def place(self, device: str) -> str:
        if device == "cpu":
            return HOST
        if not device.startswith("cuda:"):
            raise RuntimeError(f"Invalid device string: '{device}'")  # as torch.device says
        return device

    def capacity(self, place: str) -> int:
        return self.capacities[place]

    def nbytes(self, count: int, shape: tuple[int, ...]) -> int:
        return count * math.prod(shape)

    def allocate(self, place: str, count: int, shape: tuple[int, ...], pinned: bool) -> Any:
        if place in self.out_of_memory:
            raise RuntimeError(f"CUDA out of memory on {place} (the fake's)")
        self.allocated.append((place, count, pinned))
        return {"place": place, "images": [None] * count, "labels": [None] * count}

    def write(self, storage: Any, start: int, images: Any, labels: Any) -> None:
        storage["images"][start : start + len(images)] = images
        storage["labels"][start : start + len(labels)] = labels

    def read(self, storage: Any, start: int, stop: int, device: str) -> tuple[Any, Any]:
        return storage["images"][start:stop], storage["labels"][start:stop]

    def copy(self, storage: Any, place: str, pinned: bool) -> Any:
        out = self.allocate(place, len(storage["images"]), (1,), pinned)
        self.write(out, 0, list(storage["images"]), list(storage["labels"]))
        self.copies.append((storage["place"], place))
        return out

    def to_device(self, images: Any, labels: Any, device: str) -> tuple[Any, Any]:
        return images, labels

    def settle(self, device: str) -> None:
        pass


class Source:
    """Images "<name>:<i>" in batches, counting decodes; `gate` holds the decoding after the first
    batch until set (to have readers arrive mid-fill); `fail_after` raises after that many."""

    def __init__(self, name: str, count: int, gate: threading.Event | None = None) -> None:
        self.name, self.count, self.gate = name, count, gate
        self.decodes = 0  # times the whole source was started
        self.fail_after: int | None = None

    def __call__(self, batch_size: int, pinned: bool) -> Any:
        self.decodes += 1
        for start in range(0, self.count, batch_size):
            if start and self.gate is not None:
                assert self.gate.wait(10), "the gate was never opened"
            stop = min(start + batch_size, self.count)
            if self.fail_after is not None and stop > self.fail_after:
                raise OSError(f"{self.name}: image {self.fail_after} is truncated")
            yield [f"{self.name}:{i}" for i in range(start, stop)], list(range(start, stop))

    def spec(self) -> Spec:
        return Spec((self.name,), self.name, self.count, (1,), self)


def _all(cache: ImageCache, source: Source, device: str, size: int = 3, **kw: Any) -> list[Any]:
    with cache.images(source.spec(), device, **kw) as images:
        batches = list(images.batches(size))
    assert [len(b[0]) for b in batches] == [
        min(size, source.count - s) for s in range(0, source.count, size)
    ], batches
    return [x for b in batches for x in b[0]]


def _want(source: Source) -> list[str]:
    return [f"{source.name}:{i}" for i in range(source.count)]


def _holds(cache: ImageCache, place: str) -> list[str]:
    return cache.usage().get(place, {}).get("holds", [])


def one_fill() -> dict[str, Any]:
    """Two evaluations asking at once get one decode, read as it fills, in order."""
    gate = threading.Event()
    source = Source("val224", 10, gate)
    cache = ImageCache(FakeMemory(), Limits(device=100, host=100), fill_batch=2)
    got: list[Any] = []
    errors: list[BaseException] = []
    progress: list[tuple[int, int]] = []

    def read() -> None:
        try:
            got.append(
                _all(cache, source, "cuda:0", waiting=lambda n, of: progress.append((n, of)))
            )
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=read) for _ in range(2)]
    for t in threads:
        t.start()
    # Both wait on the fill held after its first batch, reporting what is decoded so far.
    while len(progress) < 2:
        threading.Event().wait(0.05)
    gate.set()
    for t in threads:
        t.join(10)
    assert not errors, errors
    assert got == [_want(source)] * 2 and source.decodes == 1, (got, source.decodes)
    assert progress[0][1] == 10 and all(0 < n < 10 for n, _ in progress), progress
    assert cache.decoded == 10 and cache.uncached == 0, cache.usage()
    # A third reads what is there: no decode, no copy.
    assert _all(cache, source, "cuda:0", size=4) == _want(source) and source.decodes == 1
    return {"decodes": source.decodes, "waits": len(progress)}


def places_and_eviction() -> dict[str, Any]:
    """Device memory when it fits, else host; least recently used evicted, to host memory."""
    memory = FakeMemory()
    cache = ImageCache(memory, Limits(device=100, host=100))
    a, b, c = Source("a", 40), Source("b", 40), Source("c", 40)
    for s in (a, b):
        assert _all(cache, s, "cuda:0") == _want(s)
    assert _holds(cache, "cuda:0") == ["a", "b"] and _holds(cache, HOST) == []
    _all(cache, a, "cuda:0")  # a is now used more recently than b
    _all(cache, c, "cuda:0")  # no room for c: b goes, to host memory
    assert _holds(cache, "cuda:0") == ["a", "c"] and _holds(cache, HOST) == ["b"], cache.usage()
    assert memory.copies == [("cuda:0", HOST)], memory.copies
    # b again on the device: back from host memory (a, the least recent, moves out), no decode.
    assert _all(cache, b, "cuda:0") == _want(b)
    assert (a.decodes, b.decodes, c.decodes) == (1, 1, 1)
    assert _holds(cache, "cuda:0") == ["c", "b"] and sorted(_holds(cache, HOST)) == ["a", "b"]
    assert memory.copies[1:] == [("cuda:0", HOST), (HOST, "cuda:0")], memory.copies
    # Another device reads c from where it is, copying it over (the GPU it was decoded on).
    assert _all(cache, c, "cuda:1") == _want(c) and c.decodes == 1
    assert memory.copies[-1] == ("cuda:0", "cuda:1"), memory.copies
    usage = cache.usage()
    assert usage["cuda:0"]["GiB"] == 0.0 and usage["decodedImages"] == 120, usage
    return usage


def in_use_is_kept() -> dict[str, Any]:
    """An entry being read is never evicted: the next one goes to host memory instead."""
    cache = ImageCache(FakeMemory(), Limits(device=50, host=100))
    a, b = Source("a", 40), Source("b", 40)
    with cache.images(a.spec(), "cuda:0") as reading:
        assert list(reading.batches(40))[0][0] == _want(a)
        assert _all(cache, b, "cuda:0") == _want(b)
        assert _holds(cache, "cuda:0") == ["a"] and _holds(cache, HOST) == ["b"]
    # Read again once a is let go: b moves to the device, a (idle) to host memory.
    _all(cache, b, "cuda:0")
    assert _holds(cache, "cuda:0") == ["b"] and sorted(_holds(cache, HOST)) == ["a", "b"]
    return cache.usage()


def copy_source_is_kept() -> dict[str, Any]:
    """Moving an entry back to the device never evicts the host copy it is copied from, even when
    host memory has room for only one of the two trading places."""
    memory = FakeMemory()
    cache = ImageCache(memory, Limits(device=50, host=60))
    a, b = Source("a", 40), Source("b", 40)
    _all(cache, a, "cuda:0")
    _all(cache, b, "cuda:0")  # a moves to host memory
    assert _holds(cache, "cuda:0") == ["b"] and _holds(cache, HOST) == ["a"]
    # a back: b would move to host memory, but only by evicting a, which is being copied: b goes.
    assert _all(cache, a, "cuda:0") == _want(a) and (a.decodes, b.decodes) == (1, 1)
    assert _holds(cache, "cuda:0") == ["a"] and _holds(cache, HOST) == ["a"], cache.usage()
    assert memory.copies == [("cuda:0", HOST), (HOST, "cuda:0")], memory.copies
    return cache.usage()


def too_big_or_off() -> dict[str, Any]:
    """Too big for any place, or a limit of 0: decoded for each evaluation, as without a cache."""
    memory = FakeMemory({"cuda:0": 200, HOST: 60})
    cache = ImageCache(memory, Limits())  # defaults: half of each memory (100 and 30)
    big, small = Source("big", 150), Source("small", 20)
    assert (cache.limit("cuda:0"), cache.limit(HOST)) == (100, 30)
    for _ in range(2):
        with cache.images(big.spec(), "cuda:0") as images:
            assert images.source == "decoded"
            assert [x for b in images.batches(64) for x in b[0]] == _want(big)
    assert big.decodes == 2 and cache.uncached == 300 and cache.decoded == 0
    # A CPU evaluation's cache is host memory, plain (pinned only for a GPU's).
    assert _all(cache, small, "cpu") == _want(small) and memory.allocated[-1] == (HOST, 20, False)
    off = ImageCache(FakeMemory(), Limits(device=0, host=0))
    _all(off, small, "cuda:0")
    _all(off, small, "cuda:0")
    assert small.decodes == 3 and off.usage() == {"decodedImages": 0, "uncachedImages": 40}
    # Too big for the device but not for host memory: there, pinned for the GPU.
    memory = FakeMemory()
    cache = ImageCache(memory, Limits(device=10, host=100))
    _all(cache, small, "cuda:0")
    assert memory.allocated == [(HOST, 20, True)] and _holds(cache, HOST) == ["small"]
    return cache.usage()


def failures() -> dict[str, Any]:
    """A fill that fails fails its readers, and is tried afresh by the next; a device out of
    memory sends the entry to host memory; a cancelled wait lets its entry go."""
    source = Source("val", 10)
    source.fail_after = 6
    cache = ImageCache(FakeMemory(), Limits(device=100, host=100), fill_batch=2)
    try:
        _all(cache, source, "cuda:0")
    except OSError as err:
        message = str(err)
    else:
        raise AssertionError("a failed fill was read to the end")
    assert message == "val: image 6 is truncated" and cache.usage().get("cuda:0") is None
    source.fail_after = None
    assert _all(cache, source, "cuda:0") == _want(source) and source.decodes == 2

    memory = FakeMemory()
    memory.out_of_memory.add("cuda:0")
    cache = ImageCache(memory, Limits(device=100, host=100))
    other = Source("other", 10)
    with cache.images(other.spec(), "cuda:0") as images:
        assert images.source == HOST and [x for b in images.batches(5) for x in b[0]] == _want(
            other
        )

    gate = threading.Event()
    slow = Source("slow", 10, gate)
    cache = ImageCache(FakeMemory(), Limits(device=100, host=100), fill_batch=2)

    def cancel(_n: int, _of: int) -> None:
        raise InterruptedError("cancelled")

    try:
        _all(cache, slow, "cuda:0", waiting=cancel)
    except InterruptedError:
        pass
    else:
        raise AssertionError("the cancelled wait went on")
    gate.set()
    # Once filled, nobody reads it: evictable (lower() takes every idle entry).
    for _ in range(200):
        if cache.usage().get("cuda:0") and cache._places["cuda:0"][("slow",)].done:
            break
        threading.Event().wait(0.02)
    said = cache.lower("cuda:0")
    assert said.startswith("image cache: cuda:0 ran out of memory: evicted 1 entries"), said
    assert cache.limit("cuda:0") == 0 and cache.usage().get("cuda:0") is None
    return {"message": message, "lowered": said}


def environment() -> dict[str, Any]:
    """EVAL_CACHE_DEVICE_GB and EVAL_CACHE_HOST_GB: GiB, 0 for none, unset or auto for half."""
    gib = 2**30
    assert limits_from_env({}) == Limits(None, None)
    assert limits_from_env({"EVAL_CACHE_DEVICE_GB": "40", "EVAL_CACHE_HOST_GB": "0.5"}) == Limits(
        40 * gib, gib // 2
    )
    assert limits_from_env({"EVAL_CACHE_DEVICE_GB": "auto", "EVAL_CACHE_HOST_GB": "0"}) == Limits(
        None, 0
    )
    errors = {}
    for value in ("-1", "lots", "nan", "inf"):
        try:
            limits_from_env({"EVAL_CACHE_DEVICE_GB": value})
        except ValueError as err:
            errors[value] = str(err)
        else:
            raise AssertionError(f"EVAL_CACHE_DEVICE_GB={value} was accepted")
    assert errors["lots"] == (
        "EVAL_CACHE_DEVICE_GB: 'lots' is not a size in GiB; use a number >= 0 (0: no cache "
        "there), or leave it unset for half of that memory"
    ), errors
    cache = ImageCache(FakeMemory({"cuda:0": 80 * gib, HOST: 64 * gib}), Limits())
    # A slot name is no memory of the cache's: left out.
    line = cache.describe(["cuda:0", "cuda:0", "cpu", "slot:1"])
    assert line == "image cache 0.0 of 40.0 GiB in cuda:0, 0.0 of 32.0 GiB in host memory", line
    return {"describe": line, "errors": errors}


def rules() -> dict[str, Any]:
    return {
        "oneFill": one_fill(),
        "placesAndEviction": places_and_eviction(),
        "inUseIsKept": in_use_is_kept(),
        "copySourceIsKept": copy_source_is_kept(),
        "tooBigOrOff": too_big_or_off(),
        "failures": failures(),
        "environment": environment(),
    }


def torch_check() -> dict[str, Any]:
    """gpucheck_cache's check on the CPU where PyTorch and ofa are installed; else what is missing
    (the TypeScript test then checks that it is indeed missing)."""
    for name in ("torch", "torchvision", "ofa.model_zoo"):
        try:
            importlib.import_module(name)
        except ImportError as err:
            return {"ran": False, "missing": err.name or name}
    from . import gpucheck_cache

    # Its lines go to stderr: the selftest's stdout is its JSON report.
    with contextlib.redirect_stdout(sys.stderr):
        report = gpucheck_cache.standalone("cpu")
    assert not report["problems"], report
    return report
