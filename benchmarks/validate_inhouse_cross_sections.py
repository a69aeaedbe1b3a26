"""Validate darkscan's in-house Standard-Model generators against the Belle II Physics Book.

Runs each in-house background generator at Belle II (SuperKEKB, 7 x 4 GeV, 41.5 mrad) with the
generator-level cuts of the Physics Book table (arXiv:1808.10567; the table of cross sections
at sqrt(s) = 10.58 GeV shipped in :mod:`darkscan.models.sm_cross_sections`) and prints the
ratio darkscan / table, with the explanation of every difference above 10 %.
The Pythia 8 processes are validated by ``benchmarks/validate_sm_cross_sections.py``.

Writes ``benchmarks/results/validate_inhouse_cross_sections.json``.

Usage::

    python benchmarks/validate_inhouse_cross_sections.py [--n-events 200000]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from darkscan.beams import belle2
from darkscan.generate.processes.bhabha import PHYSICS_BOOK_CUTS, generate_bhabha
from darkscan.generate.processes.gamma_gamma import generate_gamma_gamma
from darkscan.generate.processes.mumu_gamma import generate_mumu_gamma
from darkscan.generate.processes.tautau import generate_tautau
from darkscan.generate.processes.two_photon import generate_two_photon
from darkscan.models.sm_cross_sections import sm_cross_section

RESULTS = Path(__file__).resolve().parent / "results" / "validate_inhouse_cross_sections.json"
_NB = 1.0e6  # fb per nb
# Generate 2 deg beyond the 10 deg CM cut so that ISR-boosted events can migrate inward.
_WIDE = (-math.cos(math.radians(8.0)), math.cos(math.radians(8.0)))

EXPLANATIONS = {
    "eemumu": (
        "equivalent-photon approximation with the full-Q^2 flux and both virtualities below "
        "W^2; AAFH is the full 2 -> 4 calculation (Q^2 suppression of gamma* gamma*, "
        "longitudinal photons, non-multiperipheral diagrams): darkscan is ~5 % high"
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-events", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    collider = belle2()
    runs = {
        "mumu": lambda rng, n: generate_mumu_gamma(collider, n, rng),
        "tautau": lambda rng, n: generate_tautau(collider, n, rng),
        "ee": lambda rng, n: generate_bhabha(
            collider, n, rng, cos_theta_range=_WIDE, cms_cuts=PHYSICS_BOOK_CUTS
        ),
        "gammagamma": lambda rng, n: generate_gamma_gamma(
            collider, n, rng, cos_theta_range=_WIDE, cms_cuts=PHYSICS_BOOK_CUTS
        ),
        "eemumu": lambda rng, n: generate_two_photon(collider, n, rng),
    }
    rows = []
    print(f"{'process':<11} {'darkscan (nb)':>16} {'table (nb)':>11} {'ratio':>7} {'ev/s':>9}")
    for i, (name, run) in enumerate(runs.items()):
        rng = np.random.default_rng([args.seed, i])
        start = time.perf_counter()
        sample = run(rng, args.n_events)
        elapsed = time.perf_counter() - start
        sigma = sample.cross_section_fb / _NB
        error = (sample.cross_section_uncertainty_fb or 0.0) / _NB
        table = sm_cross_section(name) / _NB
        ratio = sigma / table
        note = EXPLANATIONS.get(name, "") if abs(ratio - 1.0) > 0.10 or name in EXPLANATIONS else ""
        rows.append(
            {
                "process": name,
                "sigma_nb": sigma,
                "error_nb": error,
                "table_nb": table,
                "ratio": ratio,
                "events_per_second": args.n_events / elapsed,
                "explanation": note,
            }
        )
        print(
            f"{name:<11} {sigma:>9.4g} +- {error:<5.2g} {table:>11.4g} {ratio:>7.3f} {args.n_events / elapsed:>9.3g}"
        )
        if note:
            print(f"    {note}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"n_events": args.n_events, "rows": rows}, indent=1))
    tmp.replace(RESULTS)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
