"""Benchmark: Pythia 8 e+e- -> mu+mu-(gamma) events per second, with ISR/FSR, into the record.

Measures the full :func:`darkscan.generate.pythia.generate_pythia` call (Pythia generation
with lepton PDFs and QED showers, conversion to the darkscan truth record, boost to the lab)
for the Belle II collider, separately for Pythia's initialisation and for the event loop,
and writes ``benchmarks/results/bench_pythia.json``. The signal generators' benchmarks
compare their events/s with ``events_per_second`` here.

Usage::

    python benchmarks/bench_pythia.py [--n-events 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from darkscan.beams import belle2
from darkscan.generate.pythia import generate_pythia

RESULTS = Path(__file__).resolve().parent / "results" / "bench_pythia.json"


def _time_call(process: str, n_events: int, seed: int) -> float:
    t0 = time.perf_counter()
    generate_pythia(process, belle2(), n_events, np.random.default_rng(seed))
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-events", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--process", default="mumu")
    args = parser.parse_args()

    # initialisation + a single event: the fixed cost of one call
    init_times = [_time_call(args.process, 1, 100 + i) for i in range(args.repeat)]
    t_init = float(np.median(init_times))
    totals = [_time_call(args.process, args.n_events, i) for i in range(args.repeat)]
    t_total = float(np.median(totals))
    rate = args.n_events / max(t_total - t_init, 1e-9)
    result = {
        "benchmark": "pythia_ee_to_mumu_gamma",
        "process": args.process,
        "collider": "SuperKEKB/Belle II",
        "n_events": args.n_events,
        "repeat": args.repeat,
        "seconds_per_call_median": t_total,
        "seconds_init_median": t_init,
        "events_per_second": rate,
        "events_per_second_including_init": args.n_events / t_total,
        "settings": "ISR (PDF:lepton + QED space-like shower), QED FSR, record + lab boost",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
