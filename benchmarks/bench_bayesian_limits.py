"""Benchmark: vectorised Bayesian counting limits vs a loop of pyhf upper-limit calls.

Run on demand::

    python benchmarks/bench_bayesian_limits.py [--bins 1000] [--pyhf-bins 20]

1000 mass bins, each with 5 systematic sources (1 luminosity, 2 efficiency, 2 background).
darkscan computes all 90% credible limits in one vectorised call (target: < 1 s on one
core). pyhf is timed on a subset of bins (one-bin models: signal normfactor, background
with a normsys and a staterror modifier; ``pyhf.infer.intervals.upper_limits.upper_limit``
with an explicit scan grid) and the per-bin time is extrapolated to all bins. The two
methods are different statistics (Bayesian marginalisation vs asymptotic CLs with profiled
nuisances), so the numbers printed for comparison are orders of magnitude, not equalities.
Results go to benchmarks/results/bench_bayesian_limits.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np

from darkscan.stats.bayesian import bayesian_upper_limit


def make_bins(n_bins: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    background = rng.uniform(0.5, 50.0, n_bins)
    return {
        "n_obs": rng.poisson(background),
        "background": background,
        "luminosity": np.full(n_bins, 362.0),  # fb^-1 (Belle II Run 1 size)
        "efficiency": rng.uniform(0.05, 0.4, n_bins),
        "rel_unc_luminosity": np.full((n_bins, 1), 0.006),
        "rel_unc_efficiency": rng.uniform(0.01, 0.08, (n_bins, 2)),
        "rel_unc_background": rng.uniform(0.02, 0.15, (n_bins, 2)),
    }


def time_darkscan(bins, combine: bool, repeat: int = 3) -> tuple[float, np.ndarray]:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = bayesian_upper_limit(
            bins["n_obs"],
            bins["background"],
            bins["luminosity"],
            bins["efficiency"],
            rel_unc_luminosity=bins["rel_unc_luminosity"],
            rel_unc_efficiency=bins["rel_unc_efficiency"],
            rel_unc_background=bins["rel_unc_background"],
            combine=combine,
        )
        best = min(best, time.perf_counter() - t0)
    return best, res.upper_limit


def pyhf_limit(i: int, bins) -> float:
    import pyhf

    b = float(bins["background"][i])
    scale = float(bins["luminosity"][i] * bins["efficiency"][i])  # signal events per fb
    r_sig = float(
        np.sqrt(
            np.sum(bins["rel_unc_luminosity"][i] ** 2) + np.sum(bins["rel_unc_efficiency"][i] ** 2)
        )
    )
    r_b = bins["rel_unc_background"][i]
    # Signal template normalised to a rough limit guess, so that mu is O(1) and pyhf's
    # default POI bounds (0, 10) and initial value 1 fit; sigma = mu * guess (fb).
    guess = (float(bins["n_obs"][i]) + 3 * np.sqrt(b) + 5) / scale
    spec = {
        "channels": [
            {
                "name": "sr",
                "samples": [
                    {
                        "name": "signal",
                        "data": [scale * guess],
                        "modifiers": [
                            {"name": "mu", "type": "normfactor", "data": None},
                            {
                                "name": "sig_norm",
                                "type": "normsys",
                                "data": {"hi": 1 + r_sig, "lo": 1 - r_sig},
                            },
                        ],
                    },
                    {
                        "name": "background",
                        "data": [b],
                        "modifiers": [
                            {
                                "name": "bkg_norm",
                                "type": "normsys",
                                "data": {"hi": 1 + float(r_b[0]), "lo": 1 - float(r_b[0])},
                            },
                            {"name": "bkg_stat", "type": "staterror", "data": [b * float(r_b[1])]},
                        ],
                    },
                ],
            }
        ]
    }
    model = pyhf.Model(spec)
    data = [float(bins["n_obs"][i]), *model.config.auxdata]
    scan = np.linspace(0.01, 2.0, 50)
    obs, _ = pyhf.infer.intervals.upper_limits.upper_limit(data, model, scan=scan, level=0.10)
    return float(obs) * guess


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bins", type=int, default=1000)
    parser.add_argument("--pyhf-bins", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    bins = make_bins(args.bins, rng)
    bayesian_upper_limit(1, 1.0, 1.0, 1.0)  # warm-up (imports, first-call overheads)

    t_comb, lim_comb = time_darkscan(bins, combine=True)
    t_sep, lim_sep = time_darkscan(bins, combine=False)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pyhf_limit(0, bins)  # warm-up
        t0 = time.perf_counter()
        pyhf_lims = np.array([pyhf_limit(i, bins) for i in range(args.pyhf_bins)])
        t_pyhf_subset = time.perf_counter() - t0
    per_bin = t_pyhf_subset / args.pyhf_bins
    t_pyhf_extrapolated = per_bin * args.bins
    ratio_pyhf = pyhf_lims / lim_comb[: args.pyhf_bins]

    result = {
        "n_bins": args.bins,
        "n_sources_per_bin": 5,
        "darkscan_combined_s": t_comb,
        "darkscan_separate_nuisances_s": t_sep,
        "pyhf_bins_timed": args.pyhf_bins,
        "pyhf_subset_s": t_pyhf_subset,
        "pyhf_per_bin_s": per_bin,
        "pyhf_extrapolated_s": t_pyhf_extrapolated,
        "speed_ratio_pyhf_over_darkscan": t_pyhf_extrapolated / t_comb,
        "pyhf_cls_over_bayesian_limit_median": float(np.median(ratio_pyhf)),
        "separate_over_combined_limit_max_deviation": float(np.max(np.abs(lim_sep / lim_comb - 1))),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "timing": "best of 3 wall-clock runs (darkscan); single pass (pyhf subset)",
    }
    print(f"darkscan Bayesian limits, {args.bins} bins x 5 sources (combined): {t_comb:.3f} s")
    print(f"darkscan Bayesian limits, separate nuisance parameters:          {t_sep:.3f} s")
    print(
        f"pyhf upper_limit loop: {t_pyhf_subset:.2f} s for {args.pyhf_bins} bins "
        f"= {per_bin * 1e3:.0f} ms/bin -> extrapolated {t_pyhf_extrapolated:.0f} s "
        f"for {args.bins} bins"
    )
    print(
        "speed ratio (pyhf extrapolated / darkscan): "
        f"{result['speed_ratio_pyhf_over_darkscan']:.0f}"
    )
    print(
        "median ratio pyhf asymptotic CLs limit / darkscan Bayesian limit (first bins): "
        f"{result['pyhf_cls_over_bayesian_limit_median']:.3f}"
    )
    out = Path(__file__).resolve().parent / "results" / "bench_bayesian_limits.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=1) + "\n")
    os.replace(tmp, out)
    print(f"results written to {out}")


if __name__ == "__main__":
    main()
