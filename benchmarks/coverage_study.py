"""Coverage study: Feldman-Cousins, exact CLs and flat-prior Bayesian limits with toys.

Run on demand::

    python benchmarks/coverage_study.py [--toys 20000] [--cl 0.90] [--seed 20261126]

For each known background b and each true signal mean mu on a grid, ``--toys``
pseudo-experiments n ~ Poisson(mu + b) are drawn (seeded numpy Generator) and the fraction
whose interval contains mu is counted:

* Feldman-Cousins (``darkscan.stats.feldman_cousins``, published-table convention and the
  plain construction): mu in [mu_1, mu_2];
* exact CLs (``darkscan.stats.cls_upper_limit``, method "exact"): mu <= s_up;
* Bayesian, flat prior in the signal (``darkscan.stats.bayesian.bayesian_upper_limit``,
  L = eps = 1 so the limit is on the signal mean): mu <= s_up.

Limits depend on n only, so they are computed once per (n, b) and looked up per toy. The
binomial error of each coverage is sqrt(C (1 - C) / N_toys). The exact coverage
sum_n P(n | mu + b) [mu in interval(n)] is printed next to the toy estimate as a check.
Neyman constructions (FC) cover >= CL for every mu up to discreteness; CLs is conservative
by construction (CLs >= CLs+b); for one counting channel without systematics the flat-prior
Bayesian limit equals the exact CLs limit (Read 2002; Helene 1983), so their coverages agree.
Results: benchmarks/results/coverage_study.json and coverage_study.png.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
from scipy import stats

from darkscan.stats.bayesian import bayesian_upper_limit
from darkscan.stats.frequentist import cls_upper_limit, feldman_cousins

BACKGROUNDS = (0.0, 1.0, 3.0, 10.0)
MU_GRID = np.round(np.arange(0.0, 10.01, 0.25), 10)
RESULTS = Path(__file__).resolve().parent / "results"


def interval_tables(b: float, n_max: int, cl: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Lower and upper limits (signal events) for n = 0 .. n_max - 1, per method."""
    n = np.arange(n_max)
    zeros = np.zeros(n_max)
    fc_lo, fc_up = feldman_cousins(n, b, cl=cl)
    plain_lo, plain_up = feldman_cousins(n, b, cl=cl, published_table_convention=False)
    cls_up = cls_upper_limit(n, b, cl=cl, method="exact")
    bayes_up = bayesian_upper_limit(n, b, 1.0, 1.0, credibility=cl).upper_limit
    return {
        "fc_published": (fc_lo, fc_up),
        "fc_plain": (plain_lo, plain_up),
        "cls_exact": (zeros, np.asarray(cls_up)),
        "bayes_flat": (zeros, np.asarray(bayes_up)),
    }


def study(n_toys: int, cl: float, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    out: dict = {"cl": cl, "n_toys": n_toys, "seed": seed, "mu": MU_GRID.tolist(), "b": {}}
    for b in BACKGROUNDS:
        n_max = int(np.ceil(MU_GRID.max() + b + 12.0 * np.sqrt(MU_GRID.max() + b) + 30.0))
        tables = interval_tables(b, n_max, cl)
        toys = rng.poisson(MU_GRID[:, None] + b, size=(MU_GRID.size, n_toys))
        toys = np.minimum(toys, n_max - 1)  # P(n >= n_max) < 1e-20 here
        pmf = stats.poisson.pmf(np.arange(n_max)[None, :], MU_GRID[:, None] + b)
        per_b = {}
        for name, (lo, up) in tables.items():
            inside = (lo[None, :] <= MU_GRID[:, None] + 1e-9) & (
                MU_GRID[:, None] <= up[None, :] + 1e-9
            )
            toy_cov = np.take_along_axis(inside, toys, axis=1).mean(axis=1)
            err = np.sqrt(np.maximum(toy_cov * (1.0 - toy_cov), 1e-12) / n_toys)
            per_b[name] = {
                "coverage_toys": toy_cov.tolist(),
                "binomial_error": err.tolist(),
                "coverage_exact": np.sum(pmf * inside, axis=1).tolist(),
            }
        out["b"][str(b)] = per_b
    return out


def print_table(res: dict) -> None:
    names = ("fc_published", "fc_plain", "cls_exact", "bayes_flat")
    for b, per_b in res["b"].items():
        print(f"\nb = {b}   coverage (toys +- binomial error) [exact]   CL = {res['cl']}")
        print("  mu   " + "".join(f"{name:>26s}" for name in names))
        for i, mu in enumerate(res["mu"]):
            if i % 2:  # every 0.5 in mu
                continue
            cells = []
            for name in names:
                d = per_b[name]
                cells.append(
                    f"{d['coverage_toys'][i]:.4f}+-{d['binomial_error'][i]:.4f} "
                    f"[{d['coverage_exact'][i]:.4f}]"
                )
            print(f"  {mu:4.1f} " + "".join(f"{c:>26s}" for c in cells))
        for name in names:
            exact = np.asarray(per_b[name]["coverage_exact"])
            print(f"  {name:>13s}: min exact coverage {exact.min():.4f}, mean {exact.mean():.4f}")


def plot(res: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bs = list(res["b"])
    fig, axes = plt.subplots(1, len(bs), figsize=(4.2 * len(bs), 3.8), sharey=True)
    styles = {
        "fc_published": ("FC (published tables)", "C0"),
        "fc_plain": ("FC (plain)", "C9"),
        "cls_exact": ("CLs (exact)", "C3"),
        "bayes_flat": ("Bayes, flat prior", "C2"),
    }
    mu = np.asarray(res["mu"])
    for ax, b in zip(axes, bs, strict=True):
        for name, (label, color) in styles.items():
            d = res["b"][b][name]
            ax.errorbar(
                mu,
                d["coverage_toys"],
                yerr=d["binomial_error"],
                fmt="o",
                ms=2.5,
                color=color,
                label=label,
                alpha=0.8,
            )
            ax.step(mu, d["coverage_exact"], where="mid", color=color, lw=0.6, alpha=0.6)
        ax.axhline(res["cl"], color="k", lw=0.8, ls="--")
        ax.set_title(f"b = {b}")
        ax.set_xlabel(r"true signal mean $\mu$ (events)")
        ax.set_ylim(0.8, 1.005)
    axes[0].set_ylabel("coverage")
    axes[0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--toys", type=int, default=20000)
    parser.add_argument("--cl", type=float, default=0.90)
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()
    t0 = time.perf_counter()
    res = study(args.toys, args.cl, args.seed)
    res["runtime_s"] = time.perf_counter() - t0
    res["platform"] = platform.platform()
    print_table(res)
    RESULTS.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS / "coverage_study.json"
    png_path = RESULTS / "coverage_study.png"
    json_path.write_text(json.dumps(res, indent=1))
    plot(res, png_path)
    print(f"\nruntime {res['runtime_s']:.1f} s; results written to {json_path} and {png_path}")


if __name__ == "__main__":
    main()
