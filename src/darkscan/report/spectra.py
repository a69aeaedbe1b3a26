"""Spectra: stacked background histograms with signal and pseudo-data, and efficiency plots.

Backgrounds are stacked with ``mplhep.histplot(..., stack=True)``, signals are overlaid as
lines (not stacked), pseudo-data are drawn as points with Garwood (central, 68.27 %)
Poisson intervals. Every figure is written as PNG and PDF atomically.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import hist
import matplotlib.pyplot as plt
import mplhep
import numpy as np
from scipy import stats

from darkscan import _validate
from darkscan.errors import ConfigError
from darkscan.report.exclusion import SQRT_S_BELLE2, _experiment_label, save_figure

__all__ = [
    "draw_pseudo_data",
    "plot_signal_efficiency",
    "plot_spectrum",
    "poisson_interval",
]

#: Central 1-sigma coverage, 2 Phi(1) - 1.
ONE_SIGMA = float(stats.norm.cdf(1.0) - stats.norm.cdf(-1.0))


def poisson_interval(counts, coverage: float = ONE_SIGMA) -> tuple[np.ndarray, np.ndarray]:
    """Garwood central confidence interval for a Poisson mean given observed counts.

    lower = chi2.ppf(a/2, 2n)/2 (0 for n = 0), upper = chi2.ppf(1 - a/2, 2(n+1))/2 with
    a = 1 - coverage.

    Parameters
    ----------
    counts : array_like
        Observed counts (non-negative integers).
    coverage : float
        Central coverage (default 68.27 %).

    Returns
    -------
    (lower, upper) : numpy.ndarray
        Interval edges on the mean.

    References
    ----------
    F. Garwood, Biometrika 28 (1936) 437; N. Gehrels, ApJ 303 (1986) 336, Tables 1 and 2;
    PDG Review "Statistics" (2024), sec. 40.4.2.3.

    Examples
    --------
    >>> lo, hi = poisson_interval([0, 1])
    >>> [round(float(x), 3) for x in lo], [round(float(x), 3) for x in hi]
    ([0.0, 0.173], [1.841, 3.3])
    """
    n = np.asarray(_validate.non_negative("counts", counts), dtype=float)
    if np.any(n != np.floor(n)):
        raise ConfigError("counts must be integers for Poisson intervals")
    coverage = _validate.in_range(
        "coverage", coverage, 0.0, 1.0, low_inclusive=False, high_inclusive=False
    )
    alpha = 1.0 - coverage
    lower = np.where(n > 0, stats.chi2.ppf(alpha / 2, 2 * np.maximum(n, 1)) / 2, 0.0)
    upper = stats.chi2.ppf(1 - alpha / 2, 2 * (n + 1)) / 2
    return lower, upper


def draw_pseudo_data(expected: hist.Hist, rng: np.random.Generator) -> hist.Hist:
    """Poisson pseudo-data drawn bin by bin from the expected yields of ``expected``.

    Parameters
    ----------
    expected : hist.Hist
        One-dimensional histogram of expected events (e.g. the summed backgrounds).
    rng : numpy.random.Generator

    Returns
    -------
    hist.Hist
        Same axes, integer counts (Int64 storage), flow bins zero.
    """
    mu = np.asarray(expected.values(), dtype=float)
    mu = _validate.non_negative("expected events", mu)
    out = hist.Hist(*expected.axes, storage=hist.storage.Int64())
    out.view()[...] = rng.poisson(mu)
    return out


def _check_axes(name: str, h: hist.Hist, reference: hist.Hist) -> None:
    if h.ndim != 1:
        raise ConfigError(f"histogram {name!r} must be one-dimensional, got {h.ndim} axes")
    edges, ref = h.axes[0].edges, reference.axes[0].edges
    if edges.shape != ref.shape or not np.allclose(edges, ref):
        raise ConfigError(f"histogram {name!r} has different bin edges from the others")


def plot_spectrum(
    backgrounds: Mapping[str, hist.Hist],
    *,
    signals: Mapping[str, hist.Hist] | None = None,
    pseudo_data: hist.Hist | None = None,
    log_y: bool = True,
    xlabel: str = r"$M_\mathrm{recoil}$ [GeV]",
    ylabel: str = "Events / bin",
    lumi: float = 79.7,
    sqrt_s: float = SQRT_S_BELLE2,
    experiment: str = "Belle II",
    out_stem,
) -> list[Path]:
    """Stacked background spectra with signals overlaid and pseudo-data points.

    Parameters
    ----------
    backgrounds : mapping of str to hist.Hist
        One-dimensional histograms of expected events (scaled to ``lumi``) per background,
        stacked in the given order (first at the bottom).
    signals : mapping of str to hist.Hist, optional
        Signal histograms, drawn as lines on top of nothing (not stacked).
    pseudo_data : hist.Hist, optional
        Counts drawn as points with Garwood 68 % Poisson intervals
        (see :func:`draw_pseudo_data`). Real data must not be passed before unblinding.
    log_y : bool
        Logarithmic y axis.
    xlabel, ylabel : str
    lumi : float
        Luminosity in fb^-1 shown on the plot.
    sqrt_s : float
        GeV, shown on the plot.
    experiment : str
    out_stem : path
        Output path without suffix.

    Returns
    -------
    list of pathlib.Path
        The PNG and PDF files.
    """
    if not backgrounds:
        raise ConfigError("plot_spectrum: no background histograms given")
    names = list(backgrounds)
    reference = backgrounds[names[0]]
    for name, h in {**backgrounds, **(signals or {})}.items():
        _check_axes(name, h, reference)
    if pseudo_data is not None:
        _check_axes("pseudo_data", pseudo_data, reference)
    lumi = _validate.positive("lumi", lumi, unit="fb^-1")
    with plt.style.context(mplhep.style.ROOT):
        fig, ax = plt.subplots(figsize=(10, 8))
        try:
            mplhep.histplot(
                [backgrounds[n] for n in names],
                stack=True,
                histtype="fill",
                label=names,
                ax=ax,
                edgecolor="k",
                linewidth=0.5,
                flow="none",
            )
            total = np.sum([backgrounds[n].values() for n in names], axis=0)
            for k, (name, h) in enumerate((signals or {}).items()):
                mplhep.histplot(
                    h,
                    histtype="step",
                    label=name,
                    ax=ax,
                    linewidth=2.5,
                    linestyle=["-", "--", ":", "-."][k % 4],
                    color=f"C{(k + 5) % 10}",
                    yerr=False,
                    flow="none",
                )
            if pseudo_data is not None:
                counts = np.asarray(pseudo_data.values(), dtype=float)
                lo, hi = poisson_interval(counts)
                mplhep.histplot(
                    pseudo_data,
                    histtype="errorbar",
                    yerr=np.stack([counts - lo, hi - counts]),
                    color="k",
                    label="Pseudo-data",
                    ax=ax,
                    flow="none",
                )
            if log_y:
                ax.set_yscale("log")
                positive = total[total > 0]
                if positive.size:
                    ax.set_ylim(positive.min() * 0.3, positive.max() * 100.0)
            else:
                ax.set_ylim(0, 1.5 * max(float(total.max()), 1e-9))
            ax.set_xlim(reference.axes[0].edges[0], reference.axes[0].edges[-1])
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.legend(loc="upper right", fontsize=14, ncol=2, frameon=False)
            _experiment_label(
                ax,
                experiment=experiment,
                pseudo_data=pseudo_data is not None,
                lumi=lumi,
                sqrt_s=sqrt_s,
                text="Simulation, pseudo-data" if pseudo_data is not None else "Simulation",
            )
            fig.tight_layout()
            return save_figure(fig, out_stem)
        finally:
            plt.close(fig)


def plot_signal_efficiency(
    masses,
    efficiency,
    *,
    efficiency_unc=None,
    labels: str | list[str] = "signal efficiency",
    xlabel: str = r"$m_{Z'}$ [GeV]",
    log_x: bool = False,
    experiment: str = "Belle II",
    sqrt_s: float = SQRT_S_BELLE2,
    out_stem,
) -> list[Path]:
    """Signal efficiency versus mass (one or several curves), PNG and PDF.

    Parameters
    ----------
    masses : array_like
        Masses in GeV, shape (n,).
    efficiency : array_like
        Efficiencies in [0, 1], shape (n,) or (k, n) for k curves.
    efficiency_unc : array_like, optional
        Absolute uncertainties, same shape as ``efficiency`` (drawn as a shaded band).
    labels : str or list of str
        Legend entries (one per curve).
    xlabel : str
    log_x : bool
    experiment : str
    sqrt_s : float
        GeV, shown on the plot.
    out_stem : path

    Returns
    -------
    list of pathlib.Path
    """
    masses = np.atleast_1d(_validate.positive("masses", masses, unit="GeV")).astype(float)
    eff = np.atleast_2d(_validate.in_range("efficiency", efficiency, 0.0, 1.0))
    if eff.shape[1] != masses.size:
        raise ConfigError(
            f"efficiency has {eff.shape[1]} values per curve but there are {masses.size} masses"
        )
    unc = None
    if efficiency_unc is not None:
        unc = np.atleast_2d(_validate.non_negative("efficiency_unc", efficiency_unc))
        if unc.shape != eff.shape:
            raise ConfigError(f"efficiency_unc has shape {unc.shape}, expected {eff.shape}")
    labels = [labels] if isinstance(labels, str) else list(labels)
    if len(labels) != eff.shape[0]:
        raise ConfigError(f"{len(labels)} labels for {eff.shape[0]} efficiency curves")
    with plt.style.context(mplhep.style.ROOT):
        fig, ax = plt.subplots(figsize=(10, 8))
        try:
            for k, (curve, label) in enumerate(zip(eff, labels, strict=True)):
                ax.plot(masses, curve, marker="o", lw=2, label=label, color=f"C{k}")
                if unc is not None:
                    ax.fill_between(
                        masses,
                        np.clip(curve - unc[k], 0, 1),
                        np.clip(curve + unc[k], 0, 1),
                        color=f"C{k}",
                        alpha=0.3,
                        lw=0,
                    )
            if log_x:
                ax.set_xscale("log")
            ax.set_ylim(0, min(1.0, 1.4 * float(eff.max()) + 0.02))
            ax.set_xlabel(xlabel)
            ax.set_ylabel("Signal efficiency")
            ax.legend(loc="upper right", fontsize=14, frameon=False)
            mplhep.label.exp_label(
                exp=experiment,
                text="Simulation",
                data=True,
                loc=0,
                rlabel=f"\u221as = {sqrt_s:g} GeV",
                ax=ax,
                fontsize=20,
            )
            fig.tight_layout()
            return save_figure(fig, out_stem)
        finally:
            plt.close(fig)
