"""Benchmark: ``darkscan run zprime-invisible`` end to end, per-stage rates, projections.

Measurements (written to ``benchmarks/results/bench_search_end_to_end.json``):

1. **End-to-end wall time** of ``python -m darkscan run zprime-invisible`` on the shipped
   default configuration, in-process and on a process pool of 2 workers (separate
   subprocesses, fresh output directories; the simulation and analysis times reported by
   the search in ``manifest.json`` and the CPU time of the child processes are recorded too).
2. **Per-stage rates on one core** for e+e- -> mu+mu-(gamma) (the in-house
   ``mumu_gamma`` generator) and e+e- -> tau+tau-(gamma) (in-house ``tautau``) events, with
   the default configuration's generator filters: generation, detector simulation
   (``darkscan.detector.simulate.simulate``, Belle II card) and selection + histogramming
   (:func:`darkscan.searches.zprime_invisible.select_and_fill`), each the best of
   ``--repeat`` runs on one unit of ``--n-events`` events after a warm-up, in CPU time of
   this process (the machine is shared; CPU time is the number to compare) and wall time.
   The whole chunk function (``process_chunk``, all stages in one call) is timed as well;
   it must agree with the harmonic sum of the stage rates.
3. **Memory-bandwidth floor** in the same process: stream-copying (``np.copyto`` into
   preallocated arrays) every numeric buffer of the truth events and of the reconstructed
   events of the mu mu(gamma) unit; events/s at that floor.
4. **Projections**: the wall time to simulate the full 79.7 fb^-1 (arXiv:2212.03066) of
   mu mu(gamma) and tau tau(gamma) within the generator filters, N = L sigma_filter with
   sigma_filter the generator's cross section inside its filter, and 50 ab^-1 on C cores:

       wall(C) = N / (r C eps) + n_tasks t_task + t_start,

   r the measured per-core chain rate in CPU time (1/r = sum of 1/r_stage), eps = 1
   (independent compute-bound chunks; the variants ``*_measured_efficiency`` use the
   2-worker efficiency measured on this machine, step 5), t_task the Dask per-task
   overhead from ``bench_runner.json`` (added serially: conservative), n_tasks =
   N / unit_size and t_start the one-off start-up of a worker (imports, numba caches).
5. **Scaling** of the runner on mu mu(gamma) chunks only (16 x 65536 events): in-process
   against a 2-worker process pool (speedup, efficiency, worker utilisation, bit-identity of
   the merged histograms) and the worker start-up cost.

Usage::

    python benchmarks/bench_search_end_to_end.py [--n-events 262144] [--repeat 3]
        [--cores 1 2 64 1000] [--skip-end-to-end]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import awkward as ak
import numpy as np

from darkscan import runner
from darkscan.beams import belle2
from darkscan.detector.card import load_card
from darkscan.detector.simulate import simulate
from darkscan.io.atomic import write_text_atomic
from darkscan.searches import zprime_invisible as zp
from darkscan.searches.config import load_search_config

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "bench_search_end_to_end.json"
LUMI_ANALYSIS = 79.7  # fb^-1, Belle II Z' -> invisible update, arXiv:2212.03066
LUMI_FULL = 50e3  # fb^-1 (50 ab^-1, Belle II design goal, arXiv:1808.10567)


def _best(fn, repeat: int) -> tuple[dict, object]:
    """Best CPU (process) and wall time of ``repeat`` calls, and the last return value."""
    cpu, wall, value = [], [], None
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        value = fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return {"cpu": min(cpu), "wall": min(wall)}, value


def _buffers(array: ak.Array) -> list[np.ndarray]:
    _, _, container = ak.to_buffers(array)
    return [np.asarray(b) for b in container.values() if np.asarray(b).size]


def _copy_floor(arrays: list[np.ndarray], repeat: int) -> tuple[dict, int]:
    dest = [np.empty_like(a) for a in arrays]

    def copy():
        for d, a in zip(dest, arrays, strict=True):
            np.copyto(d, a)

    copy()
    t, _ = _best(copy, repeat)
    return t, sum(a.nbytes for a in arrays)


def stage_rates(name: str, p: dict, n: int, repeat: int) -> dict:
    """Per-core rates of generation, simulation, selection + histogramming for sample ``name``."""
    collider = belle2()
    card = load_card(p["card"])
    # warm-up: imports, numba compilation, caches
    warm, _ = zp._generate(p, 2000, np.random.default_rng(1), collider)
    zp.select_and_fill(simulate(warm, card, np.random.default_rng(2)).events, p, collider)

    t_gen, sample = _best(
        lambda: zp._generate(p, n, np.random.default_rng(10), collider)[0], repeat
    )
    t_sim, reco = _best(lambda: simulate(sample, card, np.random.default_rng(11)), repeat)
    scale = n / p["n_total"]
    t_sel, _ = _best(lambda: zp.select_and_fill(reco.events, p, collider, scale=scale), repeat)
    task = runner.Task(name, 0, n, p, 0, 1, 0, unit_size=n)
    t_chunk, out = _best(lambda: zp.process_chunk(task, runner.unit_rng(3, name, 0)), repeat)
    rate = {
        k: {c: n / t[c] for c in ("cpu", "wall")}
        for k, t in (
            ("generation", t_gen),
            ("simulation", t_sim),
            ("selection_histogramming", t_sel),
            ("process_chunk", t_chunk),
        )
    }
    chain = {
        c: 1.0
        / sum(1.0 / rate[k][c] for k in ("generation", "simulation", "selection_histogramming"))
        for c in ("cpu", "wall")
    }
    result = {
        "n_events": n,
        "seconds": {
            "generation": t_gen,
            "simulation": t_sim,
            "selection_histogramming": t_sel,
            "process_chunk": t_chunk,
        },
        "events_per_second": rate,
        "chain_events_per_second_from_stages": chain,
        "cross_section_in_filter_fb": float(sample.cross_section_fb),
        "generator_filter": {"cos_theta_cms_range": p.get("cos_theta_cms_range")},
        "selected_weight_fb_per_unit": float(out.get("sum_w", np.nan)),
    }
    if name == "mumu":
        arrays_in = _buffers(sample.events)
        arrays_out = _buffers(reco.events)
        t_in, b_in = _copy_floor(arrays_in, repeat)
        t_out, b_out = _copy_floor(arrays_out, repeat)
        t_mem = {c: t_in[c] + t_out[c] for c in ("cpu", "wall")}
        result["memory_floor"] = {
            "truth_bytes": b_in,
            "reco_bytes": b_out,
            "bytes_per_event": (b_in + b_out) / n,
            "copy_seconds": t_mem,
            "bandwidth_GB_per_s": {c: 2 * (b_in + b_out) / t_mem[c] / 1e9 for c in t_mem},
            "events_per_second": {c: n / t_mem[c] for c in t_mem},
            "note": "np.copyto of every numeric buffer of the truth and reco events "
            "(read + write: bandwidth counts 2x the bytes)",
        }
    return result


def end_to_end(options: list[str], label: str) -> dict:
    """Wall time of ``python -m darkscan run zprime-invisible`` with ``options``."""
    with tempfile.TemporaryDirectory(prefix="darkscan-bench-") as tmp:
        out = Path(tmp) / "out"
        cmd = [sys.executable, "-m", "darkscan", "run", "zprime-invisible", "--out", str(out),
               "--no-progress", *options]  # fmt: skip
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        w0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - w0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise RuntimeError(f"{label} failed ({proc.returncode}): {proc.stderr[-2000:]}")
        manifest = json.loads((out / "manifest.json").read_text())
        limits = json.loads((out / "limits.json").read_text())
        extra = manifest["extra"]
        tasks = _task_seconds(out / "checkpoints", int(manifest["seeds"]["run_seed"]))
    return {
        "label": label,
        "command": "python -m darkscan run zprime-invisible --out OUT --no-progress "
        + " ".join(options),
        "wall_seconds": wall,
        "children_cpu_seconds": (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime),
        "simulation_seconds": extra["simulation_seconds"],
        "analysis_seconds": extra["analysis_seconds"],
        "executor": extra["executor"],
        "n_workers": extra["n_workers"],
        "n_masses": len(limits["mass"]),
        "expected_coupling_limits": limits["coupling"]["expected"],
        "task_seconds": tasks,
    }


def _task_seconds(checkpoints: Path, seed: int) -> dict:
    """Seconds spent inside tasks per sample group (read back from the checkpoints)."""
    res = runner.run(
        zp.process_chunk, runner.load_plan(checkpoints), seed=seed, run_dir=checkpoints,
        resume=True,
    )  # fmt: skip
    assert res.n_events_run == 0
    groups: dict[str, float] = {}
    for sample, t in res.totals.items():
        key = "signal" if sample.startswith("signal") else sample
        groups[key] = groups.get(key, 0.0) + t["task_seconds"]
    groups["total"] = sum(t["task_seconds"] for t in res.totals.values())
    groups["largest_single_task"] = max(
        t["task_seconds"] / t["n_chunks"] for t in res.totals.values()
    )  # per-sample mean chunk time (eemumu is one chunk)
    return groups


def scaling(n_units: int, unit_size: int, p: dict) -> dict:
    """Runner on mu mu(gamma) chunks only: in-process vs a 2-worker process pool.

    Also the one-off cost of a fresh worker (imports, numba cache loading): the mean seconds
    of the first chunk of each pool worker minus the median of the other chunks' seconds.
    """
    plan = runner.plan_chunks({"mumu": n_units * unit_size}, unit_size, unit_size=unit_size,
                              params={"mumu": p})  # fmt: skip
    out: dict = {"n_chunks": n_units, "unit_size": unit_size}
    hists = {}
    runs = (("inprocess", {}), ("processes-2", {"executor": "processes", "n_workers": 2}))
    for label, kw in runs:
        load = os.getloadavg()[0]
        with tempfile.TemporaryDirectory(prefix="darkscan-bench-") as tmp:
            res = runner.run(zp.process_chunk, plan, seed=5, run_dir=tmp, **kw)
            chunk_seconds = [
                runner._load_chunk(
                    runner._chunk_path(Path(tmp), t.sample, t.chunk), t.sample, t.chunk, 5,
                    plan.digest,
                ).seconds
                for t in plan.tasks
            ]  # fmt: skip
        out[label] = {
            "wall": res.wall_time,
            "task_seconds": sum(chunk_seconds),
            "chunk_seconds": chunk_seconds,
            "load_1min_before": load,
        }
        hists[label] = {k: h.view(flow=True).tobytes() for k, h in res.histograms.items()}
    w1, w2 = out["inprocess"]["wall"], out["processes-2"]["wall"]
    pool = out["processes-2"]["chunk_seconds"]  # chunks 0 and 1 start the two workers
    out["worker_startup_seconds"] = float(np.mean(pool[:2]) - np.median(pool[2:]))
    out["speedup"] = w1 / w2
    out["efficiency"] = w1 / (2.0 * w2)
    out["utilisation_2_workers"] = out["processes-2"]["task_seconds"] / (2.0 * w2)
    out["bit_identical"] = hists["inprocess"] == hists["processes-2"]
    return out


def _dask_task_overhead() -> tuple[float, str]:
    path = HERE / "results" / "bench_runner.json"
    try:
        data = json.loads(path.read_text())
        t = next(x for x in data["task_overhead"] if x["executor"] == "dask")
        return float(t["seconds_per_task"]), str(path.relative_to(HERE.parent))
    except (OSError, ValueError, KeyError, StopIteration):
        return 2e-3, "assumed 2 ms (bench_runner.json not found)"


def project(n_events, rate, eps, cores, unit_size, t_task, t_start) -> tuple[dict, int]:
    """wall(C) = N / (r C eps) + n_tasks t_task + t_start, seconds for each C in ``cores``."""
    n_tasks = int(np.ceil(n_events / unit_size))
    walls = {str(c): n_events / (rate * c * eps) + n_tasks * t_task + t_start for c in cores}
    return walls, n_tasks


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-events", type=int, default=2**18, help="events per stage timing")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cores", type=int, nargs="+", default=[1, 2, 64, 1000])
    parser.add_argument("--skip-end-to-end", action="store_true")
    args = parser.parse_args(argv)

    cfg = load_search_config()
    sizes, params = zp.sample_params(cfg, zp.mass_grid(cfg))
    load_before = os.getloadavg()
    stages = {name: stage_rates(name, params[name], args.n_events, args.repeat)
              for name in ("mumu", "tautau")}  # fmt: skip

    runs = []
    if not args.skip_end_to_end:
        runs.append(end_to_end(["--executor", "inprocess"], "inprocess"))
        runs.append(end_to_end(["--executor", "processes", "--workers", "2"], "processes-2"))
    scale = scaling(16, 2**16, params["mumu"])
    t_start = max(0.0, scale["worker_startup_seconds"])
    eps_here = min(1.0, scale["efficiency"])
    default_ratio = None
    if len(runs) == 2:
        default_ratio = runs[0]["simulation_seconds"] / (2.0 * runs[1]["simulation_seconds"])
    t_task, t_task_source = _dask_task_overhead()

    projections = {}
    for name in ("mumu", "tautau"):
        s = stages[name]
        sigma = s["cross_section_in_filter_fb"]
        for clock in ("cpu", "wall"):
            chain = s["chain_events_per_second_from_stages"][clock]
            for lumi_name, lumi in (("79.7_fb-1", LUMI_ANALYSIS), ("50_ab-1", LUMI_FULL)):
                n = lumi * sigma
                row = {"n_events": n, "rate_per_core": chain, "core_hours": n / chain / 3600.0}
                for tag, eps in (("", 1.0), ("_measured_efficiency", eps_here)):
                    walls, n_tasks = project(
                        n, chain, eps, args.cores, cfg.run.unit_size, t_task, t_start
                    )
                    row[f"wall_seconds_by_cores{tag}"] = walls
                row["n_tasks"] = n_tasks
                projections[f"{name}/{lumi_name}/{clock}"] = row
    # both samples at the mu mu(gamma) chain rate (the brief's per-stage rates)
    mumu_rate = stages["mumu"]["chain_events_per_second_from_stages"]["cpu"]
    for name in ("mumu", "tautau"):
        n = LUMI_FULL * stages[name]["cross_section_in_filter_fb"]
        walls, _ = project(n, mumu_rate, 1.0, args.cores, cfg.run.unit_size, t_task, t_start)
        projections[f"{name}/50_ab-1/cpu/mumu_rates"] = {
            "n_events": n,
            "wall_seconds_by_cores": walls,
        }

    result = {
        "benchmark": "search_end_to_end_zprime_invisible",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "default_config": {
            "samples": sizes,
            "n_events_total": sum(sizes.values()),
            "unit_size": cfg.run.unit_size,
        },
        "end_to_end": runs,
        "stages": stages,
        "scaling_mumu_chunks": scale,
        "default_config_2_worker_efficiency": default_ratio,
        "projection_efficiency": 1.0,
        "projection_efficiency_note": "independent compute-bound chunks at the per-core CPU-time "
        "rate; the '_measured_efficiency' variants use scaling_mumu_chunks.efficiency measured "
        "on this shared 2-core machine (other users' load: see load_1min_before)",
        "worker_startup_seconds": t_start,
        "dask_seconds_per_task": t_task,
        "dask_seconds_per_task_source": t_task_source,
        "projections": projections,
        "command": "python benchmarks/bench_search_end_to_end.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(RESULTS, json.dumps(result, indent=2) + "\n")
    _print(result, args.cores)
    return result


def _print(r: dict, cores) -> None:
    for name, s in r["stages"].items():
        e = s["events_per_second"]
        print(
            f"{name:7s} per core (CPU time): generation {e['generation']['cpu']:.3g}, "
            f"simulation {e['simulation']['cpu']:.3g}, selection+hist "
            f"{e['selection_histogramming']['cpu']:.3g}, chain "
            f"{s['chain_events_per_second_from_stages']['cpu']:.3g} "
            f"(process_chunk {e['process_chunk']['cpu']:.3g}) events/s; "
            f"sigma_filter {s['cross_section_in_filter_fb']:.4g} fb"
        )
        if "memory_floor" in s:
            m = s["memory_floor"]
            print(
                f"        memory floor {m['events_per_second']['cpu']:.3g} events/s "
                f"({m['bytes_per_event']:.0f} B/event, {m['bandwidth_GB_per_s']['cpu']:.1f} GB/s)"
            )
    for run in r["end_to_end"]:
        print(
            f"end-to-end {run['label']:12s} wall {run['wall_seconds']:.1f} s (simulation "
            f"{run['simulation_seconds']} s, analysis {run['analysis_seconds']} s, "
            f"CPU {run['children_cpu_seconds']:.1f} s)"
        )
        print(f"           task seconds {run['task_seconds']}")
    sc = r["scaling_mumu_chunks"]
    print(
        f"mumu chunks: in-process {sc['inprocess']['wall']:.1f} s, 2 workers "
        f"{sc['processes-2']['wall']:.1f} s, speedup {sc['speedup']:.2f}, utilisation "
        f"{sc['utilisation_2_workers']:.2f}, bit-identical {sc['bit_identical']}"
    )
    print(
        f"worker start-up {r['worker_startup_seconds']:.2f} s; default config 2-worker "
        f"efficiency {r['default_config_2_worker_efficiency']}"
    )
    for key, p in r["projections"].items():
        if "/cpu" not in key or "mumu_rates" in key:
            continue
        walls = ", ".join(
            f"{c} cores {p['wall_seconds_by_cores'][str(c)] / 3600:.3g} h" for c in cores
        )
        print(f"{key:24s} N = {p['n_events']:.3g}: {walls}")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
