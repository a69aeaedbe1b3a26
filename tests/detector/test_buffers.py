"""Reusable output memory: reuse only when no earlier result is alive, and the same results."""

from __future__ import annotations

import importlib
import threading

import awkward as ak
import numpy as np
import pytest
from test_kernels import dimuon_events, zoo_events

from darkscan.detector._buffers import ALIGNMENT, OutputArena
from darkscan.detector.card import load_card
from darkscan.detector.simulate import simulate_events

SPECS = [((5,), np.float32, False), ((3, 4), np.int64, True), ((7,), np.bool_, True)]


def test_views_have_the_requested_layout_and_zeros():
    arena = OutputArena()
    out = arena.allocate(SPECS)
    for arr, (shape, dtype, zero) in zip(out, SPECS, strict=True):
        assert arr.shape == shape and arr.dtype == dtype and arr.flags.c_contiguous
        assert arr.ctypes.data % ALIGNMENT == 0
        if zero:
            assert not arr.any()
    # the views do not overlap
    for k, a in enumerate(out):
        for b in out[k + 1 :]:
            assert not np.shares_memory(a, b)


def test_freed_buffer_is_reused_and_zeroed_again():
    arena = OutputArena()
    a, b, c = arena.allocate(SPECS)
    b[:] = 7
    address = a.ctypes.data
    del a, b, c
    a, b, _ = arena.allocate(SPECS)
    assert a.ctypes.data == address
    assert not b.any()  # zero-filled again, although the buffer held 7s


def test_live_result_is_never_reused():
    arena = OutputArena(max_buffers=1)
    a, _, _ = arena.allocate(SPECS)
    a[:] = 1.5
    b, _, _ = arena.allocate(SPECS)  # a is alive: another buffer
    b[:] = -2.0
    assert not np.shares_memory(a, b)
    assert np.all(a == 1.5)
    assert arena.pooled_bytes > 0
    arena.release()
    assert arena.pooled_bytes == 0 and np.all(a == 1.5)


def test_smallest_fitting_free_buffer_is_taken():
    arena = OutputArena(max_buffers=2)
    small = arena.allocate([((100,), np.uint8, False)])
    big = arena.allocate([((100_000,), np.uint8, False)])
    addresses = (small[0].ctypes.data, big[0].ctypes.data)
    del small, big
    again_small = arena.allocate([((50,), np.uint8, False)])
    again_big = arena.allocate([((90_000,), np.uint8, False)])
    assert (again_small[0].ctypes.data, again_big[0].ctypes.data) == addresses


def test_a_free_buffer_too_small_makes_room_before_a_busy_one():
    arena = OutputArena(max_buffers=2)
    (busy,) = arena.allocate([((100_000,), np.uint8, False)])  # kept: the oldest, in use
    small = arena.allocate([((100,), np.uint8, False)])
    del small
    (medium,) = arena.allocate([((1_000,), np.uint8, False)])  # needs a new buffer
    pooled = [b.ctypes.data for b in arena._buffers]
    assert busy.base.ctypes.data in pooled and medium.base.ctypes.data in pooled
    del busy
    (again,) = arena.allocate([((50_000,), np.uint8, False)])  # the freed busy one, reused
    assert again.base.ctypes.data in pooled


def test_threads_never_share_a_buffer():
    arena = OutputArena(max_buffers=2)
    results = []
    barrier = threading.Barrier(4)

    def work(k):
        barrier.wait()
        for _ in range(50):
            (x,) = arena.allocate([((1000,), np.int64, True)])
            x[:] = k
            results.append((k, x))
            assert np.all(x == k)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 200
    for k, x in results:  # every kept result still holds what its thread wrote
        assert np.all(x == k)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_pool_size(bad):
    with pytest.raises(ValueError, match="max_buffers"):
        OutputArena(bad)
    with pytest.raises(ValueError, match="max_bytes"):
        OutputArena(2, bad)


def test_pool_keeps_at_most_max_bytes():
    arena = OutputArena(max_buffers=4, max_bytes=10_000)
    (big,) = arena.allocate([((20_000,), np.uint8, False)])  # larger than the cap
    assert arena.pooled_bytes == 0
    a = arena.allocate([((4_000,), np.uint8, False)])
    b = arena.allocate([((4_000,), np.uint8, False)])
    assert arena.pooled_bytes <= 10_000  # the second pushed the first out of the pool
    assert not np.shares_memory(a[0], b[0])
    del big


def _arrays(ev):
    """Copies of every reconstructed column (no views into the arena)."""
    out = {
        f"{coll}.{field}": ak.to_numpy(ak.flatten(ev[coll][field])).copy()
        for coll in ("tracks", "clusters", "klm_clusters", "vertices")
        for field in ev[coll].fields
    }
    return out | {f"trigger.{f}": ak.to_numpy(ev.trigger[f]).copy() for f in ev.trigger.fields}


def test_simulation_results_identical_with_reused_memory_and_kept_results_intact(monkeypatch):
    """Three calls on a fresh arena: the first result is kept while the second runs (so the
    second gets another buffer), then both are dropped (so the third reuses one). Every
    result equals the simulation with plain numpy allocation, bit for bit, and the kept
    result is unchanged by the later call."""
    sim = importlib.import_module("darkscan.detector.simulate")
    card = load_card("belle2")
    ev = ak.concatenate([zoo_events(300, seed=5), dimuon_events(700, seed=6)])
    monkeypatch.setattr(sim, "OUTPUT_ARENA", None)  # plain numpy arrays
    expected = [_arrays(simulate_events(ev, card, np.random.default_rng(s))) for s in (1, 2, 3)]
    arena = OutputArena(max_buffers=2)
    monkeypatch.setattr(sim, "OUTPUT_ARENA", arena)
    first = simulate_events(ev, card, np.random.default_rng(1))
    got = [_arrays(first)]
    second = simulate_events(ev, card, np.random.default_rng(2))
    got.append(_arrays(second))
    assert len(arena._buffers) == 2  # the first result was alive: a second buffer
    kept = _arrays(first)  # after the second call
    pooled = [id(b) for b in arena._buffers]
    del first, second
    third = simulate_events(ev, card, np.random.default_rng(3))
    assert [id(b) for b in arena._buffers] == pooled  # reused, not a new buffer
    got.append(_arrays(third))
    for key in expected[0]:
        np.testing.assert_array_equal(kept[key], got[0][key], err_msg=key)
    for result, want in zip(got, expected, strict=True):
        assert result.keys() == want.keys()
        for key in want:
            np.testing.assert_array_equal(result[key], want[key], err_msg=key)
