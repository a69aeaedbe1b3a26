"""Throughput of the fast detector simulation on dimuon events, against a memory-bandwidth floor.

Builds ``n`` e+e- -> mu+ mu- events (isotropic in the CM frame, boosted to the Belle II lab
frame), then measures on one core:

* ``simulate_events`` with the shipped Belle II card (all stages: tracking, ECL, PID, KLM,
  beam background, vertexing, trigger, regrouping into awkward records), best of
  ``--repeat`` runs after a warm-up (numba compilation);
* each stage alone on the same flat particles (where the time goes);
* the memory-bandwidth floor: the time to stream-copy the same flat input columns with
  numpy (``np.copyto`` into preallocated arrays, best of 5), and the output columns;
* the random-number floor: the time numpy's Generator takes to draw as many normals and
  uniforms as the simulation draws (counted from the output objects; approximate).

Prints events/s for each and the ratio simulation / floor. Writes
``benchmarks/results/bench_detector.json``.

Usage::

    python benchmarks/bench_detector.py [--n-events 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import awkward as ak
import numpy as np

from darkscan.beams import belle2
from darkscan.detector.beam_background import beam_background_clusters, beam_background_tracks
from darkscan.detector.calorimeter import reconstruct_clusters
from darkscan.detector.card import load_card
from darkscan.detector.pid import track_pid
from darkscan.detector.simulate import _flatten_particles, simulate_events
from darkscan.detector.tracking import reconstruct_tracks
from darkscan.generate.event_record import events_from_arrays
from darkscan.io.atomic import write_text_atomic

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


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _copy_time(arrays, repeat: int = 5) -> tuple[float, int]:
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


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    n = args.n_events
    card = load_card("belle2")
    events = dimuon_events(n)
    simulate_events(events[:2000], card, np.random.default_rng(0))  # warm-up / compile

    t_sim = _best(lambda: simulate_events(events, card, np.random.default_rng(1)), args.repeat)
    out = simulate_events(events, card, np.random.default_rng(1))

    part, counts = _flatten_particles(events.particles)
    p_event = np.repeat(np.arange(n), counts)
    rng = np.random.default_rng(2)
    stages = {
        "flatten": lambda: _flatten_particles(events.particles),
        "tracking": lambda: reconstruct_tracks(part, card.tracking, rng),
    }
    trk = reconstruct_tracks(part, card.tracking, rng)
    has_track = np.zeros(part["pdg"].size, bool)
    has_track[trk["index"]] = True
    stages["calorimeter"] = lambda: reconstruct_clusters(
        part, p_event, has_track, card.calorimeter, rng
    )
    stages["pid"] = lambda: track_pid(
        part["pdg"][trk["index"]], trk["p"], np.degrees(trk["theta"]), card.pid, rng
    )
    stages["beam_background"] = lambda: (
        beam_background_clusters(n, card.beam_background, card.calorimeter, rng),
        beam_background_tracks(n, card.beam_background, card.tracking, rng),
    )
    stage_times = {k: _best(f, args.repeat) for k, f in stages.items()}

    inputs = [
        part[k] for k in ("pdg", "px", "py", "pz", "E", "vx", "vy", "vz", "is_final", "mother")
    ]
    inputs.append(np.asarray(events.weight))
    t_in, bytes_in = _copy_time(inputs)
    outputs = _buffers(out[["tracks", "clusters", "klm_clusters", "vertices", "trigger"]])
    t_out, bytes_out = _copy_time(outputs)

    n_phys_trk = int(ak.sum(~out.tracks.isBeamBackground))
    n_bkg_trk = int(ak.sum(out.tracks.isBeamBackground))
    n_phys_cl = int(ak.sum(~out.clusters.isBeamBackground))
    n_bkg_cl = int(ak.sum(out.clusters.isBeamBackground))
    # tracking: 5 normals + 1 uniform per track; ECL: 1 normal + 2 uniforms per deposit
    # (~ one per cluster here) and 3 normals per cluster; PID: 4 uniforms per track;
    # trigger: 5 uniforms per event; background: 2 Poisson per event, 4 uniform-like per
    # cluster, 4 uniform-like + 2 normals per track
    n_normal = 5 * n_phys_trk + 4 * n_phys_cl + 2 * n_bkg_trk
    n_uniform = 5 * n_phys_trk + 2 * n_phys_cl + 7 * n + 4 * n_bkg_cl + 4 * n_bkg_trk
    rng_floor = np.random.default_rng(3)
    t_rng = _best(
        lambda: (rng_floor.standard_normal(n_normal), rng_floor.random(n_uniform)), args.repeat
    )

    rate = n / t_sim
    floor = n / (t_in + t_out)
    result = {
        "n_events": n,
        "threads": os.environ.get("NUMBA_NUM_THREADS", "default (kernels are serial)"),
        "simulate_seconds": t_sim,
        "events_per_second": rate,
        "stage_seconds": stage_times,
        "input_bytes": bytes_in,
        "output_bytes": bytes_out,
        "copy_input_seconds": t_in,
        "copy_output_seconds": t_out,
        "bandwidth_GB_per_s": (bytes_in + bytes_out) / (t_in + t_out) / 1e9,
        "floor_events_per_second": floor,
        "ratio_simulation_over_floor": (t_sim / (t_in + t_out)),
        "random_draws": {"normal": n_normal, "uniform": n_uniform},
        "rng_seconds": t_rng,
        "rng_floor_events_per_second": n / t_rng,
        "ratio_simulation_over_rng_floor": t_sim / t_rng,
        "load_average": os.getloadavg(),
        "target_events_per_second": 5.0e6,
    }
    print(
        f"dimuon events: {n}, simulate_events best of {args.repeat}: {t_sim:.3f} s "
        f"-> {rate / 1e6:.3f} M events/s (target 5 M/s)"
    )
    for k, t in stage_times.items():
        print(f"  stage {k:16s} {t:7.3f} s  ({n / t / 1e6:7.2f} M events/s)")
    print(
        f"memory floor: copy {bytes_in / 1e6:.0f} MB input in {t_in * 1e3:.1f} ms + "
        f"{bytes_out / 1e6:.0f} MB output in {t_out * 1e3:.1f} ms "
        f"({result['bandwidth_GB_per_s']:.1f} GB/s) -> {floor / 1e6:.1f} M events/s"
    )
    print(f"ratio simulation / memory floor: {result['ratio_simulation_over_floor']:.1f}")
    print(
        f"random-number floor: {n_normal / n:.1f} normals + {n_uniform / n:.1f} uniforms per "
        f"event in {t_rng:.3f} s -> {n / t_rng / 1e6:.2f} M events/s; ratio simulation / "
        f"RNG floor: {t_sim / t_rng:.1f}"
    )
    print(f"load average during the run: {os.getloadavg()}")
    RESULTS.parent.mkdir(exist_ok=True)
    write_text_atomic(RESULTS, json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
