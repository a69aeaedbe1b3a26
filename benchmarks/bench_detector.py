"""Throughput of the fast detector simulation on dimuon events, against memory and RNG floors.

Builds ``n`` e+e- -> mu+ mu- events (isotropic in the CM frame, boosted to the Belle II lab
frame) and measures, all in the same run, each as the best of ``--repeat`` runs after a
warm-up (numba compilation or cache load), in CPU time of this process
(``time.process_time``: the machine is shared, so this is the number to compare; the
kernels are serial, so it is time on one core) and in wall time:

* end to end: :func:`darkscan.detector.simulate` from the truth ``Sample`` to the
  ``RecoSample`` (flattening, stage seeds, fused kernel, awkward record, metadata). Each
  repeat drops the previous result, as a chunked run does, so the outputs go to the memory
  the previous call used (:mod:`darkscan.detector._buffers`);
* kernel only: :func:`darkscan.detector._kernels.simulate_flat` on the already flat columns,
  with that reused output memory and, for comparison, with new output arrays every call
  (the operating system zeroes each fresh page on its first write);
* the reference: :func:`darkscan.detector.simulate.simulate_events_reference` (numpy stages);
* the memory-bandwidth floor: a streaming copy (``np.copyto``) of the same bytes, i.e. the
  flat input columns plus all output buffers, into warm (already touched) memory, and the
  same with the outputs copied into arrays allocated per repeat (``np.empty``, as the kernel
  allocates its outputs: the allocator recycles the pages freed by the previous repeat, as in
  a chunked run; the very first touch of never-used pages costs far more on this VM, about
  2 ns per byte, which only the first chunk of a process pays);
* the random-number floor: drawing exactly as many uniforms, normals and exponentials as the
  kernel drew (its draw counters) one at a time in a numba loop with the kernel's inline
  xoshiro256++ generator (:mod:`darkscan.detector._random`), and for comparison with a
  ``numpy.random.Generator`` in numba (what the kernel used before) and with numpy's
  vectorised Generator methods; plus the cost of one draw of each kind for both generators;
* a breakdown: the kernel with the beam background switched off, then also without tracks
  (tracking efficiency 0), then also without ECL deposits, so the differences give the cost
  of each stage per event; the fixed cost per call (1000-event calls); the awkward assembly.

Prints events/s and the ratios simulation / floor, writes
``benchmarks/results/bench_detector.json``.

Usage::

    python benchmarks/bench_detector.py [--n-events 1000000] [--repeat 5] [--no-reference]
        [--output benchmarks/results/bench_detector.json]
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
from darkscan.detector import _random
from darkscan.detector._buffers import OUTPUT_ARENA
from darkscan.detector._kernels import simulate_flat
from darkscan.detector.card import load_card
from darkscan.generate.event_record import Sample, events_from_arrays
from darkscan.io.atomic import write_text_atomic

sim = importlib.import_module("darkscan.detector.simulate")
RESULTS = Path(__file__).resolve().parent / "results" / "bench_detector.json"
M_MU = 0.1056583755
TARGET = 5.0e6


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


def _copy_time(arrays, repeat: int) -> tuple[dict, dict, int]:
    """Streaming copy of ``arrays``: into warm destinations, and into arrays allocated per
    repeat (``np.empty``, as the kernel allocates its outputs)."""
    dest = [np.empty_like(a) for a in arrays]

    def warm():
        for d, a in zip(dest, arrays, strict=True):
            np.copyto(d, a)

    def fresh():
        for a in arrays:
            np.copyto(np.empty_like(a), a)

    warm()
    return _best(warm, repeat), _best(fresh, repeat), sum(a.nbytes for a in arrays)


def _buffers(array: ak.Array) -> list[np.ndarray]:
    """All numeric leaf buffers of an awkward array (flattened, distinct)."""
    _, _, container = ak.to_buffers(array)
    out, seen = [], set()
    for b in container.values():
        a = np.asarray(b)
        key = (a.__array_interface__["data"][0], a.nbytes)
        if a.size and key not in seen:
            seen.add(key)
            out.append(a)
    return out


@numba.njit(cache=True)
def _scalar_draws(rng, n_uniform, n_normal, n_exponential):  # pragma: no cover - numba
    """Draws one at a time from a numpy Generator in numba."""
    s = 0.0
    for _ in range(n_uniform):
        s += rng.random()
    for _ in range(n_normal):
        s += rng.standard_normal()
    for _ in range(n_exponential):
        s += rng.standard_exponential()
    return s


@numba.njit(cache=True)
def _scalar_draws_inline(state, n_uniform, n_normal, n_exponential):  # pragma: no cover
    """Draws one at a time from the kernel's xoshiro256++ stream (inlined samplers)."""
    s = 0.0
    for _ in range(n_uniform):
        s += _random.uniform(state)
    for _ in range(n_normal):
        s += _random.normal(state)
    for _ in range(n_exponential):
        s += _random.exponential(state)
    return s


def _draw_costs(repeat: int, n: int = 5_000_000) -> dict:
    """CPU time of one draw (ns) of each kind: kernel generator and numpy Generator in numba."""
    state = _random.seed_state(5)
    rng = np.random.default_rng(5)
    _scalar_draws_inline(state, 10, 10, 10)
    _scalar_draws(rng, 10, 10, 10)
    out = {}
    generators = (
        ("xoshiro256++ inline", _scalar_draws_inline, state),
        ("numpy Generator in numba", _scalar_draws, rng),
    )
    kinds = (("uniform", (n, 0, 0)), ("normal", (0, n, 0)), ("exponential", (0, 0, n)))
    for label, fn, arg in generators:
        out[label] = {
            kind: _best(lambda f=fn, a=arg, c=counts: f(a, *c), repeat)["cpu"] / n * 1e9
            for kind, counts in kinds
        }
    return out


def _kernel_call(part, p_off, card, seed=1, arena=OUTPUT_ARENA):
    """simulate_flat on flat columns (the kernel alone: no flattening, no awkward), with
    the output memory of simulate_events (reused between calls)."""
    par = sim._kernel_parameters(card)
    sub = sim._stage_generators(np.random.default_rng(seed))
    return simulate_flat(
        p_off,
        *(part[k] for k in sim._KERNEL_COLUMNS),
        par,
        sim._stage_states(sub),
        arena=arena,
    )


def _upd(card, section, **kw):
    return card.model_copy(update={section: getattr(card, section).model_copy(update=kw)})


def _rate(n, t):
    return {"cpu": n / t["cpu"], "wall": n / t["wall"]}


def _ns(n, t):
    return {"cpu": t["cpu"] / n * 1e9, "wall": t["wall"] / n * 1e9}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-reference", action="store_true", help="skip the numpy reference")
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON file to write")
    args = parser.parse_args(argv)
    n, rep = args.n_events, args.repeat
    load_before = os.getloadavg()
    card = load_card("belle2")
    events = dimuon_events(n)
    sample = Sample(events, "ee -> mumu", {}, "bench", {}, 0, 1.0e6)
    part, p_off = sim._flat_columns(events.particles)
    # warm-up: numba compilation (or cache load)
    sim.simulate(
        Sample(events[:2000], "w", {}, "bench", {}, 0, 1.0), card, np.random.default_rng(0)
    )
    sim.simulate_events_reference(events[:2000], card, np.random.default_rng(0))

    t_e2e = _best(lambda: sim.simulate(sample, card, np.random.default_rng(1)), rep)
    t_kernel = _best(lambda: _kernel_call(part, p_off, card), rep)
    # the kernel writing into new arrays each call (the operating system zeroes their pages)
    t_kernel_fresh = _best(lambda: _kernel_call(part, p_off, card, arena=None), rep)
    counters: dict = {}
    out = sim.simulate_events(events, card, np.random.default_rng(1), counters=counters)
    t_events = _best(lambda: sim.simulate_events(events, card, np.random.default_rng(1)), rep)

    # ---- breakdown by switching stages off (differences = cost per event of each stage)
    quiet = _upd(card, "beam_background", photons_mean=0.0, tracks_mean=0.0)
    no_trk = _upd(quiet, "tracking", efficiency_plateau=0.0)
    no_ecl = _upd(
        no_trk,
        "calorimeter",
        forward_theta_min=179.0,
        forward_theta_max=179.1,
        barrel_theta_min=179.2,
        barrel_theta_max=179.3,
        backward_theta_min=179.4,
        backward_theta_max=179.5,
    )
    variants = {"full card": card, "no beam background": quiet, "+ no tracks": no_trk}
    variants["+ no ECL deposits"] = no_ecl
    t_var = {k: _best(lambda c=c: _kernel_call(part, p_off, c), rep) for k, c in variants.items()}
    small = events[:1000]
    t_small = _best(lambda: sim.simulate_events(small, card, np.random.default_rng(1)), 20)
    per_call = {k: t_small[k] - 1000 * t_events[k] / n for k in t_small}

    ref = None
    if not args.no_reference:
        ref = _best(
            lambda: sim.simulate_events_reference(events, card, np.random.default_rng(1)), rep
        )

    # ---- floors
    inputs = [part[k] for k in sim._KERNEL_COLUMNS] + [p_off, np.asarray(events.weight)]
    outputs = _buffers(out[["tracks", "clusters", "klm_clusters", "vertices", "trigger"]])
    t_in, _, bytes_in = _copy_time(inputs, rep)
    t_out, t_out_fresh, bytes_out = _copy_time(outputs, rep)
    t_mem = {k: t_in[k] + t_out[k] for k in ("cpu", "wall")}
    t_mem_fresh = {k: t_in[k] + t_out_fresh[k] for k in ("cpu", "wall")}
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
        rep,
    )
    _scalar_draws(rng_floor, 10, 10, 10)
    t_rng_generator = _best(lambda: _scalar_draws(rng_floor, n_uni, n_nor, n_exp), rep)
    state_floor = _random.seed_state(3)
    _scalar_draws_inline(state_floor, 10, 10, 10)
    t_rng = _best(lambda: _scalar_draws_inline(state_floor, n_uni, n_nor, n_exp), rep)
    draw_cost = _draw_costs(rep)

    def ratio(t, floor):
        return {k: t[k] / floor[k] for k in ("cpu", "wall")}

    names = list(variants)
    stage_cost = {
        "beam background": _ns(n, {k: t_var[names[0]][k] - t_var[names[1]][k] for k in t_e2e}),
        "tracking + PID": _ns(n, {k: t_var[names[1]][k] - t_var[names[2]][k] for k in t_e2e}),
        "ECL": _ns(n, {k: t_var[names[2]][k] - t_var[names[3]][k] for k in t_e2e}),
        "rest (loop, trigger, KLM, vertexing, offsets)": _ns(n, t_var[names[3]]),
    }
    result: dict = {
        "n_events": n,
        "repeat": rep,
        "card": card.name,
        "target_events_per_second": TARGET,
        "end_to_end_seconds": t_e2e,
        "end_to_end_events_per_second": _rate(n, t_e2e),
        "simulate_events_seconds": t_events,
        "kernel_seconds": t_kernel,
        "kernel_events_per_second": _rate(n, t_kernel),
        "kernel_ns_per_event": _ns(n, t_kernel),
        "kernel_new_output_arrays_seconds": t_kernel_fresh,
        "kernel_new_output_arrays_ns_per_event": _ns(n, t_kernel_fresh),
        "reference_seconds": ref,
        "reference_events_per_second": _rate(n, ref) if ref else None,
        "speedup_end_to_end_over_reference": ratio(ref, t_e2e) if ref else None,
        "kernel_variants_seconds": t_var,
        "stage_cost_ns_per_event": stage_cost,
        "awkward_and_driver_ns_per_event": _ns(n, {k: t_e2e[k] - t_kernel[k] for k in t_e2e}),
        "fixed_cost_per_call_seconds": per_call,
        "input_bytes": bytes_in,
        "output_bytes": bytes_out,
        "memory_floor_seconds_warm": t_mem,
        "memory_floor_seconds_fresh_output": t_mem_fresh,
        "bandwidth_GB_per_s_warm": {k: (bytes_in + bytes_out) / t_mem[k] / 1e9 for k in t_mem},
        "memory_floor_events_per_second": _rate(n, t_mem),
        "memory_floor_fresh_events_per_second": _rate(n, t_mem_fresh),
        "ratio_end_to_end_over_memory_floor": ratio(t_e2e, t_mem),
        "ratio_end_to_end_over_memory_floor_fresh": ratio(t_e2e, t_mem_fresh),
        "draws_per_stage (uniform, normal, exponential)": counters,
        "draws_per_event": {"uniform": n_uni / n, "normal": n_nor / n, "exponential": n_exp / n},
        "rng_floor_seconds_numba_scalar": t_rng,
        "rng_floor_seconds_numpy_generator_in_numba": t_rng_generator,
        "rng_floor_seconds_numpy_vectorised": t_rng_numpy,
        "draw_cost_ns": draw_cost,
        "rng_floor_events_per_second": _rate(n, t_rng),
        "ratio_end_to_end_over_rng_floor": ratio(t_e2e, t_rng),
        "ratio_kernel_over_rng_floor": ratio(t_kernel, t_rng),
        "numba_threads": "kernels are serial (one core)",
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "cpu_count": os.cpu_count(),
    }

    def line(label, t, extra=""):
        print(
            f"  {label:46s} cpu {t['cpu']:7.3f} s {n / t['cpu'] / 1e6:6.2f} M ev/s "
            f"{t['cpu'] / n * 1e9:6.1f} ns/ev | wall {n / t['wall'] / 1e6:6.2f} M ev/s{extra}"
        )

    print(f"dimuon events: {n}, best of {rep}; target {TARGET / 1e6:.0f} M events/s per core")
    print(f"load average before: {load_before} on {os.cpu_count()} cores")
    line("end to end: simulate(Sample) -> RecoSample", t_e2e)
    line("simulate_events (awkward in and out)", t_events)
    line("kernel only (simulate_flat, flat columns)", t_kernel)
    line("kernel, new output arrays every call", t_kernel_fresh)
    if ref:
        line("reference numpy (simulate_events_reference)", ref)
    for k, t in t_var.items():
        line(f"  kernel, {k}", t)
    for k, v in stage_cost.items():
        print(f"    cost of {k:46s} {v['cpu']:6.1f} ns/event (cpu)")
    print(f"    fixed cost per simulate_events call: {per_call['cpu'] * 1e3:.2f} ms (cpu)")
    line(f"memory floor, copy {bytes_in / 1e6:.0f} MB in + {bytes_out / 1e6:.0f} MB out", t_mem)
    line("memory floor, output into new arrays", t_mem_fresh)
    print(
        f"  draws per event: {n_uni / n:.2f} uniform + {n_nor / n:.2f} normal + "
        f"{n_exp / n:.2f} exponential"
    )
    line("RNG floor, inline xoshiro256++ (as the kernel)", t_rng)
    line("RNG floor, numpy Generator in numba (old kernel)", t_rng_generator)
    line("RNG floor, numpy vectorised draws", t_rng_numpy)
    for label, costs in draw_cost.items():
        print(
            f"  cost per draw, {label:26s} uniform {costs['uniform']:5.2f} ns, "
            f"normal {costs['normal']:5.2f} ns, exponential {costs['exponential']:5.2f} ns"
        )
    for label, key in (
        ("end to end / memory floor (warm)", "ratio_end_to_end_over_memory_floor"),
        ("end to end / memory floor (new arrays)", "ratio_end_to_end_over_memory_floor_fresh"),
        ("end to end / RNG floor", "ratio_end_to_end_over_rng_floor"),
        ("kernel / RNG floor", "ratio_kernel_over_rng_floor"),
    ):
        r = result[key]
        print(f"  ratio {label:36s} cpu {r['cpu']:6.1f}   wall {r['wall']:6.1f}")
    if ref:
        s = result["speedup_end_to_end_over_reference"]
        print(f"  speed-up end to end over the reference: cpu x{s['cpu']:.1f}")
    reached = result["end_to_end_events_per_second"]["cpu"] >= TARGET
    print(f"target of {TARGET / 1e6:.0f} M events/s per core reached: {reached}")
    print(f"load average after: {result['load_average_after']}")
    result["target_reached"] = reached
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.output, json.dumps(result, indent=2))
    print(f"results written to {args.output}")
    return result


if __name__ == "__main__":
    main()
