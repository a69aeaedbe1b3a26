"""The Z' -> invisible search against Belle II's published coupling limits, at both luminosities.

Runs the search with the shipped configuration (or reuses the checkpoints of a finished run
with ``--resume``) and analyses the same histograms at two luminosities (yields scale exactly
with the luminosity; the simulated statistics stay those of the configuration):

* 0.276 fb^-1, the 2018 data of Belle II, PRL 124, 141801 (2020), arXiv:1912.11276. Abstract:
  upper limits on g' "at the level of 5 x 10^-2 - 1 for M_Z' <= 6 GeV/c^2" (Bayesian 90%
  credibility, L_mu - L_tau with its Standard-Model invisible branching ratio). Here the
  windows hold a few background events: the comparison tests the signal cross section,
  efficiency and the limit machinery in the low-background regime.
* 79.7 fb^-1, Belle II, PRL 130, 231801 (2023), arXiv:2212.03066 (abstract of v3 at
  https://arxiv.org/html/2212.03066v3): g' limits "from 3 x 10^-3 at low masses to 1 at
  masses of 8 GeV/c^2". Here the windows hold hundreds to thousands of simulated background
  events below ~2 GeV: the comparison tests the background level.

Only the abstracts' numbers are used (the papers' tables were not retrievable). Prints the
expected limits (median of background-only pseudo-experiments) at a few masses, our range
over M_Z' <= 6 GeV and the ratios to the published values; writes
``benchmarks/results/validate_zprime_published.json``.

Usage::

    python benchmarks/validate_zprime_published.py [--out results/zprime-invisible] [--resume]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from darkscan import runner
from darkscan.io.atomic import write_text_atomic
from darkscan.searches import zprime_invisible as zp
from darkscan.searches.config import load_search_config

RESULTS = Path(__file__).resolve().parent / "results" / "validate_zprime_published.json"
# Belle II, PRL 124, 141801 (2020), abstract: g' limits 5e-2 - 1 for M_Z' <= 6 GeV, 276 pb^-1
PUBLISHED_2020 = {"luminosity": 0.276, "g_min": 5e-2, "g_max": 1.0, "mass_max": 6.0}
# Belle II, PRL 130, 231801 (2023), abstract: 3e-3 at low masses to 1 at 8 GeV, 79.7 fb^-1
PUBLISHED_2023 = {"luminosity": 79.7, "g_low_mass": 3e-3, "g_8gev": 1.0}
SHOW = (0.1, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/zprime-invisible", help="search output directory")
    ap.add_argument("--resume", action="store_true", help="reuse that run's checkpoints")
    ap.add_argument("--output", type=Path, default=RESULTS)
    args = ap.parse_args(argv)

    out = Path(args.out)
    zp.run(out=out, resume=args.resume, progress=False)
    cfg = load_search_config()
    grid = zp.mass_grid(cfg)
    mva = out / "mva" / "tau_classifier.pkl" if cfg.tau_suppression.method == "mva" else None
    result = runner.run(
        zp.process_chunk, zp.plan(cfg, grid, mva), seed=cfg.run.seed,
        run_dir=out / "checkpoints", resume=True,
    )  # fmt: skip
    report = {}
    for tag, lumi in (
        ("2020", PUBLISHED_2020["luminosity"]),
        ("2023", PUBLISHED_2023["luminosity"]),
    ):
        res = zp.analyse(result, cfg, grid, luminosity=lumi)
        g = np.asarray(res.coupling_limits["expected"], float)
        pick = [int(np.argmin(np.abs(grid - m))) for m in SHOW]
        low = grid <= PUBLISHED_2020["mass_max"]
        report[tag] = {
            "luminosity": lumi,
            "mass": [float(grid[k]) for k in pick],
            "g_expected": [float(g[k]) for k in pick],
            "background": [float(sum(b[k] for b in res.background.values())) for k in pick],
            "efficiency": [float(res.efficiency[k]) for k in pick],
            "g_min_below_6": float(np.nanmin(g[low])),
            "g_max_below_6": float(np.nanmax(g[low])),
        }
        print(f"\n{lumi:g} fb^-1: expected g' limits (median), background and efficiency")
        for m, gk, b, e in zip(*(report[tag][k] for k in ("mass", "g_expected", "background",
                                                          "efficiency")), strict=True):  # fmt: skip
            print(f"  M_Z' = {m:5.2f} GeV   g' < {gk:9.3g}   B = {b:9.2f}   eps = {e:.3f}")
    r20, r23 = report["2020"], report["2023"]
    print(
        f"\n2020 (0.276 fb^-1): ours {r20['g_min_below_6']:.3g} - {r20['g_max_below_6']:.3g} "
        f"for M_Z' <= 6 GeV; published {PUBLISHED_2020['g_min']:g} - {PUBLISHED_2020['g_max']:g}"
        f" (ratio at the low end {r20['g_min_below_6'] / PUBLISHED_2020['g_min']:.2f})"
    )
    print(
        f"2023 (79.7 fb^-1): ours {r23['g_expected'][0]:.3g} at {r23['mass'][0]:g} GeV and "
        f"{r23['g_expected'][-1]:.3g} at {r23['mass'][-1]:.3g} GeV; published "
        f"{PUBLISHED_2023['g_low_mass']:g} at low masses and {PUBLISHED_2023['g_8gev']:g} at 8 GeV"
        f" (ratios {r23['g_expected'][0] / PUBLISHED_2023['g_low_mass']:.1f} and "
        f"{r23['g_expected'][-1] / PUBLISHED_2023['g_8gev']:.1f})"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.output, json.dumps({"published_2020": PUBLISHED_2020,
                                               "published_2023": PUBLISHED_2023, **report},
                                              indent=1))  # fmt: skip
    print(f"written {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
