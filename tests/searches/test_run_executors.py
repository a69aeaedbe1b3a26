"""``darkscan run zprime-invisible`` on every executor: bit-identical results, kill -9 and resume.

The reference is the in-process run of a tiny configuration (the shipped YAML with a few
thousand events per sample, two masses, 500-event units). Runs on a process pool, on a Dask
``LocalCluster`` (``--cluster local``), on a Dask scheduler with workers started here
(``--scheduler tcp://127.0.0.1:PORT``) and a run killed with SIGKILL then resumed must give
the same bytes: limits.json, analysis.json and the cut flow identical, and the merged
histograms and scalars (rebuilt from the checkpoints) equal bit for bit. The runner promises
this because every unit has its own SeedSequence child and histograms are summed exactly
(see :mod:`darkscan.runner`); the reference is therefore an independent execution of the
same units in another order, on other processes.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from darkscan import runner
from darkscan.cli import main
from darkscan.searches import zprime_invisible
from darkscan.searches.config import default_config_path, load_search_config, merge_config

SEED = 7
UNIT = 500
MASSES = "3.0,6.0"
#: tiny samples: every sample cut into a few 500-event units (one unit per chunk)
TINY_EVENTS = {"mumu": 4000, "tautau": 4000}  # other backgrounds of the shipped file: 500
SIGNAL_EVENTS = 1500


@pytest.fixture(scope="module")
def tiny_config(tmp_path_factory) -> Path:
    """The shipped configuration with tiny sample sizes, written to a YAML file."""
    base = yaml.safe_load(default_config_path().read_text())
    tiny = {
        "signal": {"n_events": SIGNAL_EVENTS},
        "backgrounds": {
            name: {"n_events": TINY_EVENTS.get(name, 500) if b["n_events"] else 0}
            for name, b in base["backgrounds"].items()
        },
        "run": {"unit_size": UNIT, "seed": SEED},
        # the executors are compared on the histogram-filling path; the (default) MVA adds a
        # training step per run that test_zprime_invisible tests on its own
        "tau_suppression": {"method": "punzi"},
    }
    path = tmp_path_factory.mktemp("config") / "tiny.yaml"
    path.write_text(yaml.safe_dump(merge_config(base, tiny)))
    return path


@pytest.fixture(scope="module")
def tiny_plan(tiny_config) -> runner.Plan:
    cfg = load_search_config(tiny_config, {"signal": {"masses": [3.0, 6.0]}})
    return zprime_invisible.plan(cfg, zprime_invisible.mass_grid(cfg))


def _cli(config: Path, out: Path, *options: str) -> None:
    argv = ["run", "zprime-invisible", "--config", str(config), "--masses", MASSES]
    rc = main([*argv, "--out", str(out), "--no-progress", *options])
    assert rc == 0, f"darkscan {' '.join(argv)} {' '.join(options)} exited with {rc}"


def _outputs(out: Path) -> dict:
    """What must be identical across executors: result files and merged histogram bytes."""
    checkpoints = out / "checkpoints"
    # resuming a finished run reads every chunk from its checkpoint and simulates nothing
    merged = runner.run(
        zprime_invisible.process_chunk,
        runner.load_plan(checkpoints),
        seed=SEED,
        run_dir=checkpoints,
        resume=True,
    )
    assert merged.n_events_run == 0
    hists = {k: h.view(flow=True).tobytes() for k, h in merged.histograms.items()}
    for sample, hs in merged.by_sample.items():
        hists.update({f"{sample}::{k}": h.view(flow=True).tobytes() for k, h in hs.items()})
    scalars = {k: np.float64(v).tobytes() for k, v in merged.scalars.items()}
    manifest = json.loads((out / "manifest.json").read_text())
    return {
        "limits": json.loads((out / "limits.json").read_text()),
        "analysis": json.loads((out / "analysis.json").read_text()),
        "cutflow": (out / "cutflow.md").read_text(),
        "histograms": hists,
        "scalars": scalars,
        "run": manifest["extra"],
    }


def _assert_identical(got: dict, ref: dict) -> None:
    assert got["limits"] == ref["limits"]  # JSON floats round-trip exactly (repr)
    assert got["analysis"] == ref["analysis"]
    assert got["cutflow"] == ref["cutflow"]
    assert got["histograms"].keys() == ref["histograms"].keys()
    different = [k for k in ref["histograms"] if got["histograms"][k] != ref["histograms"][k]]
    assert not different, f"histograms differ: {different}"
    assert got["scalars"] == ref["scalars"]


@pytest.fixture(scope="module")
def reference(tiny_config, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("inprocess")
    _cli(tiny_config, out, "--executor", "inprocess")
    return _outputs(out)


def test_tiny_plan_has_the_expected_chunks(tiny_plan):
    n_background = sum(n for s, n in tiny_plan.samples.items() if not s.startswith("signal"))
    assert tiny_plan.n_events == n_background + 2 * SIGNAL_EVENTS
    assert {t.n_units for t in tiny_plan.tasks} == {1}
    # ceil(n / 500) one-unit chunks per sample, at least 3 chunks in mumu and in tautau
    assert len(tiny_plan.tasks) == sum(-(-n // UNIT) for n in tiny_plan.samples.values())
    assert len(tiny_plan.tasks) >= 8 + 8 + 2 * 3


@pytest.mark.slow
def test_inprocess_reference_is_complete(reference, tiny_plan):
    # the reference has the two masses, a finite expected limit and histograms per signal
    assert reference["limits"]["mass"] == [3.0, 6.0]
    assert all(np.isfinite(reference["limits"]["coupling"]["expected"]))
    assert reference["run"]["executor"] == "inprocess" and reference["run"]["n_workers"] == 1
    assert {"m2_pt_cos:signal_m3.0000", "m2_pt_cos:signal_m6.0000"} <= {
        k.split("::")[-1] for k in reference["histograms"]
    }
    # every planned event was generated exactly once (merged scalar, exact integer sum)
    n_generated = np.frombuffer(reference["scalars"]["n_generated"])[0]
    assert n_generated == tiny_plan.n_events


@pytest.mark.slow
def test_process_pool_two_workers_bit_identical(tiny_config, reference, tmp_path):
    _cli(tiny_config, tmp_path, "--executor", "processes", "--workers", "2")
    got = _outputs(tmp_path)
    assert got["run"]["executor"] == "processes" and got["run"]["n_workers"] == 2
    _assert_identical(got, reference)


@pytest.mark.slow
def test_dask_local_cluster_bit_identical(tiny_config, reference, tmp_path):
    _cli(tiny_config, tmp_path, "--cluster", "local", "--workers", "2")
    got = _outputs(tmp_path)
    assert got["run"]["executor"] == "dask" and got["run"]["n_workers"] == 2
    _assert_identical(got, reference)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(procs: list[subprocess.Popen]) -> None:
    """Terminate the process groups we started (nanny and its worker children), then kill."""
    for p in reversed(procs):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
    for p in reversed(procs):
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


@pytest.fixture
def dask_scheduler(tmp_path):
    """``dask scheduler`` and ``dask worker --nworkers 2 --nthreads 1`` on 127.0.0.1."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{_free_port()}"
    log = tmp_path / "dask.log"
    procs: list[subprocess.Popen] = []
    with open(log, "wb") as sink:
        try:
            common = dict(stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
            scheduler = [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                         "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard"]  # fmt: skip
            workers = [sys.executable, "-m", "distributed.cli.dask_worker", address,
                       "--nworkers", "2", "--nthreads", "1", "--no-dashboard",
                       "--local-directory", str(tmp_path / "dask-worker-space")]  # fmt: skip
            procs.append(subprocess.Popen(scheduler, **common))
            procs.append(subprocess.Popen(workers, **common))
            with Client(address, timeout="60s") as client:
                client.wait_for_workers(2, timeout=90)
                # the workers import the search (same environment as the test)
                where = client.run(lambda: __import__("darkscan").__file__)
                assert len(where) == 2
            yield address
        finally:
            _stop(procs)


@pytest.mark.slow
def test_external_dask_scheduler_bit_identical(tiny_config, reference, tmp_path, dask_scheduler):
    _cli(tiny_config, tmp_path / "out", "--scheduler", dask_scheduler)
    got = _outputs(tmp_path / "out")
    assert got["run"]["executor"] == "dask" and got["run"]["n_workers"] == 2
    _assert_identical(got, reference)


def _live_members(pgid: int) -> list[int]:
    """Processes of group ``pgid`` that are not zombies (Linux /proc; [] elsewhere)."""
    live = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":  # state, ppid, pgrp
                live.append(int(stat.parent.name))
    return live


@pytest.mark.slow
def test_kill_minus_9_then_resume_is_bit_identical(tiny_config, tiny_plan, reference, tmp_path):
    out = tmp_path / "out"
    chunks = out / "checkpoints" / "chunks"
    argv = [sys.executable, "-m", "darkscan", "run", "zprime-invisible", "--config",
            str(tiny_config), "--masses", MASSES, "--out", str(out), "--no-progress",
            "--executor", "processes", "--workers", "2"]  # fmt: skip
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list(chunks.rglob("*.pkl"))) >= 3:
                break
            time.sleep(0.01)
        assert proc.poll() is None, f"run ended before it was killed: {proc.stderr.read()!r}"
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI, the forkserver and the pool workers
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stderr.close()
    time.sleep(0.2)
    assert _live_members(proc.pid) == []  # nothing of the killed run is left running
    done = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in chunks.rglob("*.pkl")}
    n_chunks = len(tiny_plan.tasks)
    assert 3 <= len(done) < n_chunks
    assert not (out / "limits.json").exists()
    # a temporary file as a killed write leaves it: must be removed, never read
    stale = chunks / "mumu" / ".5.pkl.k9x1y2z3.tmp"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"\x80\x05garbage of an interrupted write, never unpickled")

    _cli(tiny_config, out, "--executor", "processes", "--workers", "2", "--resume")

    assert not list(out.rglob("*.tmp"))
    # the chunks finished before the kill were reused, not simulated again
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in done} == done
    assert len(list(chunks.rglob("*.pkl"))) == n_chunks
    _assert_identical(_outputs(out), reference)


def test_unknown_cluster_is_one_line_error(tiny_config, tmp_path, capsys):
    rc = main(["run", "zprime-invisible", "--config", str(tiny_config), "--out",
               str(tmp_path), "--cluster", "somewhere", "--no-progress"])  # fmt: skip
    assert rc == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("darkscan: error: --cluster 'somewhere'") and "\n" not in err
