"""Standard-Model cross sections at B-factory energies.

Two things live here:

* :data:`SM_CROSS_SECTIONS`, the table of total production cross sections of the main
  Standard-Model processes at sqrt(s) = 10.58 GeV as used for Belle II simulation (Belle II
  Physics Book, arXiv:1808.10567, table of total production cross sections of physics
  processes; its table number could not be verified in the 2026-11 citation audit -- the
  paper text was not reachable with the tools available -- so none is quoted, and the
  values themselves are not re-verified either), shipped as a
  tuple of frozen :class:`SMCrossSection` records, with the accessor
  :func:`sm_cross_section`;
* :func:`born_mumu_cross_section`, the lowest-order QED cross section of
  e+e- -> mu+mu- (or any lepton pair) with the final-state mass kept exactly.

Cross sections are in fb (1 nb = 1e6 fb).

Examples
--------
>>> sm_cross_section("mumu") / 1e6  # nb
1.148
>>> round(born_mumu_cross_section(10.58) / 1e6, 4)  # nb
0.7759
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from darkscan._validate import non_negative, positive
from darkscan.constants import ALPHA_EM, GEV2_TO_FB, M_MU
from darkscan.errors import ConfigError

__all__ = [
    "SM_CROSS_SECTIONS",
    "SMCrossSection",
    "born_mumu_cross_section",
    "sm_cross_section",
]

_NB = 1.0e6  # fb per nb

#: Where the table comes from.
PHYSICS_BOOK = (
    "E. Kou et al. (Belle II), The Belle II Physics Book, PTEP 2019 123C01, "
    "arXiv:1808.10567, table of total production cross sections at sqrt(s) = 10.58 GeV"
)


@dataclass(frozen=True)
class SMCrossSection:
    """One Standard-Model process at sqrt(s) = 10.58 GeV.

    Attributes
    ----------
    process : str
        Short name used by :func:`sm_cross_section`, e.g. ``"mumu"``.
    label : str
        The process as written in the reference, e.g. ``"mu+mu-(gamma)"``.
    cross_section : float
        Total cross section in fb within ``cuts``.
    uncertainty : float or None
        Uncertainty in fb where the reference gives one (MC statistics for the generator
        values), else ``None``.
    generator : str
        Event generator that computed the value.
    cuts : str
        Generator-level selection the value refers to (``""`` for the full cross section).
    reference : str
        Source of the number.
    """

    process: str
    label: str
    cross_section: float
    uncertainty: float | None
    generator: str
    cuts: str
    reference: str = PHYSICS_BOOK


def _row(process, label, nb, unc_nb, generator, cuts=""):
    return SMCrossSection(
        process=process,
        label=label,
        cross_section=nb * _NB,
        uncertainty=None if unc_nb is None else unc_nb * _NB,
        generator=generator,
        cuts=cuts,
    )


#: Total production cross sections at sqrt(s) = 10.58 GeV (Belle II Physics Book,
#: arXiv:1808.10567, cross-section table). Values and cuts as quoted there; W_ll is the
#: minimum invariant mass of the lepton pairs, starred quantities are in the CM frame.
SM_CROSS_SECTIONS: tuple[SMCrossSection, ...] = (
    _row("upsilon4s", "Upsilon(4S)", 1.110, 0.008, "EvtGen"),
    _row("uubar", "u ubar(gamma)", 1.61, None, "KKMC"),
    _row("ddbar", "d dbar(gamma)", 0.40, None, "KKMC"),
    _row("ssbar", "s sbar(gamma)", 0.38, None, "KKMC"),
    _row("ccbar", "c cbar(gamma)", 1.30, None, "KKMC"),
    _row(
        "ee",
        "e+e-(gamma)",
        300.0,
        3.0,
        "BabaYaga@NLO",
        "10 deg < theta*_e < 170 deg, E*_e > 0.15 GeV",
    ),
    _row(
        "gammagamma",
        "gamma gamma(gamma)",
        4.99,
        0.05,
        "BabaYaga@NLO",
        "10 deg < theta*_gamma < 170 deg, E*_gamma > 0.15 GeV",
    ),
    _row("mumu", "mu+mu-(gamma)", 1.148, None, "KKMC"),
    _row("tautau", "tau+tau-(gamma)", 0.919, None, "KKMC"),
    _row("nunu", "nu nubar(gamma)", 0.25e-3, None, "KKMC"),
    _row("eeee", "e+e-e+e-", 39.7, 0.1, "AAFH", "W_ll > 0.5 GeV"),
    _row("eemumu", "e+e-mu+mu-", 18.9, 0.1, "AAFH", "W_ll > 0.5 GeV"),
)

_BY_NAME = {row.process: row for row in SM_CROSS_SECTIONS}


def sm_cross_section(process: str) -> float:
    """Total cross section in fb of a Standard-Model process at sqrt(s) = 10.58 GeV.

    Parameters
    ----------
    process : str
        One of the names in :data:`SM_CROSS_SECTIONS` (``"upsilon4s"``, ``"uubar"``,
        ``"ddbar"``, ``"ssbar"``, ``"ccbar"``, ``"ee"``, ``"gammagamma"``, ``"mumu"``,
        ``"tautau"``, ``"nunu"``, ``"eeee"``, ``"eemumu"``).

    Returns
    -------
    float
        Cross section in fb (within the generator-level cuts of the table row).

    Raises
    ------
    ConfigError
        If ``process`` is unknown; the message lists the allowed names.

    References
    ----------
    Belle II Physics Book, arXiv:1808.10567 (cross-section table).

    Examples
    --------
    >>> sm_cross_section("tautau") / 1e6
    0.919
    """
    try:
        return _BY_NAME[process].cross_section
    except (KeyError, TypeError):
        raise ConfigError(
            f"unknown Standard-Model process {process!r}; allowed: {', '.join(_BY_NAME)}"
        ) from None


def born_mumu_cross_section(sqrt_s, lepton_mass: float = M_MU):
    """Lowest-order QED cross section of e+e- -> l+l- in fb, final-state mass kept exactly.

    ``sigma = (4 pi alpha^2 / 3 s) * beta (3 - beta^2) / 2``, ``beta = sqrt(1 - 4 m^2/s)``
    (electron mass neglected, alpha in the Thomson limit, no Z exchange, no radiative
    corrections). Zero at and below threshold sqrt(s) <= 2 m; near threshold
    ``sigma -> (4 pi alpha^2/3s) * 3 beta / 2``; for beta -> 1 it tends to
    ``4 pi alpha^2 / 3 s`` = 86.8 nb / (s in GeV^2).

    Parameters
    ----------
    sqrt_s : float or array_like
        Centre-of-mass energy in GeV (> 0); broadcast.
    lepton_mass : float
        Mass of the final-state lepton in GeV (default: muon; use ``M_TAU`` for taus).

    Returns
    -------
    float or numpy.ndarray
        Cross section in fb.

    References
    ----------
    M. E. Peskin and D. V. Schroeder, An Introduction to Quantum Field Theory (1995),
    eq. (5.13): sigma = (4 pi alpha^2 / 3 E_cm^2) sqrt(1 - m^2/E^2) (1 + m^2/2E^2) with
    E = E_cm/2, identical to the form above. PDG review "Cross-section formulae for
    specific processes" (sigma = 86.8 nb / s[GeV^2] for beta -> 1).

    Examples
    --------
    >>> round(born_mumu_cross_section(2 * M_MU), 1)
    0.0
    """
    sqrt_s = positive("sqrt_s", sqrt_s, unit="GeV")
    mass = non_negative("lepton_mass", lepton_mass, unit="GeV")
    s = np.square(sqrt_s)
    beta2 = np.clip(1.0 - 4.0 * np.square(mass) / s, 0.0, None)
    beta = np.sqrt(beta2)
    point_like = 4.0 * math.pi * ALPHA_EM**2 / (3.0 * s) * GEV2_TO_FB
    sigma = point_like * beta * (3.0 - beta2) / 2.0
    return float(sigma) if np.ndim(sigma) == 0 else sigma
