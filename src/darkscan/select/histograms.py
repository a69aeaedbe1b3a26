"""Weighted ``hist`` histograms of the recoil mass, with resolution-driven binning.

Histograms use ``Weight`` storage (sum of weights and sum of squared weights, so every bin
carries its Monte-Carlo variance) and are filled with ``weight x luminosity``: a bin's value
is the expected number of events in the given integrated luminosity (events are weighted in
fb, the luminosity is in fb^-1). Under- and overflow bins are kept, so
:func:`expected_yield` of a histogram equals ``L * sum(weight)`` of the filled events.

Mass bins follow the detector resolution: :func:`mass_bins_from_resolution` makes every
bin ``k`` resolutions wide, as a resonance search scans the recoil-mass spectrum with
windows of a fixed number of sigma (Belle II, PRL 124, 141801 (2020), arXiv:1912.11276:
recoil-mass windows of a width set by the resolution).

References
----------
H. Schreiner et al., ``hist`` / ``boost-histogram`` (Scikit-HEP), doi:10.5281/zenodo.4057112.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import hist
import numpy as np

from darkscan._validate import as_finite, non_negative, positive
from darkscan.errors import ConfigError, PhysicsDomainError

__all__ = [
    "expected_yield",
    "mass_bins_from_resolution",
    "recoil_histograms",
    "recoil_mass_histogram",
    "recoil_mass_squared_theta_histogram",
]


def mass_bins_from_resolution(
    m_min: float,
    m_max: float,
    sigma_of_m: Callable[[np.ndarray], np.ndarray],
    width_in_sigma: float = 2.0,
    *,
    n_grid: int = 20_001,
) -> np.ndarray:
    """Bin edges on [m_min, m_max] with every bin about ``width_in_sigma`` resolutions wide.

    With u(M) = integral_{m_min}^{M} dm / (k sigma(m)) (k = ``width_in_sigma``), the edges
    are the masses where u takes the values i U / n, i = 0..n, with U = u(m_max) and
    n = max(1, round(U)). A bin [M_i, M_i+1] therefore satisfies
    integral dm / sigma = k U / n, i.e. its width is k sigma(M) (to first order in the
    variation of sigma across the bin) times the common factor U/n, which lies within
    1 +- 1/(2n) of one. The first and last edges are exactly m_min and m_max. u(M) is
    integrated by the trapezoidal rule on ``n_grid`` points and inverted by linear
    interpolation (vectorised, no loop over bins).

    Parameters
    ----------
    m_min, m_max : float
        Mass range in GeV (m_min < m_max; m_min may be negative for a signed recoil mass).
    sigma_of_m : callable
        Vectorised resolution sigma(M) in GeV, positive and finite on the range.
    width_in_sigma : float
        Bin width in units of sigma (> 0), e.g. 2.
    n_grid : int
        Integration points (>= 2).

    Returns
    -------
    numpy.ndarray
        Increasing bin edges in GeV.

    Examples
    --------
    >>> e = mass_bins_from_resolution(0.0, 1.0, lambda m: 0.05 + 0 * m, 2.0)
    >>> len(e) - 1, round(float(e[1] - e[0]), 6)
    (10, 0.1)
    """
    m_min = as_finite("m_min", m_min)
    m_max = as_finite("m_max", m_max)
    if not m_max > m_min:
        raise PhysicsDomainError(
            f"mass range must have m_max > m_min, got m_min = {m_min:g} GeV, m_max = {m_max:g} GeV"
        )
    k = positive("width_in_sigma", width_in_sigma)
    if int(n_grid) < 2:
        raise ConfigError(f"n_grid must be >= 2, got {n_grid!r}")
    grid = np.linspace(m_min, m_max, int(n_grid))
    sigma = np.broadcast_to(np.asarray(sigma_of_m(grid), dtype=np.float64), grid.shape)
    if not np.all(np.isfinite(sigma)) or np.any(sigma <= 0):
        bad = sigma[~(np.isfinite(sigma) & (sigma > 0))][0]
        raise PhysicsDomainError(
            f"resolution sigma(M) must be positive and finite on [{m_min:g}, {m_max:g}] GeV, "
            f"got {bad:g} GeV"
        )
    density = 1.0 / (k * sigma)
    u = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]) * np.diff(grid))])
    total = u[-1]
    n_bins = max(1, round(total))
    edges = np.interp(np.linspace(0.0, total, n_bins + 1), u, grid)
    edges[0], edges[-1] = m_min, m_max
    return edges


def _weights(values, weights, luminosity) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(values, dtype=np.float64)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != x.shape:
        raise ConfigError(f"weights shape {w.shape} does not match values shape {x.shape}")
    lumi = non_negative("luminosity", luminosity, unit="fb^-1", error=ConfigError)
    return x, w * lumi


def _edges(edges, what: str) -> np.ndarray:
    e = np.asarray(edges, dtype=np.float64)
    if e.ndim != 1 or e.size < 2 or not np.all(np.diff(e) > 0):
        raise ConfigError(f"{what} must be at least two strictly increasing edges, got {e!r}")
    return e


def recoil_mass_histogram(
    recoil_mass, weights=None, *, edges, luminosity: float = 1.0
) -> hist.Hist:
    """Histogram of the (signed) recoil mass in GeV, filled with weight x luminosity.

    Parameters
    ----------
    recoil_mass : array_like
        M_rec per selected event in GeV.
    weights : array_like, optional
        Event weights in fb (default 1).
    edges : array_like
        Bin edges in GeV (e.g. from :func:`mass_bins_from_resolution`).
    luminosity : float
        Integrated luminosity in fb^-1.

    Returns
    -------
    hist.Hist
        One ``Variable`` axis ``recoil_mass`` (with flow bins), ``Weight`` storage.

    Examples
    --------
    >>> h = recoil_mass_histogram([0.5, 1.5, 9.0], [1.0, 2.0, 3.0], edges=[0, 1, 2],
    ...                           luminosity=2.0)
    >>> h.values().tolist(), expected_yield(h)
    ([2.0, 4.0], 12.0)
    """
    x, w = _weights(recoil_mass, weights, luminosity)
    h = hist.Hist(
        hist.axis.Variable(_edges(edges, "edges"), name="recoil_mass", label="M_rec [GeV]"),
        storage=hist.storage.Weight(),
    )
    h.fill(recoil_mass=x, weight=w)
    return h


def recoil_mass_squared_theta_histogram(
    recoil_mass_squared,
    recoil_theta,
    weights=None,
    *,
    mass_squared_edges,
    theta_edges,
    luminosity: float = 1.0,
) -> hist.Hist:
    """2D histogram of M_rec^2 (GeV^2) in bins of the recoil polar angle (rad).

    Parameters
    ----------
    recoil_mass_squared : array_like
        M_rec^2 per selected event in GeV^2.
    recoil_theta : array_like
        Recoil polar angle in rad (lab or CM, as chosen by the caller).
    weights : array_like, optional
        Event weights in fb (default 1).
    mass_squared_edges, theta_edges : array_like
        Bin edges in GeV^2 and rad.
    luminosity : float
        Integrated luminosity in fb^-1.

    Returns
    -------
    hist.Hist
        Axes ``recoil_mass_squared`` and ``recoil_theta`` (with flow), ``Weight`` storage.
    """
    x, w = _weights(recoil_mass_squared, weights, luminosity)
    t = np.asarray(recoil_theta, dtype=np.float64)
    if t.shape != x.shape:
        raise ConfigError(f"recoil_theta shape {t.shape} does not match {x.shape}")
    h = hist.Hist(
        hist.axis.Variable(
            _edges(mass_squared_edges, "mass_squared_edges"),
            name="recoil_mass_squared",
            label="M_rec^2 [GeV^2]",
        ),
        hist.axis.Variable(
            _edges(theta_edges, "theta_edges"), name="recoil_theta", label="theta_rec [rad]"
        ),
        storage=hist.storage.Weight(),
    )
    h.fill(recoil_mass_squared=x, recoil_theta=t, weight=w)
    return h


def expected_yield(h: hist.Hist, *, flow: bool = True) -> float:
    """Sum of bin values (expected events), including under/overflow by default."""
    return float(np.sum(h.values(flow=flow)))


def recoil_histograms(
    table: Mapping[str, Any],
    mask=None,
    *,
    mass_edges,
    mass_squared_edges,
    theta_edges,
    luminosity: float = 1.0,
    weights=None,
    theta_variable: str = "recoil_theta",
) -> dict[str, hist.Hist]:
    """Fill the recoil-mass histograms of the selected events of a variables table.

    Parameters
    ----------
    table : mapping
        Output of :func:`darkscan.select.kinematics.dimuon_variables` (``recoil_mass``,
        ``recoil_mass_squared``, ``theta_variable``, ``weight``).
    mask : array_like of bool, optional
        Selected events (e.g. from :meth:`darkscan.select.cuts.Selection.apply`).
    mass_edges, mass_squared_edges, theta_edges : array_like
        Bin edges (GeV, GeV^2, rad).
    luminosity : float
        fb^-1.
    weights : array_like, optional
        Per-event weights replacing ``table["weight"]`` (e.g. MVA evaluation weights).
    theta_variable : str
        ``recoil_theta`` (lab) or ``recoil_theta_cms``.

    Returns
    -------
    dict
        ``{"recoil_mass": Hist, "recoil_mass_squared_theta": Hist}``.
    """
    w = np.asarray(table["weight"] if weights is None else weights, dtype=np.float64)
    m = np.ones(w.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if m.shape != w.shape:
        raise ConfigError(f"mask shape {m.shape} does not match {w.shape}")
    return {
        "recoil_mass": recoil_mass_histogram(
            np.asarray(table["recoil_mass"])[m], w[m], edges=mass_edges, luminosity=luminosity
        ),
        "recoil_mass_squared_theta": recoil_mass_squared_theta_histogram(
            np.asarray(table["recoil_mass_squared"])[m],
            np.asarray(table[theta_variable])[m],
            w[m],
            mass_squared_edges=mass_squared_edges,
            theta_edges=theta_edges,
            luminosity=luminosity,
        ),
    }
