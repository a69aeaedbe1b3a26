"""Benchmark: the generators' events per second per core, and the ratio to Pythia 8.

Times full generator calls (hard process, unweighting, decays, lab boost and the awkward
event record) on one core (BLAS/OpenMP threads pinned to 1; the numba kernels are serial) for

* ``mumu_zprime``: e+e- -> mu+ mu- Z' (L_mu - L_tau, m_Z' = 1 GeV), unweighted, no ISR, and
  with the Belle II 17-150 deg muon cut,
* ``aprime_dark_higgs``: e+e- -> A' h', A' -> mu mu, h' invisible,
* ``gamma_aprime`` and ``gamma_alp`` (photon + dark photon / ALP),
* the in-house Standard-Model backgrounds ``mumu_gamma``, ``tautau``, ``bhabha``,
  ``gamma_gamma`` and ``two_photon`` (e+e- -> e+e- mu+mu-),

and, in the same run, Pythia 8's e+e- -> mu+ mu- with ISR/FSR
(:func:`darkscan.generate.pythia.generate_pythia` ``"mumu"``), whose initialisation is
timed separately and excluded from its rate. Each measurement is the median of ``--repeat``
calls after one warm-up call (numba compilation and caches). CPU time of the process is
reported next to the wall time because the machine may be shared (``*_cpu_best``: the
fastest of the repeats, least disturbed by other processes). Writes
``benchmarks/results/bench_generators.json``.

Usage::

    python benchmarks/bench_generators.py [--n-events 1000000] [--repeat 3]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from darkscan.beams import belle2  # noqa: E402
from darkscan.generate.processes.aprime_dark_higgs import generate_aprime_dark_higgs  # noqa: E402
from darkscan.generate.processes.bhabha import generate_bhabha  # noqa: E402
from darkscan.generate.processes.gamma_alp import generate_gamma_alp  # noqa: E402
from darkscan.generate.processes.gamma_aprime import generate_gamma_aprime  # noqa: E402
from darkscan.generate.processes.gamma_gamma import generate_gamma_gamma  # noqa: E402
from darkscan.generate.processes.mumu_gamma import generate_mumu_gamma  # noqa: E402
from darkscan.generate.processes.mumu_zprime import generate_mumu_zprime  # noqa: E402
from darkscan.generate.processes.tautau import generate_tautau  # noqa: E402
from darkscan.generate.processes.two_photon import generate_two_photon  # noqa: E402
from darkscan.models.alp import AxionLikeParticle  # noqa: E402
from darkscan.models.dark_higgs import DarkHiggs  # noqa: E402
from darkscan.models.dark_photon import DarkPhoton  # noqa: E402
from darkscan.models.lmu_ltau import LmuLtauZprime  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "bench_generators.json"


def _time(call, n_events: int, repeat: int) -> dict:
    """Median wall and CPU seconds of ``call(n_events, seed)`` after a warm-up call."""
    call(min(n_events, 10_000), 12345)
    walls, cpus = [], []
    sample = None
    for i in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        sample = call(n_events, i)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    wall, cpu = float(np.median(walls)), float(np.median(cpus))
    settings = sample.generator_settings
    return {
        "n_events": n_events,
        "seconds_wall_median": wall,
        "seconds_cpu_median": cpu,
        "seconds_cpu_min": float(np.min(cpus)),
        "events_per_second_wall": n_events / wall,
        "events_per_second_cpu": n_events / cpu,
        "events_per_second_cpu_best": n_events / float(np.min(cpus)),
        "cross_section_fb": sample.cross_section_fb,
        "cross_section_uncertainty_fb": sample.cross_section_uncertainty_fb,
        "accept_reject_efficiency": settings.get("accept_reject_efficiency"),
        "n_overweight": settings.get("n_overweight"),
    }


def _time_pythia(n_events: int, repeat: int) -> dict:
    from darkscan.generate.pythia import generate_pythia

    def run(n, seed):
        w0, c0 = time.perf_counter(), time.process_time()
        generate_pythia("mumu", belle2(), n, np.random.default_rng(seed))
        return time.perf_counter() - w0, time.process_time() - c0

    init = [run(1, 100 + i) for i in range(repeat)]
    total = [run(n_events, i) for i in range(repeat)]
    w_init, c_init = (float(np.median([t[k] for t in init])) for k in (0, 1))
    w_tot, c_tot = (float(np.median([t[k] for t in total])) for k in (0, 1))
    c_init_min = float(np.min([t[1] for t in init]))
    c_tot_min = float(np.min([t[1] for t in total]))
    return {
        "process": "e+e- -> mu+ mu- (ISR + FSR), generate_pythia('mumu')",
        "n_events": n_events,
        "seconds_init_wall_median": w_init,
        "seconds_wall_median": w_tot,
        "seconds_cpu_median": c_tot,
        "events_per_second_wall": n_events / max(w_tot - w_init, 1e-9),
        "events_per_second_cpu": n_events / max(c_tot - c_init, 1e-9),
        "events_per_second_cpu_best": n_events / max(c_tot_min - c_init_min, 1e-9),
        "events_per_second_wall_including_init": n_events / w_tot,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-events", type=int, default=1_000_000, help="mu mu Z' events")
    parser.add_argument("--n-other", type=int, default=200_000, help="events, other generators")
    parser.add_argument("--n-pythia", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    collider = belle2()
    zprime = LmuLtauZprime(m_zprime=1.0, g_prime=1e-2)
    belle_cut = {"theta_mu_lab": (math.radians(17.0), math.radians(150.0))}

    generators = {
        "mumu_zprime": lambda n, seed: generate_mumu_zprime(
            zprime, collider, n, np.random.default_rng(seed)
        ),
        "mumu_zprime_17_150_deg": lambda n, seed: generate_mumu_zprime(
            zprime, collider, n, np.random.default_rng(seed), cuts=belle_cut
        ),
        "aprime_dark_higgs": lambda n, seed: generate_aprime_dark_higgs(
            DarkHiggs(m_dark_higgs=0.5, m_aprime=2.0, epsilon=1e-3, alpha_dark=0.1),
            collider,
            n,
            np.random.default_rng(seed),
        ),
        "gamma_aprime": lambda n, seed: generate_gamma_aprime(
            DarkPhoton(m_aprime=1.0, epsilon=1e-3), collider, n, np.random.default_rng(seed)
        ),
        "gamma_alp": lambda n, seed: generate_gamma_alp(
            AxionLikeParticle(m_a=1.0, g_agg=1e-3), collider, n, np.random.default_rng(seed)
        ),
        "mumu_gamma": lambda n, seed: generate_mumu_gamma(collider, n, np.random.default_rng(seed)),
        "tautau": lambda n, seed: generate_tautau(collider, n, np.random.default_rng(seed)),
        "bhabha": lambda n, seed: generate_bhabha(collider, n, np.random.default_rng(seed)),
        "gamma_gamma": lambda n, seed: generate_gamma_gamma(
            collider, n, np.random.default_rng(seed)
        ),
        "two_photon": lambda n, seed: generate_two_photon(collider, n, np.random.default_rng(seed)),
    }
    results = {}
    for name, call in generators.items():
        n = args.n_events if name.startswith("mumu_zprime") else args.n_other
        results[name] = _time(call, n, args.repeat)
        print(name, json.dumps(results[name]))
    pythia = _time_pythia(args.n_pythia, args.repeat)
    print("pythia", json.dumps(pythia))
    for res in results.values():
        res["ratio_to_pythia_wall"] = (
            res["events_per_second_wall"] / pythia["events_per_second_wall"]
        )
        res["ratio_to_pythia_cpu"] = res["events_per_second_cpu"] / pythia["events_per_second_cpu"]
        res["ratio_to_pythia_cpu_best"] = (
            res["events_per_second_cpu_best"] / pythia["events_per_second_cpu_best"]
        )
    out = {
        "benchmark": "generators_events_per_second_per_core",
        "collider": collider.name,
        "target_mumu_zprime_events_per_second": 1.0e6,
        "generators": results,
        "pythia_mumu": pythia,
        "repeat": args.repeat,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
        "note": "one core; wall and process CPU time; the machine may be shared (load_average)",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
