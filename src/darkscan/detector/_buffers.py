"""Reusable output memory of the fast simulation.

Memory that a process gets afresh from the operating system is zeroed by the kernel page
by page when it is first written. The fast simulation writes about 300 bytes per dimuon
event (tracks, clusters, offsets, trigger flags), and glibc hands blocks of that size out
from fresh mappings (``mmap``) and returns them to the system when they are freed, so every
call would pay the zeroing again: about 25 ns per event, an eighth of the whole simulation
(measured with ``benchmarks/bench_detector.py``). A loop over chunks (the runner's units,
the benchmark's repeats) is the usual way the simulation runs.

:class:`OutputArena` hands out the output arrays of one call as views into one byte
buffer. A later call reuses a buffer once nothing refers to it any more: no array of an
earlier result is alive, which is the case when the buffer's reference count is back to the
arena's own reference (numpy views keep their base buffer alive, and awkward arrays keep the
numpy arrays alive). A result that the caller keeps is never overwritten: its buffer counts
as busy, and the next call gets another buffer. The arena keeps at most ``max_buffers``
buffers; :meth:`OutputArena.release` gives them back.

The reference count test is CPython's (``sys.getrefcount``); a lock makes the claim of a
buffer atomic between threads (dask workers may run tasks in threads).
"""

from __future__ import annotations

import sys
import threading

import numpy as np

__all__ = ["ALIGNMENT", "OUTPUT_ARENA", "OutputArena"]

#: Byte alignment of every array handed out (a cache line).
ALIGNMENT = 64
#: Reference count of a free pooled buffer as ``sys.getrefcount`` reports it in
#: :meth:`OutputArena._free`: the pool list and the argument.
_FREE_REFCOUNT = 2


class OutputArena:
    """Output arrays of the simulation as views into reusable byte buffers.

    Parameters
    ----------
    max_buffers : int
        Buffers kept for reuse (>= 1); older ones are forgotten (and freed once their
        views die).
    max_bytes : int
        Most bytes the pool keeps referenced (default 1 GiB; a dimuon event takes 337
        bytes, so calls of up to about 1.5 M events are pooled twice over): a call that needs
        more gets memory that is not pooled (freed with its result), so a single large call
        does not leave gigabytes held.

    Examples
    --------
    >>> arena = OutputArena()
    >>> a, b = arena.allocate([((3,), np.float32, False), ((2, 2), np.int64, True)])
    >>> a.shape, b.tolist()
    ((3,), [[0, 0], [0, 0]])
    >>> first = a.ctypes.data
    >>> del a, b
    >>> (c,) = arena.allocate([((3,), np.float32, False)])
    >>> c.ctypes.data == first  # the freed buffer is reused
    True
    """

    def __init__(self, max_buffers: int = 2, max_bytes: int = 1 << 30):
        for name, value in (("max_buffers", max_buffers), ("max_bytes", max_bytes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} = {value!r} must be an integer >= 1")
        self.max_buffers = max_buffers
        self.max_bytes = max_bytes
        self._buffers: list[np.ndarray] = []
        self._lock = threading.Lock()

    @staticmethod
    def _layout(specs) -> tuple[list[int], int]:
        offsets, total = [], 0
        for shape, dtype, _zero in specs:
            offsets.append(total)
            nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
            total += -(-nbytes // ALIGNMENT) * ALIGNMENT
        return offsets, max(total, ALIGNMENT)

    def _free(self) -> list[int]:
        """Indices of the pooled buffers that no result refers to."""
        return [
            k
            for k in range(len(self._buffers))
            if sys.getrefcount(self._buffers[k]) == _FREE_REFCOUNT
        ]

    def _claim(self, nbytes: int) -> np.ndarray:
        """The smallest free buffer of at least ``nbytes`` from the pool, or a new one
        (pooled)."""
        # 64 bytes of slack: the first view starts at an aligned address
        size = nbytes + ALIGNMENT
        free = self._free()
        fitting = [k for k in free if self._buffers[k].size >= size]
        if fitting:
            return self._buffers[min(fitting, key=lambda k: self._buffers[k].size)]
        if size > self.max_bytes:
            return np.empty(size, dtype=np.uint8)  # too large to keep: not pooled
        # room: drop a free buffer (too small), then the oldest ones
        if free:
            del self._buffers[free[0]]
        while self._buffers and (
            len(self._buffers) >= self.max_buffers or self.pooled_bytes + size > self.max_bytes
        ):
            del self._buffers[0]
        buf = np.empty(size, dtype=np.uint8)
        self._buffers.append(buf)
        return buf

    def allocate(self, specs) -> list[np.ndarray]:
        """Arrays for ``specs``, a sequence of ``(shape, dtype, zero)``: C-contiguous views,
        each aligned to :data:`ALIGNMENT` bytes, zero-filled where ``zero`` is true and
        otherwise holding whatever the buffer held (as :func:`numpy.empty`)."""
        specs = list(specs)
        offsets, total = self._layout(specs)
        with self._lock:
            buf = self._claim(total)
            start = (-buf.ctypes.data) % ALIGNMENT
            out = []
            for (shape, dtype, zero), off in zip(specs, offsets, strict=True):
                dtype = np.dtype(dtype)
                count = int(np.prod(shape, dtype=np.int64))
                view = buf[start + off : start + off + count * dtype.itemsize]
                view = view.view(dtype).reshape(shape)
                if zero:
                    view.fill(0)
                out.append(view)
            return out

    def release(self) -> None:
        """Forget every pooled buffer (freed once no result refers to it)."""
        with self._lock:
            self._buffers.clear()

    @property
    def pooled_bytes(self) -> int:
        """Bytes held by the pool (free or in use)."""
        return sum(buf.nbytes for buf in self._buffers)


#: The arena of :func:`darkscan.detector.simulate.simulate_events`.
OUTPUT_ARENA = OutputArena()
