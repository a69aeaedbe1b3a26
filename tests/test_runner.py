"""Tests of darkscan.runner: determinism across chunkings and executors, checkpoints, resume.

The reference for every merged histogram is an independent computation: the per-unit
histograms are rebuilt here from the documented seeding rule
(SeedSequence(entropy=seed, spawn_key=(crc32(sample), unit))) and summed bin by bin with
math.fsum, which returns the correctly rounded exact sum -- what the runner promises.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

import boost_histogram as bh
import hist
import numpy as np
import pytest

from darkscan.errors import ConfigError
from darkscan.runner import (
    Plan,
    RunError,
    Task,
    _ExactSum,
    load_plan,
    plan_chunks,
    plan_files,
    run,
    stable_hash,
    unit_rng,
)

TESTS = Path(__file__).resolve().parent
SEED = 20261126
UNIT = 400
SAMPLES = {"sig": 2350, "bkg": 1600}  # 6 units (last partial) and 4 units

# state used to inject failures (in-process executor only)
_FAIL_UNITS: set[int] = set()
_FAIL_ONCE: set[tuple[str, int]] = set()


def toy_chunk(task: Task, rng: np.random.Generator) -> dict:
    """Toy search: weighted values whose sums are not exactly representable in float64."""
    if task.unit_start in _FAIL_UNITS:
        raise RuntimeError(f"injected failure in unit {task.unit_start}")
    if (task.sample, task.unit_start) in _FAIL_ONCE:
        _FAIL_ONCE.discard((task.sample, task.unit_start))
        raise RuntimeError("injected transient failure")
    delay = float(os.environ.get("DARKSCAN_TEST_UNIT_DELAY", "0"))
    if delay:
        time.sleep(delay)
    x = rng.random(task.n_events)
    w = 0.1 * rng.exponential(size=task.n_events) * (1.0 + task.params.get("scale", 0.0))
    h = hist.Hist.new.Reg(12, 0, 1, name="x").Weight()
    h.fill(x, weight=w)
    c = hist.Hist.new.Reg(3, 0, 1, name="x").Int64()
    c.fill(x)
    return {"x": h, "count": c, "sumw": float(w.sum()), "n": float(task.n_events)}


def _bytes(result) -> dict:
    out = {k: h.view(flow=True).tobytes() for k, h in result.histograms.items()}
    out.update({k: np.float64(v).tobytes() for k, v in result.scalars.items()})
    return out


def _unit_outputs(samples=SAMPLES, unit=UNIT, seed=SEED, unit_sizes=None):
    """Per-unit outputs rebuilt independently of the runner (seeding rule of the docs)."""
    outs = []
    for sample, n in samples.items():
        unit = (unit_sizes or {}).get(sample, UNIT)
        for u in range(-(-n // unit)):
            ss = np.random.SeedSequence(entropy=seed, spawn_key=(zlib.crc32(sample.encode()), u))
            task = Task(sample, 0, min(unit, n - u * unit), {}, u, u + 1, u * unit, unit_size=unit)
            outs.append(toy_chunk(task, np.random.default_rng(ss)))
    return outs


@pytest.fixture(scope="module")
def reference():
    return run(toy_chunk, plan_chunks(SAMPLES, UNIT, unit_size=UNIT), seed=SEED)


# ---------------------------------------------------------------- exact accumulation


def test_exact_sum_is_correctly_rounded_fsum_in_any_order():
    rng = np.random.default_rng(1)
    parts = [rng.normal(size=50) * 10.0 ** rng.integers(-300, 300, size=50) for _ in range(20)]
    parts.append(np.full(50, 5e-324))  # subnormals
    parts.append(np.full(50, -1.7e308))  # near the top of the range
    expected = np.array([math.fsum(p[i] for p in parts) for i in range(50)])
    for order in (range(len(parts)), reversed(range(len(parts))), rng.permutation(len(parts))):
        acc = _ExactSum.from_array(np.zeros(50))
        for i in order:
            acc.add(_ExactSum.from_array(parts[i]))
        assert acc.to_array().tobytes() == expected.tobytes()
    # non-finite values: float semantics, order independent
    acc = _ExactSum.from_array(np.array([1.0, np.inf, np.inf, np.nan]))
    acc.add(_ExactSum.from_array(np.array([np.inf, 1.0, -np.inf, 2.0])))
    got = acc.to_array()
    assert got[0] == np.inf and got[1] == np.inf and np.isnan(got[2]) and np.isnan(got[3])


def test_plain_histogram_addition_is_not_associative_here():
    # shows that the chunking test below can fail: naive groupings of the same unit
    # histograms differ in the last bit
    outs = [o["x"] for o in _unit_outputs()]
    left = outs[0]
    for h in outs[1:]:
        left = left + h
    right = outs[-1]
    for h in reversed(outs[:-1]):
        right = h + right
    assert left.view(flow=True).tobytes() != right.view(flow=True).tobytes()


# ---------------------------------------------------------------- determinism


def test_merged_histograms_equal_independent_fsum(reference):
    outs = _unit_outputs()
    views = np.stack([o["x"].view(flow=True)["value"] for o in outs])
    variances = np.stack([o["x"].view(flow=True)["variance"] for o in outs])
    exp_value = np.array([math.fsum(col) for col in views.T])
    exp_var = np.array([math.fsum(col) for col in variances.T])
    got = reference.histograms["x"].view(flow=True)
    assert got["value"].tobytes() == exp_value.tobytes()
    assert got["variance"].tobytes() == exp_var.tobytes()
    assert reference.scalars["sumw"] == math.fsum(o["sumw"] for o in outs)
    # Int64 histogram: exact integer counts = number of events
    assert reference.histograms["count"].sum(flow=True) == sum(SAMPLES.values())
    assert reference.scalars["n"] == sum(SAMPLES.values())
    assert isinstance(reference.histograms["x"], hist.Hist)
    assert reference.totals["sig"]["n_chunks"] == 6


@pytest.mark.parametrize("units_per_chunk", [1, 2, 3])
def test_bit_identical_for_any_chunk_size(reference, units_per_chunk):
    plan = plan_chunks(SAMPLES, units_per_chunk * UNIT, unit_size=UNIT)
    assert sum(t.n_events for t in plan.tasks) == sum(SAMPLES.values())
    assert _bytes(run(toy_chunk, plan, seed=SEED)) == _bytes(reference)


def test_per_sample_results_and_seed_dependence(reference):
    sig = run(toy_chunk, plan_chunks({"sig": 2350}, 2 * UNIT, unit_size=UNIT), seed=SEED)
    assert sig.histograms["x"].view().tobytes() == reference.by_sample["sig"]["x"].view().tobytes()
    other = run(toy_chunk, plan_chunks(SAMPLES, UNIT, unit_size=UNIT), seed=SEED + 1)
    assert _bytes(other) != _bytes(reference)


def test_inprocess_ignores_n_workers(reference):
    # a search passes its configured worker count with every executor (darkscan run)
    res = run(toy_chunk, plan_chunks(SAMPLES, UNIT, unit_size=UNIT), seed=SEED, n_workers=4)
    assert res.executor == "inprocess" and res.n_workers == 1
    assert _bytes(res) == _bytes(reference)


def test_process_pool_bit_identical(reference):
    plan = plan_chunks(SAMPLES, 2 * UNIT, unit_size=UNIT)
    res = run(toy_chunk, plan, seed=SEED, executor="processes", n_workers=2)
    assert _bytes(res) == _bytes(reference)
    assert res.n_workers == 2


@pytest.mark.slow
def test_dask_local_cluster_bit_identical(reference):
    plan = plan_chunks(SAMPLES, 3 * UNIT, unit_size=UNIT)
    res = run(toy_chunk, plan, seed=SEED, cluster="local", n_workers=2)
    assert res.executor == "dask" and res.n_workers == 2
    assert _bytes(res) == _bytes(reference)


@pytest.mark.slow
def test_external_dask_scheduler_bit_identical(reference, tmp_path):
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])
    )
    sched_file = tmp_path / "scheduler.json"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    procs = [
        subprocess.Popen(
            [*dask, "--port", "0", "--no-dashboard", "--scheduler-file", str(sched_file)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        for _ in range(300):
            if sched_file.exists() and sched_file.stat().st_size:
                break
            time.sleep(0.1)
        import json

        address = json.loads(sched_file.read_text())["address"]
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_worker",
                    address,
                    "--nworkers",
                    "2",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        res = run(
            toy_chunk, plan_chunks(SAMPLES, 2 * UNIT, unit_size=UNIT), seed=SEED, scheduler=address
        )
        assert res.n_workers == 2
        assert _bytes(res) == _bytes(reference)
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


# ---------------------------------------------------------------- checkpoints and resume


def test_checkpoint_then_resume_equals_uninterrupted(reference, tmp_path):
    plan = plan_chunks(SAMPLES, UNIT, unit_size=UNIT)
    _FAIL_UNITS.update({3, 4, 5})  # half of the 10 chunks fail
    try:
        with pytest.raises(RunError) as err:
            run(toy_chunk, plan, seed=SEED, run_dir=tmp_path, n_retries=0)
    finally:
        _FAIL_UNITS.clear()
    assert set(err.value.failed) == {("sig", 3), ("sig", 4), ("sig", 5), ("bkg", 3)}
    assert len(list((tmp_path / "chunks").rglob("*.pkl"))) == 6
    res = run(toy_chunk, plan, seed=SEED, run_dir=tmp_path, resume=True)
    assert _bytes(res) == _bytes(reference)
    assert sum(t["chunks_resumed"] for t in res.totals.values()) == 6
    assert sum(t["chunks_run"] for t in res.totals.values()) == 4
    assert res.manifest["finished"] and res.manifest["run_seed"] == SEED
    assert res.manifest["chunks_done"] == {"bkg": [0, 1, 2, 3], "sig": [0, 1, 2, 3, 4, 5]}
    assert load_plan(tmp_path).digest == plan.digest
    # resuming a finished run recomputes nothing
    again = run(toy_chunk, load_plan(tmp_path), seed=SEED, run_dir=tmp_path, resume=True)
    assert again.n_events_run == 0 and _bytes(again) == _bytes(reference)


def test_resume_with_other_chunking_is_config_error(tmp_path):
    run(toy_chunk, plan_chunks(SAMPLES, UNIT, unit_size=UNIT), seed=SEED, run_dir=tmp_path)
    with pytest.raises(ConfigError, match="chunk_size"):
        run(
            toy_chunk,
            plan_chunks(SAMPLES, 2 * UNIT, unit_size=UNIT),
            seed=SEED,
            run_dir=tmp_path,
            resume=True,
        )
    with pytest.raises(ConfigError, match="run_seed"):
        run(
            toy_chunk,
            plan_chunks(SAMPLES, UNIT, unit_size=UNIT),
            seed=SEED + 1,
            run_dir=tmp_path,
            resume=True,
        )
    with pytest.raises(ConfigError, match="samples"):
        run(
            toy_chunk,
            plan_chunks({"sig": 2350}, UNIT, unit_size=UNIT),
            seed=SEED,
            run_dir=tmp_path,
            resume=True,
        )
    with pytest.raises(ConfigError, match="already holds a run"):
        run(toy_chunk, plan_chunks(SAMPLES, UNIT, unit_size=UNIT), seed=SEED, run_dir=tmp_path)


def test_corrupt_and_temporary_chunk_files_are_not_read(reference, tmp_path):
    plan = plan_chunks(SAMPLES, UNIT, unit_size=UNIT)
    run(toy_chunk, plan, seed=SEED, run_dir=tmp_path)
    chunk = tmp_path / "chunks" / "sig" / "2.pkl"
    data = bytearray(chunk.read_bytes())
    data[-20] ^= 0xFF  # flip bits in the payload: checksum mismatch
    chunk.write_bytes(bytes(data))
    (tmp_path / "chunks" / "bkg" / "1.pkl").write_bytes(b"truncated")
    tmp = tmp_path / "chunks" / "sig" / ".4.pkl.abc123.tmp"
    tmp.write_bytes(b"\x80\x04garbage that must never be unpickled")
    res = run(toy_chunk, plan, seed=SEED, run_dir=tmp_path, resume=True)
    assert not tmp.exists()
    assert res.totals["sig"]["chunks_run"] == 1 and res.totals["bkg"]["chunks_run"] == 1
    assert _bytes(res) == _bytes(reference)


_KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    import test_runner as t
    from darkscan.runner import plan_chunks, run
    run(t.toy_chunk, plan_chunks(t.SAMPLES, t.UNIT, unit_size=t.UNIT), seed=t.SEED,
        run_dir={run_dir!r})
    """
)


def test_kill_minus_9_then_resume_is_bit_identical(reference, tmp_path):
    run_dir = tmp_path / "run"
    env = dict(os.environ, DARKSCAN_TEST_UNIT_DELAY="0.15")
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILL_SCRIPT.format(tests=str(TESTS), run_dir=str(run_dir))],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if len(list((run_dir / "chunks").rglob("*.pkl"))) >= 3 or proc.poll() is not None:
                break
            time.sleep(0.01)
        assert proc.poll() is None, proc.stderr.read().decode()
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        proc.stderr.close()
    n_done = len(list((run_dir / "chunks").rglob("*.pkl")))
    assert 3 <= n_done < 10
    res = run(
        toy_chunk,
        plan_chunks(SAMPLES, UNIT, unit_size=UNIT),
        seed=SEED,
        run_dir=run_dir,
        resume=True,
    )
    assert sum(t["chunks_resumed"] for t in res.totals.values()) == n_done
    assert _bytes(res) == _bytes(reference)
    assert not [p for p in run_dir.rglob("*.tmp")]


# ---------------------------------------------------------------- failures


def test_transient_failure_is_retried(reference):
    _FAIL_ONCE.update({("sig", 1), ("bkg", 2)})
    res = run(toy_chunk, plan_chunks(SAMPLES, UNIT, unit_size=UNIT), seed=SEED, n_retries=1)
    assert not _FAIL_ONCE
    assert _bytes(res) == _bytes(reference)


def test_persistent_failure_raises_run_error_naming_chunk():
    _FAIL_UNITS.add(5)
    try:
        with pytest.raises(RunError, match=r"1 of 5 tasks failed after retries: \(sig, 2\)") as err:
            run(toy_chunk, plan_chunks(SAMPLES, 2 * UNIT, unit_size=UNIT), seed=SEED, n_retries=2)
    finally:
        _FAIL_UNITS.clear()
    assert list(err.value.failed) == [("sig", 2)]
    assert "injected failure in unit 5" in err.value.failed[("sig", 2)]


def test_unsupported_output_is_reported():
    def mean_hist(task, rng):
        h = bh.Histogram(bh.axis.Regular(2, 0, 1), storage=bh.storage.Mean())
        h.fill(rng.random(task.n_events), sample=rng.random(task.n_events))
        return {"m": h}

    with pytest.raises(RunError, match="storage Mean"):
        run(mean_hist, plan_chunks({"a": 10}, 10, unit_size=10), seed=1, n_retries=0)


# ---------------------------------------------------------------- planning and options


def test_plan_chunks_sizes_and_determinism():
    p = plan_chunks({"a": 10**7}, unit_size=2**16, events_per_second=1e5)
    # 2 s * 1e5 ev/s = 3.05 units -> nearest power of two 4 units
    assert p.chunk_size == 4 * 2**16
    assert plan_chunks({"a": 10**7}, unit_size=2**16, events_per_second=1e5).digest == p.digest
    assert (
        plan_chunks({"a": 10}, unit_size=2**16, events_per_second=1e12).chunk_size == 1024 * 2**16
    )
    assert plan_chunks({"a": 10}, unit_size=2**16, events_per_second=1.0).chunk_size == 2**16
    assert plan_chunks({"a": 10}, unit_size=2**16).chunk_size == 16 * 2**16
    calibrated = plan_chunks({"a": 10**6}, unit_size=1000, calibrate=toy_chunk)
    assert calibrated.chunk_size % 1000 == 0 and 1000 <= calibrated.chunk_size <= 1024 * 1000
    assert sum(t.n_events for t in calibrated.tasks) == 10**6


PER_SAMPLE_UNITS = {"bkg": 150}  # the "slow" sample cut into small units


def _fsum_reference(unit_sizes):
    outs = _unit_outputs(unit_sizes=unit_sizes)
    return np.array(
        [math.fsum(o["x"].view()["value"][i] for o in outs) for i in range(12)], dtype=float
    )


@pytest.mark.parametrize("units_per_chunk", [1, 3])
def test_per_sample_unit_sizes_split_a_sample_and_stay_exact(units_per_chunk):
    plan = plan_chunks(SAMPLES, units_per_chunk * UNIT, unit_size=UNIT, unit_sizes=PER_SAMPLE_UNITS)
    bkg = [t for t in plan.tasks if t.sample == "bkg"]
    # 1600 events in units of 150: 11 units, grouped units_per_chunk at a time
    assert sum(t.n_units for t in bkg) == 11 and len(bkg) == -(-11 // units_per_chunk)
    assert [t.first_event for t in bkg] == [150 * t.unit_start for t in bkg]
    assert sum(t.n_events for t in plan.tasks) == sum(SAMPLES.values())
    res = run(toy_chunk, plan, seed=SEED)
    np.testing.assert_array_equal(
        res.histograms["x"].view()["value"], _fsum_reference(PER_SAMPLE_UNITS)
    )
    one = run(
        toy_chunk,
        plan_chunks(SAMPLES, UNIT, unit_size=UNIT, unit_sizes=PER_SAMPLE_UNITS),
        seed=SEED,
    )
    assert _bytes(res) == _bytes(one)


def test_per_sample_unit_sizes_are_recorded_and_checked_on_resume(tmp_path):
    plan = plan_chunks(SAMPLES, UNIT, unit_size=UNIT, unit_sizes=PER_SAMPLE_UNITS)
    assert plan.digest != plan_chunks(SAMPLES, UNIT, unit_size=UNIT).digest
    # an override equal to the default is no override: same plan, same digest
    same = plan_chunks(SAMPLES, UNIT, unit_size=UNIT, unit_sizes={"bkg": UNIT})
    assert same.digest == plan_chunks(SAMPLES, UNIT, unit_size=UNIT).digest
    res = run(toy_chunk, plan, seed=SEED, run_dir=tmp_path)
    loaded = load_plan(tmp_path)
    assert loaded.digest == plan.digest and loaded.tasks == plan.tasks
    again = run(toy_chunk, loaded, seed=SEED, run_dir=tmp_path, resume=True)
    assert again.n_events_run == 0 and _bytes(again) == _bytes(res)
    with pytest.raises(ConfigError, match="unit_sizes"):
        run(
            toy_chunk,
            plan_chunks(SAMPLES, UNIT, unit_size=UNIT, unit_sizes={"bkg": 200}),
            seed=SEED,
            run_dir=tmp_path,
            resume=True,
        )
    with pytest.raises(ConfigError, match="unknown sample"):
        plan_chunks(SAMPLES, UNIT, unit_size=UNIT, unit_sizes={"nope": 10})
    with pytest.raises(ConfigError, match="unit_sizes"):
        plan_chunks(SAMPLES, UNIT, unit_size=UNIT, unit_sizes={"bkg": 0})


def test_unit_rng_follows_seedsequence_rule():
    a = unit_rng(5, "mumu", 3).random(4)
    b = np.random.default_rng(
        np.random.SeedSequence(entropy=5, spawn_key=(zlib.crc32(b"mumu"), 3))
    ).random(4)
    assert a.tobytes() == b.tobytes()
    assert stable_hash("mumu") == zlib.crc32(b"mumu")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"executor": "threads"}, "executor must be one of"),
        ({"cluster": "local", "executor": "processes"}, "need executor='dask'"),
        ({"cluster": "somewhere"}, "cluster must be 'local'"),
        ({"scheduler": "localhost"}, "tcp://HOST:PORT"),
        ({"resume": True}, "resume=True needs run_dir"),
        ({"n_workers": 0, "executor": "processes"}, "n_workers must be an integer >= 1"),
        ({"seed": -1}, "seed must be an integer >= 0"),
    ],
)
def test_bad_options_raise_config_error(kwargs, match):
    kwargs = {"seed": 1, **kwargs}
    with pytest.raises(ConfigError, match=match):
        run(toy_chunk, plan_chunks({"a": 10}, 10, unit_size=10), **kwargs)


def test_bad_plans_raise_config_error():
    with pytest.raises(ConfigError, match="not a multiple of unit_size"):
        plan_chunks({"a": 10}, 15, unit_size=10)
    with pytest.raises(ConfigError, match="sample name"):
        plan_chunks({"a/b": 10})
    with pytest.raises(ConfigError, match="events of sample 'a'"):
        plan_chunks({"a": 0})
    with pytest.raises(ConfigError, match="unknown sample"):
        plan_chunks({"a": 1}, params={"b": {}})
    with pytest.raises(ConfigError, match="plan must be"):
        run(toy_chunk, [], seed=1)


def test_params_reach_process_and_progress_and_summary(capsys):
    plan = plan_chunks({"a": 800, "b": 800}, UNIT, unit_size=UNIT, params={"b": {"scale": 1.0}})
    res = run(toy_chunk, plan, seed=3, progress=True)
    # weights of b are scaled by 2 (exactly, a power of two): sum doubles vs an unscaled run
    plain = run(toy_chunk, plan_chunks({"b": 800}, UNIT, unit_size=UNIT), seed=3)
    assert res.scalars_by_sample["b"]["sumw"] == 2 * plain.scalars["sumw"]
    text = str(res)
    assert "total 1600 events" in text and "events/s" in text
    assert res.totals["a"]["n_chunks"] == 2


# ---------------------------------------------------------------- files


def _file_chunk(task: Task) -> dict:
    if task.path.endswith(".parquet"):
        import pyarrow.parquet as pq

        x = pq.read_table(task.path, columns=["x"]).column("x").to_numpy()
        x = x[task.entry_start : task.entry_stop]
    else:
        import uproot

        with uproot.open(task.path) as f:
            x = f[task.tree]["x"].array(
                library="np", entry_start=task.entry_start, entry_stop=task.entry_stop
            )
    h = hist.Hist.new.Reg(5, 0, 1).Double()
    h.fill(x)
    return {"x": h, "n": float(len(x))}


def test_plan_files_parquet_row_groups_and_root_entry_ranges(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    import uproot

    x = np.random.default_rng(4).random(1000)
    pq.write_table(pa.table({"x": x}), tmp_path / "s.parquet", row_group_size=150)
    with uproot.recreate(tmp_path / "r.root") as f:
        f["tree"] = {"x": x}
    pplan = plan_files([tmp_path / "s.parquet"], step_size=400)
    # row groups of 150: joined until >= 400 rows -> [0, 450), [450, 900), [900, 1000)
    assert [(t.entry_start, t.entry_stop) for t in pplan.tasks] == [
        (0, 450),
        (450, 900),
        (900, 1000),
    ]
    rplan = plan_files({"data": [tmp_path / "r.root"]}, tree="tree", step_size=300)
    assert [(t.entry_start, t.entry_stop) for t in rplan.tasks] == [
        (0, 300),
        (300, 600),
        (600, 900),
        (900, 1000),
    ]
    expected = np.histogram(x, bins=5, range=(0, 1))[0].astype(float)
    for plan, executor in ((pplan, "inprocess"), (rplan, "processes")):
        res = run(
            _file_chunk,
            plan,
            seed=0,
            executor=executor,
            n_workers=None if executor == "inprocess" else 2,
        )
        assert res.scalars["n"] == 1000.0
        np.testing.assert_array_equal(res.histograms["x"].view(), expected)
    assert isinstance(pplan, Plan) and pplan.kind == "files"


def test_resume_error_names_the_first_differing_parameter_in_one_short_line():
    from darkscan.runner import _check_manifest

    params = {f"sample{i}": {"card": "belle2", "cuts": list(range(50)), "mva": "a/b.pkl"}
              for i in range(20)}  # fmt: skip
    changed = {k: dict(v) for k, v in params.items()}
    changed["sample7"]["mva"] = "/abs/a/b.pkl"
    with pytest.raises(ConfigError) as info:
        _check_manifest({"params": params}, {"params": changed}, Path("run/manifest.json"))
    text = str(info.value)
    assert "\n" not in text and len(text) < 300
    assert "params.sample7.mva in the manifest is 'a/b.pkl'" in text
    assert "'/abs/a/b.pkl'" in text


def test_checkpoint_chunks_are_compressed_and_old_uncompressed_chunks_still_load(tmp_path):
    import hashlib
    import pickle

    from darkscan import runner as rn

    # a mostly empty histogram, as the searches' fine (M_rec^2, pT, cos) histograms are
    h = bh.Histogram(bh.axis.Regular(200_000, 0.0, 1.0), storage=bh.storage.Weight())
    h.fill([0.5, 0.25], weight=[2.0, 3.0])
    partial = rn._Partial.from_output({"h": h, "n": 2.0}, "test")
    outcome = rn._Outcome("s", 0, 10, 0.1, partial)
    data = rn._dump_chunk(outcome, 7, "digest")
    raw = pickle.dumps({"format": rn._FORMAT, "seed": 7, "plan": "digest", "outcome": outcome})
    assert len(data) < len(raw) / 50  # 3.2 MB of weight storage, almost all zero
    path = tmp_path / "0.pkl"
    path.write_bytes(data)
    back = rn._load_chunk(path, "s", 0, 7, "digest")
    assert pickle.dumps(back.partial) == pickle.dumps(partial)
    # a checkpoint of the previous, uncompressed format is read as before
    old = rn._MAGIC_V1 + hashlib.sha256(raw).hexdigest().encode() + b"\n" + raw
    path.write_bytes(old)
    assert pickle.dumps(rn._load_chunk(path, "s", 0, 7, "digest").partial) == pickle.dumps(partial)
    path.write_bytes(old[:-10])  # damaged: rejected, never unpickled
    assert rn._load_chunk(path, "s", 0, 7, "digest") is None
