"""Throughput of the fast detector simulation on dimuon events, against memory and RNG floors.

Builds ``n`` e+e- -> mu+ mu- events (isotropic in the CM frame, boosted to the Belle II lab
frame), then measures on one core, each as the best of ``--repeat`` runs after a warm-up
(numba compilation), both in CPU time of this process (``time.process_time``; the machine
is shared, so this is the number to compare) and in wall time (``time.perf_counter``):

* ``simulate_events`` with the shipped Belle II card: the fused numba kernel
  (:mod:`darkscan.detector._kernels`), all stages (tracking, ECL, PID, KLM, beam
  background, vertexing, trigger) and the assembly of the awkward output record; and its
  parts (flattening + kernel, awkward assembly);
* ``simulate_events_reference`` (the numpy stage functions: the implementation before the
  kernel) on the same events, and its stages;
* the memory-bandwidth floor: stream-copying the same flat input columns and the output
  buffers with numpy (``np.copyto`` into preallocated arrays);
* the random-number floor: the time to draw exactly as many uniforms, normals and
  exponentials as the kernel drew (its draw counters), (a) with numpy's vectorised
  Generator methods and (b) one at a time in a numba loop from the same kind of Generator
  (the way the kernel draws).

Prints events/s for each and the ratios simulation / floor. Writes
``benchmarks/results/bench_detector.json``.

Usage::

    python benchmarks/bench_detector.py [--n-events 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import time
from pathlib import Path

import awkward as ak
import numba
import numpy as np

from darkscan.beams import belle2
from darkscan.detector._kernels import COUNTER_STAGES, simulate_flat
from darkscan.detector.beam_background import beam_background_clusters, beam_background_tracks
from darkscan.detector.calorimeter import reconstruct_clusters
from darkscan.detector.card import load_card
from darkscan.detector.pid import track_pid
from darkscan.detector.tracking import reconstruct_tracks
from darkscan.generate.event_record import events_from_arrays
from darkscan.io.atomic import write_text_atomic

sim = importlib.import_module("darkscan.detector.simulate")
RESULTS = Path(__file__).resolve().parent / "results" / "bench_detector.json"
M_MU = 0.1056583755


def dimuon_events(n: int, seed: int = 0) -> ak.Array:
    """e+e- -> mu+ mu- at the Belle II sqrt(s): isotropic in the CM frame, boosted to the lab."""
    beams = belle2()
    rng = np.random.default_rng(seed)
    cos_t = rng.uniform(-0.95, 0.95, n)
    phi = rng.uniform(-np.pi, np.pi, n)
    e = beams.sqrt_s / 2
    p = np.sqrt(e * e - M_MU**2)
    sin_t = np.sqrt(1 - cos_t**2)
    mom = p * np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t], axis=-1)
    energy = np.full((n, 1), e)
    p4 = np.stack([np.concatenate([energy, mom], 1), np.concatenate([energy, -mom], 1)], axis=1)
    lab = beams.to_lab(p4)
    cols = {"pdg": np.tile([13, -13], (n, 1))}
    for k, name in enumerate(("E", "px", "py", "pz")):
        cols[name] = lab[..., k]
    return events_from_arrays(cols, weight=np.full(n, 1.0 / n))


def _best(fn, repeat: int) -> dict:
    """Best CPU (process) time and best wall time of ``repeat`` calls, in seconds."""
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return {"cpu": min(cpu), "wall": min(wall)}


def _copy_time(arrays, repeat: int = 5) -> tuple[dict, int]:
    dest = [np.empty_like(a) for a in arrays]

    def copy():
        for d, a in zip(dest, arrays, strict=True):
            np.copyto(d, a)

    copy()
    return _best(copy, repeat), sum(a.nbytes for a in arrays)


def _buffers(array: ak.Array) -> list[np.ndarray]:
    """All numeric leaf buffers of an awkward array (flattened)."""
    _, _, container = ak.to_buffers(array)
    return [np.asarray(b) for b in container.values() if np.asarray(b).size]


@numba.njit(cache=True)
def _scalar_draws(rng, n_uniform, n_normal, n_exponential):  # pragma: no cover - numba
    s = 0.0
    for _ in range(n_uniform):
        s += rng.random()
    for _ in range(n_normal):
        s += rng.standard_normal()
    for _ in range(n_exponential):
        s += rng.standard_exponential()
    return s


def _kernel_only(events, card):
    part, p_off = sim._flat_columns(events.particles)
    par = sim._kernel_parameters(card)
    sub = sim._stage_generators(np.random.default_rng(1))
    return simulate_flat(
        p_off,
        *(part[k] for k in sim._KERNEL_COLUMNS),
        *(par[k] for k in ("trk", "cal", "pid", "klm", "bkg", "cdf_photons", "cdf_tracks")),
        par["vtx"],
        par["trg"],
        *(sub[s] for s in COUNTER_STAGES),
    )


def _rate(n, t):
    return {"cpu": n / t["cpu"], "wall": n / t["wall"]}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-reference", action="store_true", help="skip the numpy reference")
    args = parser.parse_args(argv)
    n = args.n_events
    card = load_card("belle2")
    events = dimuon_events(n)
    # warm-up: numba compilation (or cache load) of the kernel and the reference's kernels
    sim.simulate_events(events[:2000], card, np.random.default_rng(0))
    sim.simulate_events_reference(events[:2000], card, np.random.default_rng(0))

    t_sim = _best(lambda: sim.simulate_events(events, card, np.random.default_rng(1)), args.repeat)
    t_kernel = _best(lambda: _kernel_only(events, card), args.repeat)
    counters: dict = {}
    out = sim.simulate_events(events, card, np.random.default_rng(1), counters=counters)

    result: dict = {"n_events": n, "card": card.name}
    ref = {}
    if not args.no_reference:
        ref["simulate"] = _best(
            lambda: sim.simulate_events_reference(events, card, np.random.default_rng(1)),
            args.repeat,
        )
        part, counts = sim._flatten_particles(events.particles)
        p_event = np.repeat(np.arange(n), counts)
        rng = np.random.default_rng(2)
        trk = reconstruct_tracks(part, card.tracking, rng)
        has_track = np.zeros(part["pdg"].size, bool)
        has_track[trk["index"]] = True
        stages = {
            "tracking": lambda: reconstruct_tracks(part, card.tracking, rng),
            "calorimeter": lambda: reconstruct_clusters(
                part, p_event, has_track, card.calorimeter, rng
            ),
            "pid": lambda: track_pid(
                part["pdg"][trk["index"]], trk["p"], np.degrees(trk["theta"]), card.pid, rng
            ),
            "beam_background": lambda: (
                beam_background_clusters(n, card.beam_background, card.calorimeter, rng),
                beam_background_tracks(n, card.beam_background, card.tracking, rng),
            ),
        }
        ref["stages"] = {k: _best(f, args.repeat) for k, f in stages.items()}

    # ---- floors
    part, p_off = sim._flat_columns(events.particles)
    inputs = [part[k] for k in sim._KERNEL_COLUMNS] + [p_off, np.asarray(events.weight)]
    t_in, bytes_in = _copy_time(inputs)
    outputs = _buffers(out[["tracks", "clusters", "klm_clusters", "vertices", "trigger"]])
    t_out, bytes_out = _copy_time(outputs)
    t_mem = {k: t_in[k] + t_out[k] for k in ("cpu", "wall")}
    n_uni = sum(c[0] for c in counters.values())
    n_nor = sum(c[1] for c in counters.values())
    n_exp = sum(c[2] for c in counters.values())
    rng_floor = np.random.default_rng(3)
    t_rng_numpy = _best(
        lambda: (
            rng_floor.random(n_uni),
            rng_floor.standard_normal(n_nor),
            rng_floor.standard_exponential(n_exp),
        ),
        args.repeat,
    )
    _scalar_draws(rng_floor, 10, 10, 10)
    t_rng_scalar = _best(lambda: _scalar_draws(rng_floor, n_uni, n_nor, n_exp), args.repeat)

    result.update(
        {
            "simulate_seconds": t_sim,
            "events_per_second": _rate(n, t_sim),
            "kernel_seconds (flatten + kernel, no awkward assembly)": t_kernel,
            "reference": ref,
            "reference_events_per_second": _rate(n, ref["simulate"]) if ref else None,
            "speedup_over_reference": (
                {k: ref["simulate"][k] / t_sim[k] for k in ("cpu", "wall")} if ref else None
            ),
            "input_bytes": bytes_in,
            "output_bytes": bytes_out,
            "copy_input_seconds": t_in,
            "copy_output_seconds": t_out,
            "bandwidth_GB_per_s": {k: (bytes_in + bytes_out) / t_mem[k] / 1e9 for k in t_mem},
            "memory_floor_events_per_second": _rate(n, t_mem),
            "ratio_simulation_over_memory_floor": {k: t_sim[k] / t_mem[k] for k in t_mem},
            "draws_per_stage (uniform, normal, exponential)": counters,
            "draws_per_event": {
                "uniform": n_uni / n,
                "normal": n_nor / n,
                "exponential": n_exp / n,
            },
            "rng_numpy_vectorised_seconds": t_rng_numpy,
            "rng_numba_scalar_seconds": t_rng_scalar,
            "rng_floor_events_per_second": _rate(n, t_rng_scalar),
            "ratio_simulation_over_rng_floor": {k: t_sim[k] / t_rng_scalar[k] for k in t_sim},
            "ratio_simulation_over_numpy_rng": {k: t_sim[k] / t_rng_numpy[k] for k in t_sim},
            "numba_threads": "kernels are serial (one core)",
            "load_average": os.getloadavg(),
            "cpu_count": os.cpu_count(),
            "target_events_per_second": 5.0e6,
        }
    )

    def line(label, t, extra=""):
        print(
            f"  {label:44s} cpu {t['cpu']:7.3f} s ({n / t['cpu'] / 1e6:6.2f} M ev/s)   "
            f"wall {t['wall']:7.3f} s ({n / t['wall'] / 1e6:6.2f} M ev/s){extra}"
        )

    print(f"dimuon events: {n}, best of {args.repeat} (target 5 M events/s per core)")
    line("simulate_events (fused kernel + awkward)", t_sim)
    line("  flatten + kernel only", t_kernel)
    if ref:
        line("simulate_events_reference (numpy, before)", ref["simulate"])
        for k, t in ref["stages"].items():
            line(f"  reference stage {k}", t)
        s = result["speedup_over_reference"]
        print(f"  speed-up over the reference: cpu x{s['cpu']:.1f}, wall x{s['wall']:.1f}")
    line(
        f"memory floor: copy {bytes_in / 1e6:.0f} MB in + {bytes_out / 1e6:.0f} MB out",
        t_mem,
        f"  ({result['bandwidth_GB_per_s']['cpu']:.1f} GB/s cpu)",
    )
    print(
        f"  draws per event: {n_uni / n:.2f} uniform + {n_nor / n:.2f} normal + "
        f"{n_exp / n:.2f} exponential"
    )
    line("RNG floor, numba scalar draws (as the kernel)", t_rng_scalar)
    line("RNG floor, numpy vectorised draws", t_rng_numpy)
    for name, key in (
        ("memory floor", "ratio_simulation_over_memory_floor"),
        ("RNG floor (numba scalar)", "ratio_simulation_over_rng_floor"),
        ("RNG floor (numpy vectorised)", "ratio_simulation_over_numpy_rng"),
    ):
        r = result[key]
        print(f"  ratio simulation / {name:30s} cpu {r['cpu']:6.1f}   wall {r['wall']:6.1f}")
    print(f"load average during the run: {os.getloadavg()} on {os.cpu_count()} cores")
    RESULTS.parent.mkdir(exist_ok=True)
    write_text_atomic(RESULTS, json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
