"""Counting limits for a whole table of mass bins in one call (the ``darkscan limits`` job).

The table is the dict of columns returned by :func:`darkscan.io.read_limits_table`: per bin
``mass``, ``n_obs``, ``background``, ``efficiency``, ``luminosity`` and the relative
uncertainties ``rel_unc_<quantity>`` of shape (n_bins, n_sources).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from darkscan._validate import in_range
from darkscan.errors import ConfigError
from darkscan.stats.bayesian import bayesian_upper_limit
from darkscan.stats.frequentist import cls_upper_limit, expected_cls_limits, feldman_cousins

__all__ = ["METHODS", "limits_from_table"]

#: Limit methods offered for a table of counting experiments.
METHODS = {
    "bayes": "Bayesian, flat prior on sigma, Gaussian nuisances marginalised",
    "cls": "CLs, exact Poisson; background uncertainty averaged (Cousins-Highland), L/eps uncertainties not included",
    "cls-asymptotic": "CLs, asymptotic q~_mu (arXiv:1007.1727) with expected bands; background uncertainty profiled, L/eps uncertainties not included",
    "fc": "Feldman-Cousins interval (known background; systematics not included)",
}


def limits_from_table(
    table: Mapping[str, np.ndarray],
    *,
    method: str = "bayes",
    cl: float = 0.90,
    sigma_max: float = 1e5,
    combine_sources: bool = True,
) -> dict[str, np.ndarray]:
    """Upper limits on the signal cross section (fb) for every bin of a yields table.

    Parameters
    ----------
    table : mapping of column name to array
        As returned by :func:`darkscan.io.read_limits_table`.
    method : {"bayes", "cls", "cls-asymptotic", "fc"}
        See :data:`METHODS`.
    cl : float
        Credibility or confidence level, in (0, 1) (default 0.90).
    sigma_max : float
        Upper edge of the flat prior on sigma (fb), Bayesian method only.
    combine_sources : bool
        Add the sources of each quantity in quadrature (True) or keep them as separate
        nuisance parameters (False), Bayesian method only.

    Returns
    -------
    dict of numpy arrays
        ``mass``, ``upper_limit`` (fb), ``signal_events_limit`` (nominal signal events,
        ``upper_limit * L * eps``); for ``cls-asymptotic`` also ``expected_minus2`` ...
        ``expected_plus2`` (fb); for ``fc`` also ``lower_limit`` (fb).

    Examples
    --------
    >>> import numpy as np
    >>> t = {"mass": np.array([1.0]), "n_obs": np.array([0]), "background": np.array([0.0]),
    ...      "efficiency": np.array([1.0]), "luminosity": np.array([1.0])}
    >>> round(float(limits_from_table(t)["upper_limit"][0]), 4)
    2.3026
    """
    if method not in METHODS:
        raise ConfigError(f"unknown limit method {method!r}; allowed: {', '.join(METHODS)}")
    cl = in_range(
        "confidence level",
        cl,
        0.0,
        1.0,
        low_inclusive=False,
        high_inclusive=False,
        error=ConfigError,
    )
    n_obs = np.asarray(table["n_obs"])
    background = np.asarray(table["background"], dtype=float)
    lumi = np.asarray(table["luminosity"], dtype=float)
    eff = np.asarray(table["efficiency"], dtype=float)
    n_bins = n_obs.shape[0]
    empty = np.zeros((n_bins, 0))
    rel = {
        q: np.asarray(table.get(f"rel_unc_{q}", empty), dtype=float)
        for q in ("luminosity", "efficiency", "background")
    }
    out: dict[str, np.ndarray] = {"mass": np.asarray(table["mass"], dtype=float)}
    if method == "bayes":
        result = bayesian_upper_limit(
            n_obs,
            background,
            lumi,
            eff,
            rel_unc_luminosity=rel["luminosity"],
            rel_unc_efficiency=rel["efficiency"],
            rel_unc_background=rel["background"],
            combine=combine_sources,
            credibility=cl,
            sigma_max=sigma_max,
        )
        out["upper_limit"] = np.asarray(result.upper_limit)
    elif method in ("cls", "cls-asymptotic"):
        kind = "exact" if method == "cls" else "asymptotic"
        # The CLs counting model constrains the background only; L and eps uncertainties
        # are not included (stated in METHODS and shown by the CLI).
        rel_b = rel["background"]  # (n_bins, n_sources): combined in quadrature per bin
        out["upper_limit"] = np.asarray(
            cls_upper_limit(
                n_obs,
                background,
                rel_unc_background=rel_b,
                cl=cl,
                method=kind,
                luminosity=lumi,
                efficiency=eff,
            )
        )
        if kind == "asymptotic":
            bands = expected_cls_limits(
                background,
                rel_unc_background=rel_b,
                cl=cl,
                method="asymptotic",
                luminosity=lumi,
                efficiency=eff,
            )
            for name in ("minus2", "minus1", "median", "plus1", "plus2"):
                out[f"expected_{name}"] = np.asarray(getattr(bands, name))
    else:  # fc
        lower, upper = feldman_cousins(n_obs, background, cl=cl)
        scale = lumi * eff
        out["lower_limit"] = np.asarray(lower) / scale
        out["upper_limit"] = np.asarray(upper) / scale
    out["signal_events_limit"] = out["upper_limit"] * lumi * eff
    return out
