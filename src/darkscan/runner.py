"""Run a search at scale: independent tasks over chunks, seeds, executors, checkpoints, resume.

This is the only module that knows about chunks, seeds, executors and checkpoints; it knows
nothing about physics. A search supplies a pure function

* ``process_chunk(task, rng) -> dict[str, hist.Hist | float]`` for generated samples, or
* ``process_file_chunk(task) -> dict[str, hist.Hist | float]`` for files (basf2 ntuples,
  Parquet samples) read over the entry range ``task.entry_start:task.entry_stop``,

returning histograms (any boost-histogram with Double, Weight, Int64 or Unlimited storage)
and optionally small scalars such as cut-flow counts. :func:`run` executes the tasks of a
plan in-process, in a local process pool, or on Dask (a ``LocalCluster`` or an existing
scheduler), merges the outputs per key and returns a :class:`RunResult`.

Determinism
-----------
Generated samples are cut into fixed-size *units* of ``unit_size`` events (default 2**16).
Unit ``u`` of sample ``s`` draws from its own stream,
``np.random.SeedSequence(entropy=seed, spawn_key=(stable_hash(s), u))``, and
``process_chunk`` is called once per unit; a *chunk* (one task) is a contiguous range of
whole units. Outputs are accumulated **exactly**: every float64 bin content (and variance)
of every unit is added into an integer multi-limb accumulator (a float64 is an integer
times a power of two, so a sum of float64 values is an exact binary fraction) and rounded
to float64 once, correctly, at the end. Exact addition is associative and commutative, so
the merged histograms are bit-identical for any chunk size, number of workers, executor,
completion order and resume history. (Plain float64 histogram addition is not associative:
``(a + b) + c != a + (b + c)`` in general.) For file plans each task is one unit; results
are bit-identical for any executor and worker count at a fixed ``step_size``.

Checkpoints
-----------
With ``run_dir`` every finished chunk is written to ``run_dir/chunks/<sample>/<chunk>.pkl``
(a header with a SHA-256 digest of the pickled payload, so a damaged file is detected
before it is unpickled) and ``run_dir/manifest.json`` records the run seed, plan, chunk and
unit size, versions and the chunks done. Both are written atomically (temporary sibling,
``fsync``, ``os.replace``, ``fsync`` of the directory). ``resume=True`` skips finished
chunks after checking that the manifest describes the same run; temporary files left by a
killed run are removed, never read.

Examples
--------
>>> import hist
>>> def toy(task, rng):
...     h = hist.Hist.new.Reg(4, 0, 1).Weight()
...     h.fill(rng.random(task.n_events), weight=rng.exponential(size=task.n_events))
...     return {"x": h, "n": float(task.n_events)}
>>> plan = plan_chunks({"toy": 2500}, chunk_size=1000, unit_size=500)
>>> len(plan.tasks), [t.n_units for t in plan.tasks]
(3, [2, 2, 1])
>>> result = run(toy, plan, seed=7)
>>> result.scalars["n"]
2500.0
>>> other = run(toy, plan_chunks({"toy": 2500}, chunk_size=1500, unit_size=500), seed=7)
>>> other.histograms["x"].view().tobytes() == result.histograms["x"].view().tobytes()
True
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import dataclasses
import hashlib
import itertools
import json
import math
import multiprocessing
import numbers
import os
import pickle
import platform
import re
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import boost_histogram as bh
import numpy as np

from darkscan.errors import ConfigError, DarkscanError
from darkscan.io.atomic import write_bytes_atomic

__all__ = [
    "DEFAULT_UNIT_SIZE",
    "Plan",
    "RunError",
    "RunResult",
    "Task",
    "load_plan",
    "measure_rate",
    "plan_chunks",
    "plan_files",
    "run",
    "stable_hash",
    "unit_rng",
]

#: Events per unit: the granularity of random streams (chunks are whole numbers of units).
DEFAULT_UNIT_SIZE = 2**16
#: Wall time per task aimed at by the automatic chunk size, seconds (Dask overhead ~2 ms/task).
TARGET_TASK_SECONDS = 2.0
#: Units per chunk when neither ``chunk_size`` nor a rate is known.
DEFAULT_UNITS_PER_CHUNK = 16
_MIN_UNITS, _MAX_UNITS = 1, 1024
_FORMAT = 1
_MAGIC = b"DARKSCAN-CHUNK-2\n"  # zlib-compressed pickle (histograms are mostly empty cells:
# a 23 MB chunk of the Z' search compresses to 0.1 MB in 0.14 s)
_MAGIC_V1 = b"DARKSCAN-CHUNK-1\n"  # uncompressed pickle, still read
_SAMPLE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+\-]{0,127}$")
_EXECUTORS = ("inprocess", "processes", "dask")


class RunError(DarkscanError, RuntimeError):
    """Tasks kept failing after their retries; ``failed`` maps (sample, chunk) to the error."""

    def __init__(self, failed: Mapping[tuple[str, int], str], n_tasks: int):
        self.failed = dict(sorted(failed.items()))
        names = ", ".join(f"({s}, {c})" for s, c in list(self.failed)[:10])
        more = "" if len(self.failed) <= 10 else f" and {len(self.failed) - 10} more"
        first = next(iter(self.failed.values()))
        super().__init__(
            f"{len(self.failed)} of {n_tasks} tasks failed after retries: {names}{more}; "
            f"first error: {first}"
        )


# --------------------------------------------------------------------------------------
# tasks and plans
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Task:
    """One independent piece of work: a chunk of a sample (or an entry range of a file).

    Parameters
    ----------
    sample : str
        Sample name (letters, digits, ``_ . + -``).
    chunk : int
        Chunk index within the sample.
    n_events : int
        Events in this task (for ``process_chunk``: in the unit being processed).
    params : dict
        The search's parameters for this sample (passed through untouched).
    unit_start, unit_stop : int
        Units covered (generated samples). ``process_chunk`` is called once per unit with a
        task whose ``unit_start`` is that unit and ``unit_stop = unit_start + 1``.
    first_event : int
        Index of the first event of the task (or unit) within the sample.
    unit_size : int
        Events per full unit (generated samples).
    path, tree : str or None
        Input file and (for ROOT files) tree name (file plans).
    entry_start, entry_stop : int or None
        Entry range ``[entry_start, entry_stop)`` within the file (file plans).
    """

    sample: str
    chunk: int
    n_events: int
    params: dict = dataclasses.field(default_factory=dict)
    unit_start: int = 0
    unit_stop: int = 1
    first_event: int = 0
    path: str | None = None
    tree: str | None = None
    entry_start: int | None = None
    entry_stop: int | None = None
    unit_size: int = 0

    @property
    def n_units(self) -> int:
        """Number of units in the task."""
        return self.unit_stop - self.unit_start

    @property
    def name(self) -> str:
        """``sample/chunk``, as used in messages."""
        return f"{self.sample}/{self.chunk}"


@dataclasses.dataclass(frozen=True)
class Plan:
    """An ordered list of tasks plus what defines them (kind, sizes, samples)."""

    kind: str  # "generate" or "files"
    tasks: tuple[Task, ...]
    samples: dict[str, int]  # sample -> events (generate) or entries (files)
    unit_size: int
    chunk_size: int  # events per chunk (generate) or entries per step (files)
    unit_sizes: dict[str, int] = dataclasses.field(default_factory=dict)  # per-sample overrides

    def sample_unit_size(self, sample: str) -> int:
        """Events per unit of ``sample`` (its override, else the plan's ``unit_size``)."""
        return self.unit_sizes.get(sample, self.unit_size)

    def describe(self) -> dict:
        """JSON-able description (stored in the manifest; compared on resume)."""
        out = {
            "kind": self.kind,
            "unit_size": self.unit_size,
            "chunk_size": self.chunk_size,
            "samples": dict(self.samples),
            "params": {s: _jsonable(p) for s, p in self._params().items()},
            "tasks": [
                [
                    t.sample,
                    t.chunk,
                    t.n_events,
                    t.unit_start,
                    t.unit_stop,
                    t.path,
                    t.tree,
                    t.entry_start,
                    t.entry_stop,
                ]
                for t in self.tasks
            ],
        }
        if self.unit_sizes:  # absent when unused, so plans without overrides keep their digest
            out["unit_sizes"] = dict(sorted(self.unit_sizes.items()))
        return out

    def _params(self) -> dict:
        out: dict = {}
        for t in self.tasks:
            out.setdefault(t.sample, t.params)
        return out

    @property
    def digest(self) -> str:
        """SHA-256 of :meth:`describe` (canonical JSON)."""
        text = json.dumps(self.describe(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def n_events(self) -> int:
        """Total events (entries) over all samples."""
        return sum(self.samples.values())


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def stable_hash(name: str) -> int:
    """A hash of a sample name that is the same in every process and Python session.

    (Python's ``hash`` of a str is salted per process.) CRC-32 of the UTF-8 bytes.

    >>> stable_hash("mumu")  # zlib.crc32(b"mumu")
    1242483232
    """
    return zlib.crc32(name.encode("utf-8"))


def unit_rng(seed: int, sample: str, unit: int) -> np.random.Generator:
    """The random-number generator of unit ``unit`` of ``sample`` in a run with ``seed``.

    ``np.random.default_rng(np.random.SeedSequence(entropy=seed,
    spawn_key=(stable_hash(sample), unit)))``: independent streams per (sample, unit).
    """
    ss = np.random.SeedSequence(entropy=seed, spawn_key=(stable_hash(sample), unit))
    return np.random.default_rng(ss)


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_samples(samples: Any, what: str) -> dict[str, int]:
    if not isinstance(samples, Mapping) or not samples:
        raise ConfigError(
            f"{what} must be a non-empty dict of sample name -> events, got {samples!r}"
        )
    out: dict[str, int] = {}
    hashes: dict[int, str] = {}
    for name, n in samples.items():
        if not isinstance(name, str) or not _SAMPLE_NAME.match(name):
            raise ConfigError(
                f"sample name {name!r} is not allowed (letters, digits, '_', '.', '+', '-'; "
                "starting with a letter or digit; at most 128 characters)"
            )
        out[name] = _check_int(f"events of sample {name!r}", n, 1)
        h = stable_hash(name)
        if h in hashes:
            raise ConfigError(
                f"samples {hashes[h]!r} and {name!r} have the same stable hash {h}: rename one"
            )
        hashes[h] = name
    return out


def measure_rate(
    process_chunk: Callable,
    sample: str = "calibration",
    params: Mapping | None = None,
    *,
    n_events: int = 4096,
    seed: int = 0,
) -> float:
    """Events per second of ``process_chunk`` on one core (a calibration run).

    ``process_chunk`` is called twice with ``n_events`` (the first call absorbs one-off
    costs such as imports and caches); the rate of the second call is returned.
    """
    n_events = _check_int("n_events", n_events, 1)
    task = Task(sample, 0, n_events, dict(params or {}))
    process_chunk(task, unit_rng(seed, sample, 0))
    t0 = time.perf_counter()
    process_chunk(task, unit_rng(seed, sample, 1))
    return n_events / max(time.perf_counter() - t0, 1e-9)


def _units_for_rate(rate: float, unit_size: int, target: float, lo: int, hi: int) -> int:
    """Power-of-two number of units giving about ``target`` seconds per task, in [lo, hi]."""
    ideal = target * rate / unit_size
    units = 2 ** max(0, round(math.log2(max(ideal, 1.0))))
    return int(min(max(units, lo), hi))


def plan_chunks(
    samples: Mapping[str, int],
    chunk_size: int | None = None,
    *,
    unit_size: int = DEFAULT_UNIT_SIZE,
    unit_sizes: Mapping[str, int] | None = None,
    params: Mapping[str, Mapping] | None = None,
    events_per_second: float | None = None,
    calibrate: Callable | None = None,
    target_seconds: float = TARGET_TASK_SECONDS,
    min_units: int = _MIN_UNITS,
    max_units: int = _MAX_UNITS,
) -> Plan:
    """Cut generated samples into chunks of whole units.

    Parameters
    ----------
    samples : dict
        Sample name -> number of events to generate.
    chunk_size : int, optional
        Events per chunk, a positive multiple of ``unit_size``. If not given it is chosen
        automatically: the power of two number of units closest to ``target_seconds`` of
        work at ``events_per_second`` (or at the rate measured by a calibration run of
        ``calibrate``, see :func:`measure_rate`), clipped to ``[min_units, max_units]``;
        with neither, :data:`DEFAULT_UNITS_PER_CHUNK` units. At the default unit size a
        task then holds at least 65536 events, far more than the ~2 ms (Dask) overhead.
    unit_size : int
        Events per unit (the granularity of random streams). Results depend on it, not on
        ``chunk_size``.
    unit_sizes : dict, optional
        Sample name -> events per unit for that sample, overriding ``unit_size``. A slow
        sample (a heavily filtered generator, say) gets small units so that its work
        spreads over many tasks. Chunks of every sample hold ``chunk_size // unit_size``
        units. Results depend on each sample's unit size, not on ``chunk_size``.
    params : dict, optional
        Sample name -> parameters handed to ``process_chunk`` in ``task.params``.
    events_per_second, calibrate, target_seconds, min_units, max_units
        Automatic chunk size, see ``chunk_size``.

    Returns
    -------
    Plan
        Deterministic given the arguments (a calibration run is timed, so pass
        ``chunk_size`` or ``events_per_second`` when a plan must be reproduced exactly).

    Raises
    ------
    ConfigError
        Bad sample names or sizes, ``chunk_size`` not a multiple of ``unit_size``.

    Examples
    --------
    >>> p = plan_chunks({"a": 5, "b": 3}, chunk_size=4, unit_size=2)
    >>> [(t.sample, t.chunk, t.n_events, t.unit_start, t.unit_stop) for t in p.tasks]
    [('a', 0, 4, 0, 2), ('a', 1, 1, 2, 3), ('b', 0, 3, 0, 2)]
    >>> plan_chunks({"a": 10}, unit_size=1000, events_per_second=2e5).chunk_size
    512000
    >>> p = plan_chunks({"a": 8, "b": 8}, chunk_size=4, unit_size=4, unit_sizes={"b": 2})
    >>> [(t.sample, t.n_events, t.first_event) for t in p.tasks]
    [('a', 4, 0), ('a', 4, 4), ('b', 2, 0), ('b', 2, 2), ('b', 2, 4), ('b', 2, 6)]
    """
    samples = _check_samples(samples, "samples")
    unit_size = _check_int("unit_size", unit_size, 1)
    unit_sizes = dict(unit_sizes or {})
    unknown = sorted(set(unit_sizes) - set(samples))
    if unknown:
        raise ConfigError(
            f"unit_sizes given for unknown sample(s) {unknown}; samples are {sorted(samples)}"
        )
    unit_sizes = {k: _check_int(f"unit_sizes[{k!r}]", v, 1) for k, v in unit_sizes.items()}
    unit_sizes = {k: v for k, v in unit_sizes.items() if v != unit_size}
    min_units = _check_int("min_units", min_units, 1)
    max_units = _check_int("max_units", max_units, min_units)
    params = dict(params or {})
    unknown = sorted(set(params) - set(samples))
    if unknown:
        raise ConfigError(
            f"params given for unknown sample(s) {unknown}; samples are {sorted(samples)}"
        )
    if chunk_size is None:
        if events_per_second is None and calibrate is not None:
            first = next(iter(samples))
            events_per_second = measure_rate(
                calibrate, first, params.get(first), n_events=min(unit_size, 8192)
            )
        if events_per_second is None:
            units = min(max(DEFAULT_UNITS_PER_CHUNK, min_units), max_units)
        else:
            if not (
                isinstance(events_per_second, numbers.Real)
                and events_per_second > 0
                and math.isfinite(events_per_second)
            ):
                raise ConfigError(
                    f"events_per_second must be > 0 and finite, got {events_per_second!r}"
                )
            if not (isinstance(target_seconds, numbers.Real) and target_seconds > 0):
                raise ConfigError(f"target_seconds must be > 0, got {target_seconds!r}")
            units = _units_for_rate(
                float(events_per_second), unit_size, float(target_seconds), min_units, max_units
            )
        chunk_size = units * unit_size
    else:
        chunk_size = _check_int("chunk_size", chunk_size, 1)
        if chunk_size % unit_size:
            raise ConfigError(
                f"chunk_size {chunk_size} is not a multiple of unit_size {unit_size} "
                "(chunks are whole units)"
            )
    units_per_chunk = chunk_size // unit_size
    tasks = []
    for name, n in samples.items():
        size = unit_sizes.get(name, unit_size)
        n_units = -(-n // size)
        p = dict(params.get(name, {}))
        for chunk, u0 in enumerate(range(0, n_units, units_per_chunk)):
            u1 = min(u0 + units_per_chunk, n_units)
            first = u0 * size
            last = min(u1 * size, n)
            tasks.append(Task(name, chunk, last - first, p, u0, u1, first, unit_size=size))
    return Plan("generate", tuple(tasks), samples, unit_size, chunk_size, unit_sizes)


def _entries(path: Path, tree: str | None) -> tuple[int, list[int] | None]:
    """Number of entries and (for Parquet) the row-group boundaries of a file."""
    from darkscan.errors import InputFileError

    if not path.is_file():
        raise InputFileError(f"cannot plan {path}: file does not exist")
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        try:
            meta = pq.ParquetFile(path).metadata
        except Exception as exc:
            raise InputFileError(f"cannot plan {path}: not a valid Parquet file ({exc})") from exc
        rows = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
        return int(sum(rows)), [int(x) for x in np.cumsum([0, *rows])]
    if tree is None:
        raise ConfigError(f"plan_files: tree must be given for the ROOT file {path}")
    import uproot

    try:
        with uproot.open(path) as f:
            return int(f[tree].num_entries), None
    except Exception as exc:
        raise InputFileError(f"cannot plan {path}: no readable tree {tree!r} ({exc})") from exc


def plan_files(
    paths: Sequence[str | os.PathLike] | Mapping[str, Sequence[str | os.PathLike]],
    *,
    tree: str | None = None,
    step_size: int = 500_000,
    params: Mapping[str, Mapping] | None = None,
) -> Plan:
    """Cut files (basf2 ROOT ntuples, Parquet samples) into tasks over entry ranges.

    Parameters
    ----------
    paths : list of paths, or dict sample -> list of paths
        Input files; with a list, each file is its own sample named after its stem (with
        characters other than letters, digits and ``_ . + -`` replaced by ``_``).
    tree : str, optional
        Tree name in ROOT files (required for them; ignored for Parquet).
    step_size : int
        Entries per task. For Parquet files a task covers whole row groups (consecutive
        groups are joined until they hold at least ``step_size`` rows).
    params : dict, optional
        Sample name -> parameters passed in ``task.params``.

    Returns
    -------
    Plan
        Tasks with ``path``, ``tree``, ``entry_start``, ``entry_stop``; run them with
        ``run(process_file_chunk, plan, ...)`` where ``process_file_chunk(task)`` reads the
        range (e.g. with ``uproot`` ``entry_start``/``entry_stop``) and returns histograms.
    """
    step_size = _check_int("step_size", step_size, 1)
    if isinstance(paths, Mapping):
        groups = {s: [Path(p) for p in ps] for s, ps in paths.items()}
    elif isinstance(paths, str | os.PathLike):
        raise ConfigError("plan_files: paths must be a list of files or a dict sample -> files")
    else:
        groups = {}
        for p in paths:
            name = re.sub(r"[^A-Za-z0-9_.+\-]", "_", Path(p).stem) or "file"
            name = name if name[0].isalnum() else "f" + name
            if name in groups:
                raise ConfigError(
                    f"plan_files: two files give the sample name {name!r}; pass a dict"
                )
            groups[name] = [Path(p)]
    if not groups or any(not ps for ps in groups.values()):
        raise ConfigError("plan_files: no input files given")
    params = dict(params or {})
    totals: dict[str, int] = {}
    tasks = []
    for sample, files in groups.items():
        chunk = 0
        total = 0
        for path in files:
            n, bounds = _entries(path, tree)
            if bounds is None:
                edges = [*range(0, n, step_size), n] if n else [0]
            else:
                edges = [0]
                for b in bounds[1:]:
                    if b - edges[-1] >= step_size or b == n:
                        edges.append(b)
            for a, b in itertools.pairwise(edges):
                if b > a:
                    tasks.append(
                        Task(
                            sample,
                            chunk,
                            b - a,
                            dict(params.get(sample, {})),
                            chunk,
                            chunk + 1,
                            total + a,
                            str(path),
                            tree,
                            a,
                            b,
                        )
                    )
                    chunk += 1
            total += n
        totals[sample] = total
    _check_samples({s: max(n, 1) for s, n in totals.items()}, "samples")
    return Plan("files", tuple(tasks), totals, 1, step_size)


# --------------------------------------------------------------------------------------
# exact accumulation
# --------------------------------------------------------------------------------------

_LIMB_BITS = 32
_LIMB_MASK = (1 << _LIMB_BITS) - 1
_E_OFFSET = 1126  # x = M * 2**E with |M| < 2**53 has E >= -1126 (smallest subnormal)


class _ExactSum:
    """Exact sum of float64 arrays: integer limbs of 32 bits, value = sum limb_j 2**(32 (base + j) - 1126).

    Non-finite inputs are accumulated separately in ``special`` by float addition, which is
    order-independent on {0, +inf, -inf, nan}.
    """

    __slots__ = ("base", "limbs", "shape", "special")

    def __init__(self, shape, base=0, limbs=None, special=None):
        self.shape = tuple(shape)
        n = int(np.prod(self.shape, dtype=np.int64))
        self.base = base
        self.limbs = np.zeros((n, 0), np.int64) if limbs is None else limbs
        self.special = np.zeros(n) if special is None else special

    @classmethod
    def from_array(cls, x) -> _ExactSum:
        x = np.asarray(x, dtype=np.float64)
        shape = x.shape
        x = x.reshape(-1)
        finite = np.isfinite(x)
        special = np.where(finite, 0.0, x)
        m, e = np.frexp(np.where(finite, x, 0.0))
        mant = (m * 2.0**53).astype(np.int64)  # exact: |mant| < 2**53
        nz = np.nonzero(mant)[0]
        if nz.size == 0:
            return cls(shape, 0, np.zeros((x.size, 0), np.int64), special)
        pos = e[nz].astype(np.int64) - 53 + _E_OFFSET
        k, s = np.divmod(pos, _LIMB_BITS)
        base = int(k.min())
        limbs = np.zeros((x.size, int(k.max()) - base + 3), np.int64)
        a = np.abs(mant[nz]).astype(np.uint64)
        sign = np.sign(mant[nz])
        su = s.astype(np.uint64)
        lo = (a & np.uint64(_LIMB_MASK)) << su  # < 2**63
        hi = (a >> np.uint64(_LIMB_BITS)) << su  # < 2**52
        mid = hi + (lo >> np.uint64(_LIMB_BITS))
        col = k - base
        limbs[nz, col] = sign * (lo & np.uint64(_LIMB_MASK)).astype(np.int64)
        limbs[nz, col + 1] = sign * (mid & np.uint64(_LIMB_MASK)).astype(np.int64)
        limbs[nz, col + 2] = sign * (mid >> np.uint64(_LIMB_BITS)).astype(np.int64)
        out = cls(shape, base, limbs, special)
        out._normalise()
        return out

    def _normalise(self) -> None:
        limbs = self.limbs
        for j in range(limbs.shape[1] - 1):
            carry = limbs[:, j] >> _LIMB_BITS  # floor division (arithmetic shift)
            limbs[:, j] -= carry << _LIMB_BITS
            limbs[:, j + 1] += carry
        # trim all-zero columns at both ends
        used = np.nonzero(np.any(limbs != 0, axis=0))[0]
        if used.size == 0:
            self.limbs = limbs[:, :0]
            self.base = 0
        else:
            self.limbs = np.ascontiguousarray(limbs[:, used[0] : used[-1] + 1])
            self.base += int(used[0])

    def add(self, other: _ExactSum) -> None:
        if other.shape != self.shape:
            raise ValueError(f"cannot add exact sums of shapes {self.shape} and {other.shape}")
        with np.errstate(invalid="ignore"):  # inf + -inf -> nan, as intended
            self.special = self.special + other.special
        if other.limbs.shape[1] == 0:
            return
        if self.limbs.shape[1] == 0:
            self.base, self.limbs = other.base, other.limbs.copy()
            return
        base = min(self.base, other.base)
        top = max(self.base + self.limbs.shape[1], other.base + other.limbs.shape[1]) + 1
        limbs = np.zeros((self.limbs.shape[0], top - base), np.int64)
        for src in (self, other):
            limbs[:, src.base - base : src.base - base + src.limbs.shape[1]] += src.limbs
        self.base, self.limbs = base, limbs
        self._normalise()

    def to_array(self) -> np.ndarray:
        """Correctly rounded float64 values (round half to even)."""
        n, width = self.limbs.shape
        out = np.zeros(n)
        if width:
            shift = _LIMB_BITS * self.base - _E_OFFSET
            low = np.ascontiguousarray(self.limbs[:, :-1].astype("<u4"))
            for i in np.nonzero(np.any(self.limbs != 0, axis=1))[0]:
                value = int.from_bytes(low[i].tobytes(), "little") + (
                    int(self.limbs[i, -1]) << (_LIMB_BITS * (width - 1))
                )
                try:
                    out[i] = value / (1 << -shift) if shift < 0 else float(value << shift)
                except OverflowError:
                    out[i] = math.copysign(math.inf, value)
        special = self.special != 0
        out[special] = self.special[special]
        return out.reshape(self.shape)


_ADDITIVE_FLOAT = (bh.storage.Double, bh.storage.Weight, bh.storage.Unlimited)
_ADDITIVE_INT = (bh.storage.Int64, bh.storage.AtomicInt64)


class _Partial:
    """Exactly merged outputs: per key, a histogram template plus exact field sums, or a scalar."""

    def __init__(self) -> None:
        self.hists: dict[str, tuple[bh.Histogram, dict[str, Any]]] = {}
        self.scalars: dict[str, _ExactSum] = {}

    @classmethod
    def from_output(cls, output: Any, where: str) -> _Partial:
        if not isinstance(output, Mapping):
            raise TypeError(
                f"{where}: process function returned {type(output).__name__}, expected a dict"
            )
        part = cls()
        for key, value in output.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: output key {key!r} is not a str")
            if isinstance(value, bh.Histogram):
                storage = value.storage_type
                view = value.view(flow=True)
                if issubclass(storage, _ADDITIVE_INT):
                    fields = {"": np.array(view, dtype=np.int64)}
                elif issubclass(storage, _ADDITIVE_FLOAT):
                    names = view.dtype.names or ("",)
                    fields = {
                        f: _ExactSum.from_array(view[f] if f else np.asarray(view)) for f in names
                    }
                else:
                    raise TypeError(
                        f"{where}: histogram {key!r} has storage {storage.__name__}; the runner "
                        "merges Double, Weight, Int64 and Unlimited storages"
                    )
                part.hists[key] = (_Skeleton(value), fields)
            elif isinstance(value, numbers.Real) and not isinstance(value, bool):
                part.scalars[key] = _ExactSum.from_array(np.array([float(value)]))
            else:
                raise TypeError(
                    f"{where}: output {key!r} is a {type(value).__name__}, expected a histogram or a number"
                )
        return part

    def merge(self, other: _Partial) -> _Partial:
        for key, (template, fields) in other.hists.items():
            mine = self.hists.get(key)
            if mine is None:
                self.hists[key] = (template, {f: _copy_field(v) for f, v in fields.items()})
                continue
            if mine[0] != template:
                raise TypeError(
                    f"histogram {key!r} has different axes or storage in different tasks"
                )
            for f, v in fields.items():
                if isinstance(v, _ExactSum):
                    mine[1][f].add(v)
                else:
                    mine[1][f] = mine[1][f] + v
        for key, v in other.scalars.items():
            if key in self.scalars:
                self.scalars[key].add(v)
            else:
                self.scalars[key] = _copy_field(v)
        return self

    def finish(self) -> tuple[dict[str, bh.Histogram], dict[str, float]]:
        hists = {}
        for key in sorted(self.hists):
            template, fields = self.hists[key]
            h = template.build()
            view = h.view(flow=True)
            for f, v in fields.items():
                arr = v.to_array() if isinstance(v, _ExactSum) else v
                if f:
                    view[f] = arr
                else:
                    view[...] = arr
            hists[key] = h
        scalars = {k: float(self.scalars[k].to_array()[0]) for k in sorted(self.scalars)}
        return hists, scalars


class _Skeleton:
    """A histogram without contents: class, axes, storage type and attributes (small to pickle)."""

    def __init__(self, h: bh.Histogram):
        self.cls = type(h)
        self.axes = tuple(h.axes)
        self.storage = h.storage_type
        self.attrs = dict(h.__dict__)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _Skeleton)
            and self.cls is other.cls
            and self.storage is other.storage
            and self.axes == other.axes
        )

    __hash__ = None

    def build(self) -> bh.Histogram:
        h = self.cls(*self.axes, storage=self.storage())
        h.__dict__.update(self.attrs)
        return h


def _copy_field(v):
    if isinstance(v, _ExactSum):
        return _ExactSum(v.shape, v.base, v.limbs.copy(), v.special.copy())
    return v.copy()


# --------------------------------------------------------------------------------------
# executing one task (runs on workers)
# --------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Outcome:
    sample: str
    chunk: int
    n_events: int
    seconds: float
    partial: _Partial


def _execute(process: Callable, task: Task, seed: int, kind: str) -> _Outcome:
    """Run one task: every unit with its own stream, outputs merged exactly."""
    t0 = time.perf_counter()
    total = _Partial()
    if kind == "files":
        total.merge(_Partial.from_output(process(task), f"task ({task.sample}, {task.chunk})"))
    else:
        for u in range(task.unit_start, task.unit_stop):
            out = process(_unit_task(task, u), unit_rng(seed, task.sample, u))
            total.merge(_Partial.from_output(out, f"task ({task.sample}, {task.chunk}) unit {u}"))
    return _Outcome(task.sample, task.chunk, task.n_events, time.perf_counter() - t0, total)


def _unit_task(task: Task, unit: int) -> Task:
    """The task handed to ``process_chunk`` for one unit of a chunk."""
    first = unit * task.unit_size
    n = min(task.unit_size, task.first_event + task.n_events - first)
    return dataclasses.replace(
        task, n_events=n, unit_start=unit, unit_stop=unit + 1, first_event=first
    )


_FN_CACHE: dict[bytes, Callable] = {}


def _execute_pickled(fn_bytes: bytes, task: Task, seed: int, kind: str) -> _Outcome:
    """Process-pool entry point: the process function travels cloudpickled (lambdas work)."""
    key = hashlib.sha256(fn_bytes).digest()
    fn = _FN_CACHE.get(key)
    if fn is None:
        import cloudpickle

        fn = _FN_CACHE[key] = cloudpickle.loads(fn_bytes)
    return _execute(fn, task, seed, kind)


# --------------------------------------------------------------------------------------
# checkpoints
# --------------------------------------------------------------------------------------


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` durably and atomically; the temporary name ends in ``.tmp``."""
    write_bytes_atomic(path, data, durable=True, keep_suffix=False)


def _chunk_path(run_dir: Path, sample: str, chunk: int) -> Path:
    return run_dir / "chunks" / sample / f"{chunk}.pkl"


def _dump_chunk(outcome: _Outcome, seed: int, digest: str) -> bytes:
    payload = zlib.compress(
        pickle.dumps(
            {"format": _FORMAT, "seed": seed, "plan": digest, "outcome": outcome},
            protocol=pickle.HIGHEST_PROTOCOL,
        ),
        1,
    )
    return _MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload


def _load_chunk(path: Path, sample: str, chunk: int, seed: int, digest: str) -> _Outcome | None:
    """A checkpointed chunk, or None if the file is missing, damaged or from another run."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    magic = next((m for m in (_MAGIC, _MAGIC_V1) if data.startswith(m)), None)
    head = len(_MAGIC) + 65
    if magic is None or len(data) < head:
        return None
    payload = data[head:]
    if hashlib.sha256(payload).hexdigest().encode() != data[len(_MAGIC) : head - 1]:
        return None  # damaged: never unpickled
    try:
        record = pickle.loads(zlib.decompress(payload) if magic == _MAGIC else payload)
        outcome = record["outcome"]
    except Exception:
        return None
    if (record.get("seed"), record.get("plan"), outcome.sample, outcome.chunk) != (
        seed,
        digest,
        sample,
        chunk,
    ):
        return None
    return outcome


def _versions() -> dict[str, str]:
    import boost_histogram
    import hist

    from darkscan import __version__

    return {
        "darkscan": __version__,
        "numpy": np.__version__,
        "boost_histogram": boost_histogram.__version__,
        "hist": hist.__version__,
        "python": platform.python_version(),
    }


def _process_name(fn: Callable) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', type(fn).__name__)}"


def _manifest(
    plan: Plan,
    seed: int,
    process: str,
    done: Mapping[str, Iterable[int]],
    started: str,
    finished: bool,
) -> dict:
    return {
        "format": _FORMAT,
        "run_seed": seed,
        "process": process,
        "kind": plan.kind,
        "unit_size": plan.unit_size,
        "unit_sizes": dict(sorted(plan.unit_sizes.items())),
        "chunk_size": plan.chunk_size,
        "samples": dict(plan.samples),
        "params": {s: _jsonable(p) for s, p in plan._params().items()},
        "n_tasks": len(plan.tasks),
        "plan_digest": plan.digest,
        "plan": plan.describe()["tasks"],
        "versions": _versions(),
        "started": started,
        "finished": finished,
        "chunks_done": {s: sorted(c) for s, c in sorted(done.items())},
    }


def _check_manifest(old: dict, new: dict, path: Path) -> None:
    for key in (
        "format",
        "run_seed",
        "kind",
        "unit_size",
        "unit_sizes",
        "chunk_size",
        "samples",
        "params",
        "process",
        "plan_digest",
    ):
        default = {} if key == "unit_sizes" else None  # manifests before per-sample units
        a, b = old.get(key, default), new.get(key, default)
        if a != b:
            where, a, b = _first_difference(key, a, b)
            raise ConfigError(
                f"cannot resume from {path}: {where} in the manifest is {_short(a)} but this "
                f"run has {_short(b)}; use the same configuration or a new output directory"
            )


def _first_difference(key: str, a, b) -> tuple[str, object, object]:
    """The dotted path of the first differing leaf of two JSON-like values, and the two
    values there (dictionaries are compared key by key, in sorted order)."""
    while isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if a.get(k) != b.get(k):
                key, a, b = f"{key}.{k}", a.get(k), b.get(k)
                break
        else:  # pragma: no cover - equal dictionaries are not passed here
            break
    return key, a, b


def _short(value, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load_plan(run_dir: str | os.PathLike) -> Plan:
    """The plan recorded in ``run_dir/manifest.json`` (to resume a run exactly as planned)."""
    path = Path(run_dir) / "manifest.json"
    try:
        m = json.loads(path.read_text())
        sizes = {k: int(v) for k, v in m.get("unit_sizes", {}).items()}
        tasks = tuple(
            Task(
                s,
                c,
                n,
                dict(m["params"].get(s, {})),
                u0,
                u1,
                (u0 * sizes.get(s, m["unit_size"])) if m["kind"] == "generate" else 0,
                p,
                tr,
                e0,
                e1,
                sizes.get(s, m["unit_size"]) if m["kind"] == "generate" else 0,
            )
            for s, c, n, u0, u1, p, tr, e0, e1 in m["plan"]
        )
        plan = Plan(m["kind"], tasks, dict(m["samples"]), m["unit_size"], m["chunk_size"], sizes)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot load a plan from {path}: {exc}") from exc
    if plan.kind == "files":
        # restore first_event of file tasks (cumulative over files of a sample)
        fixed, offset, last = [], {}, {}
        for t in plan.tasks:
            if last.get(t.sample) not in (None, t.path):
                offset[t.sample] = (
                    fixed[-1].first_event + fixed[-1].entry_stop - fixed[-1].entry_start
                )
            fixed.append(
                dataclasses.replace(t, first_event=offset.get(t.sample, 0) + t.entry_start)
            )
            last[t.sample] = t.path
        plan = dataclasses.replace(plan, tasks=tuple(fixed))
    if plan.digest != m.get("plan_digest"):
        raise ConfigError(f"cannot load a plan from {path}: plan digest does not match")
    return plan


# --------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------


@dataclasses.dataclass
class RunResult:
    """Merged outputs of a run plus bookkeeping.

    Attributes
    ----------
    histograms : dict
        Key -> histogram merged over all tasks of all samples.
    scalars : dict
        Key -> float merged over all tasks of all samples.
    by_sample : dict
        Sample -> (key -> histogram) merged over that sample's tasks.
    scalars_by_sample : dict
        Sample -> (key -> float).
    totals : dict
        Sample -> {"n_events", "n_chunks", "chunks_run", "chunks_resumed", "task_seconds"}.
    wall_time : float
        Seconds for this call (including cluster start-up).
    n_events, n_events_run : int
        Events of the plan; events processed in this call (not resumed from checkpoints).
    events_per_second : float
        ``n_events_run / wall_time``.
    executor : str
    n_workers : int
    manifest : dict or None
        The manifest written (with ``run_dir``).
    run_dir : pathlib.Path or None
    """

    histograms: dict
    scalars: dict
    by_sample: dict
    scalars_by_sample: dict
    totals: dict
    wall_time: float
    n_events: int
    n_events_run: int
    events_per_second: float
    executor: str
    n_workers: int
    manifest: dict | None = None
    run_dir: Path | None = None

    def summary(self) -> str:
        """A plain-text table of the run (also ``str(result)``)."""
        lines = [f"{'sample':<24}{'events':>14}{'chunks':>8}{'run':>7}{'resumed':>9}{'task s':>10}"]
        for s, t in self.totals.items():
            lines.append(
                f"{s:<24}{t['n_events']:>14d}{t['n_chunks']:>8d}{t['chunks_run']:>7d}"
                f"{t['chunks_resumed']:>9d}{t['task_seconds']:>10.2f}"
            )
        lines.append(
            f"total {self.n_events} events ({self.n_events_run} processed now) in "
            f"{self.wall_time:.2f} s wall on {self.n_workers} worker(s) [{self.executor}]: "
            f"{self.events_per_second:.4g} events/s"
        )
        if self.run_dir is not None:
            lines.append(f"checkpoints and manifest in {self.run_dir}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


# --------------------------------------------------------------------------------------
# executors
# --------------------------------------------------------------------------------------


class _InProcess:
    n_workers = 1

    def __init__(self, process, seed, kind):
        self.process, self.seed, self.kind = process, seed, kind

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map(self, tasks):
        for task in tasks:
            try:
                yield task, _execute(self.process, task, self.seed, self.kind), None
            except Exception as exc:
                yield task, None, _one_line(exc)


class _Processes:
    def __init__(self, process, seed, kind, n_workers):
        import cloudpickle

        self.fn_bytes = cloudpickle.dumps(process)
        self.seed, self.kind = seed, kind
        self.n_workers = n_workers or os.cpu_count() or 1
        method = (
            "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        )
        self.context = multiprocessing.get_context(method)
        self.pool = None

    def _new_pool(self):
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = cf.ProcessPoolExecutor(self.n_workers, mp_context=self.context)

    def __enter__(self):
        self._new_pool()
        return self

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        return False

    def map(self, tasks):
        futures = {
            self.pool.submit(_execute_pickled, self.fn_bytes, t, self.seed, self.kind): t
            for t in tasks
        }
        broken = False
        for fut in cf.as_completed(futures):
            task = futures[fut]
            try:
                yield task, fut.result(), None
            except Exception as exc:
                broken = broken or isinstance(exc, cf.process.BrokenProcessPool)
                yield task, None, _one_line(exc)
        if broken:
            self._new_pool()


class _Dask:
    def __init__(self, process, seed, kind, n_workers, cluster, scheduler, n_retries):
        self.process, self.seed, self.kind = process, seed, kind
        self.n_workers_requested = n_workers
        self.cluster_arg, self.scheduler = cluster, scheduler
        self.n_retries = n_retries
        self.cluster = self.client = None
        self._own_cluster = False

    def __enter__(self):
        import logging

        from distributed import Client, LocalCluster

        if self.scheduler is not None:
            try:
                self.client = Client(self.scheduler, timeout="20s")
            except Exception as exc:
                raise ConfigError(
                    f"cannot connect to the Dask scheduler {self.scheduler}: {_one_line(exc)}"
                ) from exc
        elif self.cluster_arg in (None, "local"):
            self.cluster = LocalCluster(
                n_workers=self.n_workers_requested or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.WARNING,
            )
            self._own_cluster = True
            self.client = Client(self.cluster)
        else:
            self.cluster = self.cluster_arg
            self.client = Client(self.cluster)
        return self

    @property
    def n_workers(self) -> int:
        return max(1, len(self.client.scheduler_info(n_workers=-1).get("workers", {})))

    def __exit__(self, *exc):
        with contextlib.suppress(Exception):
            self.client.close()
        if self._own_cluster:
            with contextlib.suppress(Exception):
                self.cluster.close()
        return False

    def map(self, tasks):
        from distributed import as_completed

        token = os.urandom(4).hex()
        futures = {}
        for t in tasks:
            fut = self.client.submit(
                _execute,
                self.process,
                t,
                self.seed,
                self.kind,
                key=f"darkscan-{t.sample}-{t.chunk}-{token}",
                pure=False,
                retries=self.n_retries,
            )
            futures[fut.key] = (fut, t)
        for fut in as_completed([f for f, _ in futures.values()]):
            task = futures[fut.key][1]
            try:
                yield task, fut.result(), None
            except Exception as exc:
                yield task, None, _one_line(exc)
            fut.release()


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


# --------------------------------------------------------------------------------------
# progress
# --------------------------------------------------------------------------------------


class _Progress:
    def __init__(self, plan: Plan, enabled: bool):
        self.enabled = enabled
        self.bars: dict[str, Any] = {}
        self.progress = None
        if not enabled:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class _Rate(ProgressColumn):
            """Events per second of a sample."""

            def render(self, task):
                speed = task.finished_speed or task.speed
                return Text(
                    f"{speed:.3g} ev/s" if speed else "-- ev/s", style="progress.data.speed"
                )

        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _Rate(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            transient=False,
        )
        for sample, n in plan.samples.items():
            self.bars[sample] = self.progress.add_task(sample, total=n)

    def __enter__(self):
        if self.progress is not None:
            self.progress.start()
        return self

    def advance(self, sample: str, n: int) -> None:
        if self.progress is not None:
            self.progress.advance(self.bars[sample], n)

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.stop()
        return False


# --------------------------------------------------------------------------------------
# run
# --------------------------------------------------------------------------------------


def run(
    process_chunk: Callable,
    plan: Plan,
    *,
    seed: int,
    executor: str | None = None,
    n_workers: int | None = None,
    cluster: Any = None,
    scheduler: str | None = None,
    run_dir: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool = False,
    n_retries: int = 2,
) -> RunResult:
    """Execute every task of ``plan`` and merge the outputs exactly.

    Parameters
    ----------
    process_chunk : callable
        ``process_chunk(task, rng)`` for generate plans (called once per unit of each chunk,
        ``task.n_events`` being the unit's events), ``process_file_chunk(task)`` for file
        plans. Returns a dict of histograms and numbers. Must be picklable by cloudpickle
        for the ``"processes"`` and ``"dask"`` executors.
    plan : Plan
        From :func:`plan_chunks`, :func:`plan_files` or :func:`load_plan`.
    seed : int
        Run seed (>= 0): the entropy of every unit's SeedSequence.
    executor : {"inprocess", "processes", "dask"}, optional
        Default ``"inprocess"``, or ``"dask"`` when ``cluster`` or ``scheduler`` is given.
    n_workers : int, optional
        Worker processes of the process pool or of the LocalCluster (default: CPU count).
        Ignored by the in-process executor (one worker) and with ``scheduler`` (the running
        cluster's workers are used).
    cluster : "local" or a distributed cluster object, optional
        ``"local"`` starts a ``distributed.LocalCluster`` (``n_workers`` processes, one
        thread each), closed at the end.
    scheduler : str, optional
        Address (``"tcp://HOST:PORT"``) of an existing Dask scheduler.
    run_dir : path, optional
        Directory for checkpoints (``chunks/<sample>/<chunk>.pkl``) and ``manifest.json``.
    resume : bool
        Continue the run in ``run_dir``, skipping checkpointed chunks; the manifest must
        describe the same run (seed, plan, sizes, process function).
    progress : bool
        Show rich progress bars per sample with events/s.
    n_retries : int
        Extra attempts per failing task.

    Returns
    -------
    RunResult

    Raises
    ------
    ConfigError
        Bad options, or a manifest that does not match on resume (one line naming the field).
    RunError
        Tasks that still failed after ``n_retries`` retries, named by (sample, chunk); all
        other chunks are merged and checkpointed first.
    """
    t_start = time.perf_counter()
    if not isinstance(plan, Plan):
        raise ConfigError(
            f"plan must be a darkscan.runner.Plan (from plan_chunks or plan_files), got {type(plan).__name__}"
        )
    if not callable(process_chunk):
        raise ConfigError(f"process_chunk must be callable, got {type(process_chunk).__name__}")
    seed = _check_int("seed", seed, 0)
    n_retries = _check_int("n_retries", n_retries, 0)
    if n_workers is not None:
        n_workers = _check_int("n_workers", n_workers, 1)
    if cluster is not None and scheduler is not None:
        raise ConfigError("give either cluster or scheduler, not both")
    if cluster is not None and isinstance(cluster, str) and cluster != "local":
        raise ConfigError(
            f"cluster must be 'local' or a distributed cluster object, got {cluster!r}"
        )
    if scheduler is not None and (not isinstance(scheduler, str) or "://" not in scheduler):
        raise ConfigError(f"scheduler must be an address like 'tcp://HOST:PORT', got {scheduler!r}")
    if executor is None:
        executor = "dask" if (cluster is not None or scheduler is not None) else "inprocess"
    if executor not in _EXECUTORS:
        raise ConfigError(f"executor must be one of {list(_EXECUTORS)}, got {executor!r}")
    if executor != "dask" and (cluster is not None or scheduler is not None):
        raise ConfigError(f"cluster/scheduler need executor='dask', got executor={executor!r}")
    if executor == "inprocess" or scheduler is not None:
        # n_workers sizes the pools and clusters the runner starts; a search passes its
        # configured default along with any executor, so elsewhere it is ignored
        n_workers = None
    if resume and run_dir is None:
        raise ConfigError("resume=True needs run_dir")

    process_name = _process_name(process_chunk)
    digest = plan.digest
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    per_sample = {s: _Partial() for s in plan.samples}
    totals = {
        s: {"n_events": n, "n_chunks": 0, "chunks_run": 0, "chunks_resumed": 0, "task_seconds": 0.0}
        for s, n in plan.samples.items()
    }
    for t in plan.tasks:
        totals[t.sample]["n_chunks"] += 1
    done: dict[str, set[int]] = {s: set() for s in plan.samples}
    todo = list(plan.tasks)
    rd = Path(run_dir) if run_dir is not None else None
    manifest_path = rd / "manifest.json" if rd is not None else None
    manifest = None

    def write_manifest(finished: bool) -> dict:
        m = _manifest(plan, seed, process_name, done, started, finished)
        _write_atomic(manifest_path, (json.dumps(m, indent=1) + "\n").encode())
        return m

    with _Progress(plan, progress) as bars:
        if rd is not None:
            new = _manifest(plan, seed, process_name, {}, started, False)
            if manifest_path.exists():
                if not resume:
                    raise ConfigError(
                        f"run_dir {rd} already holds a run (manifest.json): pass resume=True or use a new run_dir"
                    )
                try:
                    old = json.loads(manifest_path.read_text())
                except ValueError as exc:
                    raise ConfigError(
                        f"cannot resume from {manifest_path}: not valid JSON ({exc})"
                    ) from exc
                _check_manifest(old, new, manifest_path)
                started = old.get("started", started)
            elif (rd / "chunks").exists() and any((rd / "chunks").rglob("*.pkl")):
                raise ConfigError(
                    f"run_dir {rd} holds chunk files but no manifest.json: use a new run_dir"
                )
            _clean_temporaries(rd)
            remaining = []
            for t in todo:
                outcome = (
                    _load_chunk(_chunk_path(rd, t.sample, t.chunk), t.sample, t.chunk, seed, digest)
                    if resume
                    else None
                )
                if outcome is None:
                    remaining.append(t)
                    continue
                per_sample[t.sample].merge(outcome.partial)
                totals[t.sample]["chunks_resumed"] += 1
                totals[t.sample]["task_seconds"] += outcome.seconds
                done[t.sample].add(t.chunk)
                bars.advance(t.sample, t.n_events)
            todo = remaining
            manifest = write_manifest(False)

        if executor == "inprocess":
            ex = _InProcess(process_chunk, seed, plan.kind)
        elif executor == "processes":
            ex = _Processes(process_chunk, seed, plan.kind, n_workers)
        else:
            ex = _Dask(process_chunk, seed, plan.kind, n_workers, cluster, scheduler, n_retries)

        failed: dict[tuple[str, int], str] = {}
        n_run = 0
        last_manifest, interval = time.monotonic(), 2.0
        with ex:
            attempts = {(t.sample, t.chunk): 0 for t in todo}
            # dask retries inside the scheduler; the others retry here
            rounds = 1 if executor == "dask" else n_retries + 1
            for _ in range(rounds):
                if not todo:
                    break
                retry = []
                for task, outcome, error in ex.map(todo):
                    key = (task.sample, task.chunk)
                    attempts[key] += 1
                    if error is not None:
                        failed[key] = error
                        retry.append(task)
                        continue
                    failed.pop(key, None)
                    if rd is not None:
                        _write_atomic(
                            _chunk_path(rd, task.sample, task.chunk),
                            _dump_chunk(outcome, seed, digest),
                        )
                    per_sample[task.sample].merge(outcome.partial)
                    totals[task.sample]["chunks_run"] += 1
                    totals[task.sample]["task_seconds"] += outcome.seconds
                    done[task.sample].add(task.chunk)
                    n_run += task.n_events
                    bars.advance(task.sample, task.n_events)
                    # the chunk files are the record of progress; the manifest's list of
                    # done chunks is refreshed at most every 2 s (or 50x its write time)
                    if rd is not None and time.monotonic() - last_manifest > interval:
                        t_write = time.monotonic()
                        manifest = write_manifest(False)
                        last_manifest = time.monotonic()
                        interval = max(2.0, 50.0 * (last_manifest - t_write))
                todo = retry
            n_workers_used = ex.n_workers
        if rd is not None:
            manifest = write_manifest(not failed)
    if failed:
        raise RunError(failed, len(plan.tasks))

    total = _Partial()
    by_sample, scalars_by_sample = {}, {}
    for s in plan.samples:  # merged exactly: order is irrelevant, kept canonical anyway
        total.merge(per_sample[s])
        by_sample[s], scalars_by_sample[s] = per_sample[s].finish()
    hists, scalars = total.finish()
    wall = time.perf_counter() - t_start
    return RunResult(
        histograms=hists,
        scalars=scalars,
        by_sample=by_sample,
        scalars_by_sample=scalars_by_sample,
        totals=totals,
        wall_time=wall,
        n_events=plan.n_events,
        n_events_run=n_run,
        events_per_second=n_run / wall if wall > 0 else 0.0,
        executor=executor,
        n_workers=n_workers_used,
        manifest=manifest,
        run_dir=rd,
    )


def _clean_temporaries(run_dir: Path) -> None:
    """Remove temporary files left by an interrupted run (never read)."""
    for p in (
        [run_dir, *(run_dir / "chunks").rglob("*")] if (run_dir / "chunks").exists() else [run_dir]
    ):
        if p.is_dir():
            for f in p.iterdir():
                if f.is_file() and f.name.startswith(".") and f.name.endswith(".tmp"):
                    with contextlib.suppress(OSError):
                        f.unlink()
