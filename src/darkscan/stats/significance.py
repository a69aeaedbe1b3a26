"""Local significance of an excess and its look-elsewhere correction.

- :func:`local_significance`: asymptotic significance of a counting experiment per bin,
  optionally with an uncertain background (vectorised over bins).
- :func:`local_significance_scan`: discovery test statistic q0 from a pyhf template fit per
  mass hypothesis.
- :func:`global_significance`: Gross-Vitells upcrossing correction from the expected number
  of upcrossings at a low reference level; :func:`count_upcrossings` counts them in toys.
- :func:`global_p_value_toys`: brute-force global p-value from background-only pseudo-scans
  (any dimension, e.g. a 2D mass x lifetime scan).

Conventions: significances are one-sided, ``Z = Phi^{-1}(1 - p)``; the local p-value of the
q0 test is ``p = 1 - Phi(sqrt(q0))`` (q0 ~ 1/2 chi2_1 + 1/2 delta(0) under the background).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyhf
from scipy.special import xlogy
from scipy.stats import norm

from darkscan._validate import as_finite
from darkscan.errors import ConfigError
from darkscan.stats.templates import TemplateModel

__all__ = [
    "GlobalPValue",
    "count_upcrossings",
    "global_p_value_toys",
    "global_significance",
    "local_significance",
    "local_significance_scan",
]


def local_significance(n_obs, background, sigma_background=None):
    """Signed asymptotic significance of ``n_obs`` events over an expected ``background``.

    Without background uncertainty (Cowan et al. eq. 97 with ``s = n - b``)::

        Z = sign(n - b) sqrt(2 (n ln(n/b) - (n - b)))

    With an absolute background uncertainty ``sigma_b`` (treated as an auxiliary Poisson
    measurement ``m = tau b`` with ``tau = b / sigma_b^2``, b profiled; Cowan's formula with
    ``s = n - b``)::

        Z = sign(n - b) sqrt(2 [n ln(n (b + sigma_b^2) / (b^2 + n sigma_b^2))
                               - (b^2 / sigma_b^2) ln(1 + sigma_b^2 (n - b) / (b (b + sigma_b^2)))])

    Parameters
    ----------
    n_obs : array_like
        Observed number of events (>= 0; non-integer allowed, e.g. Asimov ``s + b``).
    background : array_like
        Expected background (> 0 events), broadcast against ``n_obs``.
    sigma_background : array_like, optional
        Absolute uncertainty of the background (>= 0 events); ``None`` or 0 means known.

    Returns
    -------
    numpy.ndarray or float
        Signed significance Z (negative for a deficit).

    References
    ----------
    G. Cowan, K. Cranmer, E. Gross, O. Vitells, arXiv:1007.1727, eq. (97).
    G. Cowan, "Discovery sensitivity for a counting experiment with background uncertainty"
    (RHUL note, 2012, www.pp.rhul.ac.uk/~cowan/stat/medsig/medsigNote.pdf), eq. (20)
    (there written for Asimov data ``n = s + b``).

    Examples
    --------
    >>> round(local_significance(20.0, 10.0), 4)
    2.7795
    >>> round(local_significance(10.0, 10.0), 4)
    0.0
    """
    n = np.asarray(as_finite("n_obs", n_obs, error=ConfigError), dtype=float)
    b = np.asarray(as_finite("background", background, error=ConfigError), dtype=float)
    if np.any(n < 0):
        raise ConfigError(f"n_obs must be >= 0 events, got min {n.min():g}")
    if np.any(b <= 0):
        raise ConfigError(f"background must be > 0 events, got min {b.min():g}")
    n, b = np.broadcast_arrays(n, b)
    q_known = 2.0 * (xlogy(n, n / b) - (n - b))
    if sigma_background is None:
        q = q_known
    else:
        sig = np.asarray(
            as_finite("sigma_background", sigma_background, error=ConfigError), dtype=float
        )
        if np.any(sig < 0):
            raise ConfigError(f"sigma_background must be >= 0 events, got min {sig.min():g}")
        n, b, sig = np.broadcast_arrays(n, b, sig)
        s2 = np.where(sig > 0, sig**2, 1.0)
        q_unc = 2.0 * (
            xlogy(n, n * (b + s2) / (b**2 + n * s2))
            - (b**2 / s2) * np.log1p(s2 * (n - b) / (b * (b + s2)))
        )
        q = np.where(sig > 0, q_unc, q_known)
    z = np.sign(n - b) * np.sqrt(np.clip(q, 0.0, None))
    return float(z) if z.ndim == 0 else z


def local_significance_scan(
    model: TemplateModel, signals: Sequence, observed
) -> tuple[np.ndarray, np.ndarray]:
    """Local significance of the excess per mass hypothesis from a pyhf template fit.

    For each signal template the discovery test statistic q0 (profile likelihood ratio at
    ``mu = 0`` with ``mu >= 0``) is computed with pyhf on the shared background model.

    Parameters
    ----------
    model : TemplateModel
        Background specification (see :class:`darkscan.stats.templates.TemplateModel`).
    signals : sequence of hist.Hist
        Signal templates, one per mass hypothesis.
    observed : hist.Hist or array_like
        Observed counts (unblinded data, or a pseudo-data set).

    Returns
    -------
    z, p : numpy.ndarray
        Local significance ``Z = sqrt(q0)`` and local p-value ``1 - Phi(Z)``, shape
        ``(n_signals,)``.

    References
    ----------
    G. Cowan, K. Cranmer, E. Gross, O. Vitells, arXiv:1007.1727, eq. (12) (q0; the number
    pyhf 0.7.6 cites for ``q0``) and ``Z0 = sqrt(q0)`` (quoted before as eq. (53); that
    equation number was not verified in the 2026-11 citation audit).
    """
    q0 = np.empty(len(signals))
    for k, signal in enumerate(signals):
        m = model.model(signal)
        data = model.data(m, observed)
        q0[k] = float(
            pyhf.infer.test_statistics.q0(
                0.0,
                data,
                m,
                m.config.suggested_init(),
                m.config.suggested_bounds(),
                m.config.suggested_fixed(),
            )
        )
    z = np.sqrt(np.clip(q0, 0.0, None))
    return z, norm.sf(z)


def count_upcrossings(z_scan, level):
    """Number of upcrossings of ``level`` along the last axis of ``z_scan``.

    An upcrossing is a pair of neighbouring points with ``z[i-1] < level <= z[i]``; a scan
    that starts above the level does not count (that case is the local p-value term of the
    Gross-Vitells formula).

    Parameters
    ----------
    z_scan : array_like
        Local significance along the scanned parameter (last axis); leading axes (e.g. toys)
        are kept.
    level : float or array_like
        Reference level ``u0`` in units of Z (broadcast against the leading axes).

    Returns
    -------
    numpy.ndarray or int
        Number of upcrossings.

    Examples
    --------
    >>> int(count_upcrossings([0.0, 1.2, 0.3, 1.5, 2.0, 0.1], 1.0))
    2
    """
    z = np.asarray(z_scan, dtype=float)
    u = np.asarray(level, dtype=float)[..., None]
    n = np.sum((z[..., :-1] < u) & (z[..., 1:] >= u), axis=-1)
    return int(n) if n.ndim == 0 else n


def global_significance(z_local, n_upcrossings_ref, u0):
    """Look-elsewhere corrected p-value and significance (Gross and Vitells).

    For a one-dimensional scan with one degree of freedom (q0 = Z^2)::

        p_global = p_local + <N(u0)> exp(-(Z_local^2 - u0^2) / 2),   p_local = 1 - Phi(Z_local)

    Davies' bound ``P(max q > c) <= P(q > c) + <N(c)>`` with the expected number of
    upcrossings scaling as ``<N(c)> = <N(c0)> exp(-(c - c0)/2)`` for one degree of freedom,
    ``c = Z^2``. For the one-sided q0 ``P(q0 > c) = 1/2 P(chi2_1 > c) = 1 - Phi(Z)``.

    Parameters
    ----------
    z_local : array_like
        Largest local significance of the scan (>= u0 for the formula to be meaningful).
    n_upcrossings_ref : array_like
        Expected (mean over background-only toys) number of upcrossings of the local
        significance above ``u0``; see :func:`count_upcrossings`.
    u0 : float
        Reference level in units of Z (low, e.g. 0.5-1, so that few toys suffice).

    Returns
    -------
    p_global, z_global : numpy.ndarray or float
        Global p-value (capped at 1) and the corresponding one-sided significance.

    References
    ----------
    E. Gross, O. Vitells, "Trial factors for the look elsewhere effect in high energy physics",
    Eur. Phys. J. C 70 (2010) 525, arXiv:1005.1891, eq. (3):
    ``P(q > c) <= P(chi2_s > c) + <N(c0)> (c/c0)^((s-1)/2) exp(-(c - c0)/2)``, here with
    s = 1 and the one-sided ``1/2 P(chi2_1 > c)``.
    R. B. Davies, Biometrika 74 (1987) 33.

    Examples
    --------
    >>> p, z = global_significance(3.0, 5.0, 1.0)
    >>> round(p, 4), round(z, 3)
    (0.0929, 1.323)
    """
    z = np.asarray(as_finite("z_local", z_local, error=ConfigError), dtype=float)
    n_ref = np.asarray(
        as_finite("n_upcrossings_ref", n_upcrossings_ref, error=ConfigError), dtype=float
    )
    u0 = float(as_finite("u0", u0, error=ConfigError))
    if np.any(n_ref < 0):
        raise ConfigError(f"n_upcrossings_ref must be >= 0, got min {n_ref.min():g}")
    p_local = norm.sf(z)
    p = np.minimum(p_local + n_ref * np.exp(-0.5 * (z**2 - u0**2)), 1.0)
    zg = norm.isf(p)
    if p.ndim == 0:
        return float(p), float(zg)
    return p, zg


@dataclass(frozen=True)
class GlobalPValue:
    """Global p-value from pseudo-experiments.

    Attributes
    ----------
    p_value : float
        Fraction of background-only toys whose largest local significance is >= observed.
    uncertainty : float
        Binomial standard error of ``p_value``.
    z_max : numpy.ndarray
        Largest local significance of each toy, shape ``(n_toys,)``.
    """

    p_value: float
    uncertainty: float
    z_max: np.ndarray

    @property
    def significance(self) -> float:
        """One-sided global significance ``Phi^{-1}(1 - p)``."""
        return float(norm.isf(self.p_value))


def global_p_value_toys(
    z_observed: float,
    scan_function: Callable[[np.random.Generator], np.ndarray],
    n_toys: int,
    rng: np.random.Generator,
) -> GlobalPValue:
    """Global p-value of the largest local significance from background-only pseudo-scans.

    Parameters
    ----------
    z_observed : float
        Largest local significance found in data.
    scan_function : callable
        ``scan_function(rng)`` draws one background-only pseudo-data set and returns the
        local significance at every scan point (any shape, e.g. ``(n_mass, n_lifetime)``).
    n_toys : int
        Number of pseudo-experiments.
    rng : numpy.random.Generator
        Source of randomness, passed to ``scan_function``.

    Returns
    -------
    GlobalPValue
        p-value, its binomial uncertainty, and the per-toy maxima.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> res = global_p_value_toys(10.0, lambda r: r.standard_normal(3), 100, rng)
    >>> res.p_value
    0.0
    """
    if int(n_toys) != n_toys or n_toys < 1:
        raise ConfigError(f"n_toys must be a positive integer, got {n_toys!r}")
    n_toys = int(n_toys)
    z_max = np.array([np.max(np.asarray(scan_function(rng), dtype=float)) for _ in range(n_toys)])
    p = float(np.mean(z_max >= float(z_observed)))
    return GlobalPValue(p_value=p, uncertainty=float(np.sqrt(p * (1 - p) / n_toys)), z_max=z_max)
