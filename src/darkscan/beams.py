"""Collider setups, CM <-> lab Lorentz transformations and luminosity bookkeeping.

A :class:`Collider` is a small frozen dataclass holding the two beam energies, the half
crossing angle and the beam-energy spreads. It knows the beam four-momenta in the lab,
the invariant mass sqrt(s), the boost of the centre-of-mass (CM) frame, and transforms
four-momenta (arrays of shape ``(..., 4)`` ordered ``(E, px, py, pz)``) between the lab and
the CM frame. Generators produce events in the CM frame and call :meth:`Collider.to_lab`.

Lab-frame convention (Belle II / basf2)
---------------------------------------
The lab z axis is the detector (solenoid) axis. With half crossing angle ``alpha`` the
e- beam moves along ``(sin alpha, 0, cos alpha)`` and the e+ beam along
``(sin alpha, 0, -cos alpha)``: both beams are tilted towards +x, so the total momentum, and
with it the CM boost, has a small +x component. This is the convention of the basf2
``SuperKEKB`` beam-parameter preset (``angleXHER = +0.0415``, ``angleXLER = -0.0415``
meaning ``pi - 0.0415``). For a fixed target (PADME) the e+ beam moves along +z and the
electron is at rest; the crossing angle must then be zero.

CM-frame convention
-------------------
The CM frame is reached from the lab by (1) the pure boost with velocity
``-boost_vector`` (the beams then collide back to back with zero total momentum), followed
by (2) the rotation, about the axis ``d x z``, that turns the e- direction ``d`` onto +z.
In the CM frame the e- beam moves along +z and the e+ beam along -z, each with energy
sqrt(s)/2 (for equal masses). :meth:`Collider.to_lab` is the exact inverse.

Examples
--------
>>> b = belle2()
>>> round(b.sqrt_s, 4)
10.5739
>>> round(b.beta_gamma, 3)
0.287
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from darkscan._validate import in_range, non_negative, positive
from darkscan.constants import ALPHA_EM, HBARC_GEV_CM, M_E, pdg_mass
from darkscan.errors import ConfigError, PhysicsDomainError

__all__ = [
    "COLLIDERS",
    "Collider",
    "babar",
    "belle2",
    "get_collider",
    "integrated_luminosity_per_day",
    "kloe",
    "padme",
    "superkekb_luminosity",
    "symmetric",
]

#: Elementary charge in coulomb (SI, exact since 2019).
_E_CHARGE = 1.602176634e-19
#: Classical electron radius r_e = alpha hbar c / (m_e c^2) in cm (2.8179e-13 cm).
_R_E = ALPHA_EM * HBARC_GEV_CM / M_E
#: 1 fb^-1 = 1e39 cm^-2.
_CM2_PER_INVERSE_FB = 1.0e39
_SECONDS_PER_DAY = 86400.0


def _boost_matrix(beta: np.ndarray) -> np.ndarray:
    """4x4 matrix of the pure Lorentz boost giving a particle at rest the velocity ``beta``.

    Acting on column four-vectors ``(E, px, py, pz)``:
    ``E' = gamma (E + beta.p)``, ``p' = p + [(gamma - 1)(beta.p)/beta^2 + gamma E] beta``
    (J. D. Jackson, Classical Electrodynamics, 3rd ed., eq. 11.19).
    """
    beta = np.asarray(beta, dtype=float)
    b2 = float(beta @ beta)
    out = np.eye(4)
    if b2 == 0.0:
        return out
    gamma = 1.0 / math.sqrt(1.0 - b2)
    out[0, 0] = gamma
    out[0, 1:] = gamma * beta
    out[1:, 0] = gamma * beta
    out[1:, 1:] += (gamma - 1.0) * np.outer(beta, beta) / b2
    return out


def _rotation_onto_z(direction: np.ndarray) -> np.ndarray:
    """3x3 rotation matrix turning the unit vector ``direction`` onto +z (Rodrigues formula).

    An anti-parallel ``direction`` is turned by pi about the y axis.
    """
    d = np.asarray(direction, dtype=float)
    d = d / np.linalg.norm(d)
    z = np.array([0.0, 0.0, 1.0])
    v = np.cross(d, z)
    s = float(np.linalg.norm(v))
    c = float(d @ z)
    if s < 1e-15:
        return np.eye(3) if c > 0 else np.diag([-1.0, 1.0, -1.0])
    vx = np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])
    return np.eye(3) + vx + vx @ vx * ((1.0 - c) / s**2)


def _as_four_momenta(p4, what: str) -> tuple[np.ndarray, np.dtype]:
    """Return ``p4`` as a float64 array of shape (..., 4) and the dtype to hand back."""
    arr = np.asarray(p4)
    if arr.ndim == 0 or arr.shape[-1] != 4:
        raise ConfigError(
            f"{what} must be four-momenta of shape (..., 4) ordered (E, px, py, pz), "
            f"got shape {arr.shape}"
        )
    out_dtype = arr.dtype if arr.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    return arr.astype(np.float64, copy=False), out_dtype


@dataclass(frozen=True)
class Collider:
    """An e+e- collider (or e+ on a fixed target) and its lab <-> CM kinematics.

    Parameters
    ----------
    name : str
        Name of the machine, e.g. ``"SuperKEKB/Belle II"``.
    e_minus_energy : float
        Lab energy of the e- beam in GeV (fixed target: the electron at rest, ``M_E``).
    e_plus_energy : float
        Lab energy of the e+ beam in GeV.
    half_crossing_angle : float
        Angle in rad that each beam makes with the lab z axis, in [0, pi/4); see the
        module docstring for the orientation (Belle II convention).
    e_minus_energy_spread, e_plus_energy_spread : float
        Gaussian rms spread of the beam energies in GeV (>= 0).
    fixed_target : bool
        True for an e+ beam on electrons at rest (PADME); then ``e_minus_energy`` must be
        the electron mass, its spread zero and the crossing angle zero.

    Raises
    ------
    PhysicsDomainError
        A beam energy below the electron mass, a negative spread or a crossing angle outside
        [0, pi/4).
    ConfigError
        An empty name or an inconsistent fixed-target set-up.

    Examples
    --------
    >>> b = babar()
    >>> round(b.sqrt_s, 3), round(b.beta_gamma, 3)
    (10.564, 0.558)
    """

    name: str
    e_minus_energy: float
    e_plus_energy: float
    half_crossing_angle: float = 0.0
    e_minus_energy_spread: float = 0.0
    e_plus_energy_spread: float = 0.0
    fixed_target: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"collider name must be a non-empty string, got {self.name!r}")
        where = f" (collider {self.name!r})"
        for field_name in ("e_minus_energy", "e_plus_energy"):
            value = in_range(field_name + where, getattr(self, field_name), M_E, unit="GeV")
            object.__setattr__(self, field_name, float(value))
        angle = in_range(
            "half_crossing_angle" + where,
            self.half_crossing_angle,
            0.0,
            math.pi / 4,
            high_inclusive=False,
            unit="rad",
        )
        object.__setattr__(self, "half_crossing_angle", float(angle))
        for field_name in ("e_minus_energy_spread", "e_plus_energy_spread"):
            value = non_negative(field_name + where, getattr(self, field_name), unit="GeV")
            object.__setattr__(self, field_name, float(value))
        object.__setattr__(self, "fixed_target", bool(self.fixed_target))
        if self.fixed_target:
            if not math.isclose(self.e_minus_energy, M_E, rel_tol=1e-9):
                raise ConfigError(
                    f"fixed-target collider {self.name!r}: e_minus_energy must be the electron "
                    f"mass {M_E:.9g} GeV (electron at rest), got {self.e_minus_energy:g} GeV"
                )
            if self.e_minus_energy_spread != 0.0 or self.half_crossing_angle != 0.0:
                raise ConfigError(
                    f"fixed-target collider {self.name!r}: e_minus_energy_spread and "
                    f"half_crossing_angle must be 0, got {self.e_minus_energy_spread:g} GeV "
                    f"and {self.half_crossing_angle:g} rad"
                )
        elif self.e_minus_energy <= M_E or self.e_plus_energy <= M_E:
            raise PhysicsDomainError(
                f"beam energies{where} must exceed the electron mass {M_E:.6g} GeV for a "
                f"colliding-beam machine, got {self.e_minus_energy:g} and "
                f"{self.e_plus_energy:g} GeV"
            )

    # ------------------------------------------------------------------ beam directions
    @cached_property
    def _directions(self) -> tuple[np.ndarray, np.ndarray]:
        """Unit vectors of the e- and e+ beam directions in the lab."""
        if self.fixed_target:
            return np.zeros(3), np.array([0.0, 0.0, 1.0])
        a = self.half_crossing_angle
        return (
            np.array([math.sin(a), 0.0, math.cos(a)]),
            np.array([math.sin(a), 0.0, -math.cos(a)]),
        )

    def _cos_opening(self) -> float:
        """Cosine of the angle between the two beam momenta (-cos(2 alpha) for colliding beams)."""
        d_minus, d_plus = self._directions
        return float(d_minus @ d_plus)

    def _s_of(self, e_minus, e_plus):
        """Invariant mass squared in GeV^2 for beam energies ``e_minus``, ``e_plus`` (arrays)."""
        p_minus = np.sqrt(np.maximum(np.square(e_minus) - M_E**2, 0.0))
        p_plus = np.sqrt(np.maximum(np.square(e_plus) - M_E**2, 0.0))
        return 2.0 * M_E**2 + 2.0 * (e_minus * e_plus - p_minus * p_plus * self._cos_opening())

    # ------------------------------------------------------------------ properties
    @property
    def p_e_minus(self) -> np.ndarray:
        """Lab four-momentum (E, px, py, pz) of the e- beam in GeV, shape (4,)."""
        p = math.sqrt(max(self.e_minus_energy**2 - M_E**2, 0.0))
        return np.concatenate([[self.e_minus_energy], p * self._directions[0]])

    @property
    def p_e_plus(self) -> np.ndarray:
        """Lab four-momentum (E, px, py, pz) of the e+ beam in GeV, shape (4,)."""
        p = math.sqrt(self.e_plus_energy**2 - M_E**2)
        return np.concatenate([[self.e_plus_energy], p * self._directions[1]])

    @property
    def p_total(self) -> np.ndarray:
        """Total lab four-momentum of the two beams in GeV, shape (4,)."""
        return self.p_e_minus + self.p_e_plus

    @property
    def s(self) -> float:
        """Invariant mass squared s = (p_e- + p_e+)^2 in GeV^2 (electron masses and crossing
        angle included)."""
        return float(self._s_of(self.e_minus_energy, self.e_plus_energy))

    @property
    def sqrt_s(self) -> float:
        """Centre-of-mass energy sqrt(s) in GeV."""
        return math.sqrt(self.s)

    @property
    def boost_vector(self) -> np.ndarray:
        """Velocity beta = p_total / E_total of the CM frame in the lab, shape (3,)."""
        p = self.p_total
        return p[1:] / p[0]

    @property
    def gamma(self) -> float:
        """Lorentz factor gamma = E_total / sqrt(s) of the CM frame in the lab."""
        return float(self.p_total[0] / self.sqrt_s)

    @property
    def beta_gamma(self) -> float:
        """beta*gamma = |p_total| / sqrt(s) of the CM frame in the lab."""
        return float(np.linalg.norm(self.p_total[1:]) / self.sqrt_s)

    @property
    def sqrt_s_spread(self) -> float:
        """Gaussian rms of sqrt(s) in GeV from the beam-energy spreads (linear propagation).

        ``sigma^2 = sum_i (d sqrt(s)/d E_i)^2 sigma_i^2`` with
        ``d s / d E_1 = 2 (E_2 - (E_1/p_1) p_2 cos theta_12)``; for head-on massless beams
        this is ``sigma/sqrt(s) = (1/2) sqrt((s_1/E_1)^2 + (s_2/E_2)^2)``.
        """
        e1, e2 = self.e_minus_energy, self.e_plus_energy
        p1 = math.sqrt(max(e1**2 - M_E**2, 0.0))
        p2 = math.sqrt(e2**2 - M_E**2)
        c12 = self._cos_opening()
        variance = 0.0
        if self.e_minus_energy_spread > 0.0:
            ds_de1 = 2.0 * (e2 - e1 / p1 * p2 * c12)
            variance += (ds_de1 / (2.0 * self.sqrt_s) * self.e_minus_energy_spread) ** 2
        if self.e_plus_energy_spread > 0.0:
            ds_de2 = 2.0 * (e1 - (e2 / p2 * p1 * c12 if p1 > 0.0 else 0.0))
            variance += (ds_de2 / (2.0 * self.sqrt_s) * self.e_plus_energy_spread) ** 2
        return math.sqrt(variance)

    # ------------------------------------------------------------------ frame changes
    @cached_property
    def _cms_rotation(self) -> np.ndarray:
        """4x4 rotation (after the boost by -boost_vector) turning the e- direction onto +z."""
        e_minus_boosted = _boost_matrix(-self.boost_vector) @ self.p_e_minus
        rotation = np.eye(4)
        rotation[1:, 1:] = _rotation_onto_z(e_minus_boosted[1:])
        return rotation

    @cached_property
    def _to_cms_matrix(self) -> np.ndarray:
        """4x4 matrix lab -> CM: boost by -boost_vector, then rotate e- onto +z."""
        return self._cms_rotation @ _boost_matrix(-self.boost_vector)

    @cached_property
    def _to_lab_matrix(self) -> np.ndarray:
        """4x4 matrix CM -> lab: the exact inverse B(beta) R^T of :attr:`_to_cms_matrix`."""
        return _boost_matrix(self.boost_vector) @ self._cms_rotation.T

    def to_cms(self, p4_lab) -> np.ndarray:
        """Transform lab four-momenta to the CM frame (convention: module docstring).

        Parameters
        ----------
        p4_lab : array_like, shape (..., 4)
            Four-momenta (E, px, py, pz) in GeV in the lab frame; float32 or float64.

        Returns
        -------
        numpy.ndarray
            Same shape and floating dtype (float64 for integer input), in the CM frame.

        Examples
        --------
        >>> b = belle2()
        >>> [round(float(x), 6) for x in b.to_cms(b.p_e_minus)]
        [5.286947, 0.0, 0.0, 5.286947]
        """
        arr, dtype = _as_four_momenta(p4_lab, "p4_lab")
        return (arr @ self._to_cms_matrix.T).astype(dtype, copy=False)

    def to_lab(self, p4_cms) -> np.ndarray:
        """Transform CM-frame four-momenta to the lab frame (inverse of :meth:`to_cms`).

        Parameters
        ----------
        p4_cms : array_like, shape (..., 4)
            Four-momenta (E, px, py, pz) in GeV in the CM frame; float32 or float64.

        Returns
        -------
        numpy.ndarray
            Same shape and floating dtype (float64 for integer input), in the lab frame.
        """
        arr, dtype = _as_four_momenta(p4_cms, "p4_cms")
        return (arr @ self._to_lab_matrix.T).astype(dtype, copy=False)

    # ------------------------------------------------------------------ sampling
    def sample_sqrt_s(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values of sqrt(s) in GeV with Gaussian beam-energy spreads.

        Each beam energy is drawn from a normal distribution (mean: nominal energy, rms: the
        spread; truncated at the electron mass) and sqrt(s) is computed exactly with the
        fixed beam directions.

        Parameters
        ----------
        rng : numpy.random.Generator
            Source of randomness.
        n : int
            Number of values (>= 0).

        Returns
        -------
        numpy.ndarray, shape (n,)
        """
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
            raise ConfigError(f"n must be a non-negative integer, got {n!r}")
        e_minus = rng.normal(self.e_minus_energy, self.e_minus_energy_spread, size=n)
        e_plus = rng.normal(self.e_plus_energy, self.e_plus_energy_spread, size=n)
        e_minus = np.maximum(e_minus, M_E)
        e_plus = np.maximum(e_plus, M_E)
        return np.sqrt(self._s_of(e_minus, e_plus))

    # ------------------------------------------------------------------ bookkeeping
    def events(self, cross_section, luminosity):
        """Expected number of events N = sigma * L.

        Parameters
        ----------
        cross_section : float or array_like
            Cross section in fb (>= 0).
        luminosity : float or array_like
            Integrated luminosity in fb^-1 (>= 0).

        Returns
        -------
        float or numpy.ndarray
            Expected number of events (broadcast shape).

        Examples
        --------
        >>> belle2().events(1.0e3, 50.0)
        50000.0
        """
        sigma = non_negative("cross_section", cross_section, unit="fb")
        lumi = non_negative("luminosity", luminosity, unit="fb^-1")
        return sigma * lumi

    def luminosity(self, n_events, cross_section):
        """Integrated luminosity L = N / sigma in fb^-1 equivalent to ``n_events`` events.

        Parameters
        ----------
        n_events : float or array_like
            Number of events (>= 0).
        cross_section : float or array_like
            Cross section in fb (> 0).

        Returns
        -------
        float or numpy.ndarray
            Luminosity in fb^-1.

        Examples
        --------
        >>> belle2().luminosity(1.0e6, 1.0e6)
        1.0
        """
        n = non_negative("n_events", n_events)
        sigma = positive("cross_section", cross_section, unit="fb")
        return n / sigma


# ---------------------------------------------------------------------- machines
def belle2() -> Collider:
    """SuperKEKB for Belle II: 7.0 GeV e- (HER) x 4.0 GeV e+ (LER), 41.5 mrad half angle.

    The beam energies are the SuperKEKB design values; the beam-energy spreads (5.13 MeV
    HER, 2.375 MeV LER) are those of the ``SuperKEKB`` preset used by Belle II simulation.
    sqrt(s) = 2 sqrt(E1 E2) cos(alpha) = 10.573 GeV and beta*gamma = 0.287 (the Belle II
    Physics Book quotes beta*gamma = 0.28).

    References
    ----------
    Belle II TDR, T. Abe et al., arXiv:1011.0352 (beam energies, 83 mrad crossing angle).
    Belle II Physics Book, E. Kou et al., PTEP 2019 123C01, arXiv:1808.10567 (beta*gamma).
    basf2, ``generators/scripts/beamparameters.py``, preset ``"SuperKEKB"``
    (``energyHER = 7``, ``energyLER = 4``, ``angleXHER = 0.0415``, ``angleXLER = -0.0415``,
    ``covHER = 0.00513**2``, ``covLER = 0.002375**2`` GeV^2; checked in the 2026-11
    citation audit against github.com/belle2/basf2 at commit 7bd551e7883e; older versions,
    e.g. 08e24870423c, name the angles ``angleHER``/``angleLER``, same values).
    The Physics Book value beta*gamma = 0.28 was not re-checked in that audit.
    """
    return Collider(
        name="SuperKEKB/Belle II",
        e_minus_energy=7.0,
        e_plus_energy=4.0,
        half_crossing_angle=0.0415,
        e_minus_energy_spread=5.13e-3,
        e_plus_energy_spread=2.375e-3,
    )


def babar() -> Collider:
    """PEP-II for BaBar: 9.0 GeV e- x 3.1 GeV e+, head-on; sqrt(s) = 10.56 GeV, beta*gamma = 0.56.

    Beam-energy spreads are not modelled (set to zero); pass your own via
    :class:`Collider` if needed.

    References
    ----------
    BaBar Collaboration, B. Aubert et al., Nucl. Instrum. Meth. A 479 (2002) 1,
    arXiv:hep-ex/0105044 (PEP-II: 9.0 GeV e- on 3.1 GeV e+, beta*gamma = 0.56).
    """
    return Collider(name="PEP-II/BaBar", e_minus_energy=9.0, e_plus_energy=3.1)


def symmetric(
    sqrt_s: float,
    name: str = "symmetric",
    half_crossing_angle: float = 0.0,
    energy_spread: float = 0.0,
) -> Collider:
    """A symmetric machine with equal beam energies giving exactly ``sqrt_s``.

    With masses kept, ``s = 4 E^2 cos^2(alpha) + 4 m_e^2 sin^2(alpha)``, so
    ``E = sqrt((s - 4 m_e^2 sin^2 alpha) / (4 cos^2 alpha))``.

    Parameters
    ----------
    sqrt_s : float
        Centre-of-mass energy in GeV (> 2 m_e).
    name : str
        Machine name.
    half_crossing_angle : float
        Half crossing angle in rad (Belle II orientation convention).
    energy_spread : float
        Gaussian rms of each beam energy in GeV.

    Examples
    --------
    >>> round(symmetric(3.0).e_minus_energy, 6)
    1.5
    """
    sqrt_s = in_range("sqrt_s", sqrt_s, 2.0 * M_E, low_inclusive=False, unit="GeV")
    alpha = in_range(
        "half_crossing_angle",
        half_crossing_angle,
        0.0,
        math.pi / 4,
        high_inclusive=False,
        unit="rad",
    )
    energy = math.sqrt(
        (sqrt_s**2 - 4.0 * M_E**2 * math.sin(alpha) ** 2) / (4.0 * math.cos(alpha) ** 2)
    )
    return Collider(
        name=name,
        e_minus_energy=energy,
        e_plus_energy=energy,
        half_crossing_angle=alpha,
        e_minus_energy_spread=energy_spread,
        e_plus_energy_spread=energy_spread,
    )


def kloe() -> Collider:
    """DAFNE for KLOE at sqrt(s) = m_phi = 1.019 GeV, 12.5 mrad half crossing angle.

    The beams cross at 25 mrad in the horizontal plane, giving the phi a momentum of
    about 13 MeV along +x. Beam-energy spreads are not modelled (zero).

    References
    ----------
    P. Branchini (KLOE), Nucl. Phys. A 752 (2005) 175c ("small angle (25 mrad)
    collisions ... p_phi ~ 13 MeV/c"); P. Franzini and M. Moulson, Ann. Rev. Nucl. Part.
    Sci. 56 (2006) 207, arXiv:hep-ex/0606033. m_phi from the PDG via ``particle``.
    """
    return symmetric(pdg_mass(333), name="DAFNE/KLOE", half_crossing_angle=0.0125)


def padme(beam_energy: float = 0.282) -> Collider:
    """PADME: an e+ beam of ``beam_energy`` GeV on electrons at rest.

    ``sqrt(s) = sqrt(2 m_e (E_beam + m_e))``: 16.4-17.4 MeV for E_beam = 262-296 MeV.

    Parameters
    ----------
    beam_energy : float
        Total lab energy of the positron beam in GeV.

    References
    ----------
    PADME Collaboration, F. Bossi et al., arXiv:2505.24797 (Run III: E_beam = 262-296 MeV,
    sqrt(s) = 16.4-17.4 MeV); beam energy spread below 0.25 % (arXiv:2405.07203), not
    modelled here (zero). Fixed-target kinematics: s = 2 m_e^2 + 2 E_beam m_e (PDG review
    "Kinematics").

    Examples
    --------
    >>> round(padme(0.282).sqrt_s * 1e3, 2)
    16.98
    """
    beam_energy = in_range("beam_energy (PADME)", beam_energy, M_E, low_inclusive=False, unit="GeV")
    return Collider(
        name="PADME",
        e_minus_energy=M_E,
        e_plus_energy=beam_energy,
        fixed_target=True,
    )


#: Named collider factories: ``COLLIDERS["belle2"]()`` returns a fresh :class:`Collider`.
COLLIDERS: dict[str, Callable[[], Collider]] = {
    "belle2": belle2,
    "babar": babar,
    "kloe": kloe,
    "padme": padme,
}


def get_collider(name: str) -> Collider:
    """Return the collider registered under ``name`` (see :data:`COLLIDERS`).

    Raises
    ------
    ConfigError
        If ``name`` is not one of the registered names.

    Examples
    --------
    >>> get_collider("belle2").name
    'SuperKEKB/Belle II'
    """
    try:
        factory = COLLIDERS[name]
    except (KeyError, TypeError):
        raise ConfigError(
            f"unknown collider {name!r}; allowed: {', '.join(sorted(COLLIDERS))}"
        ) from None
    return factory()


# ---------------------------------------------------------------------- luminosity
def superkekb_luminosity(
    beam_energy,
    beam_current,
    beam_beam_xi_y,
    beta_y_star,
    sigma_y_over_sigma_x=0.0,
    reduction_ratio=1.0,
):
    """Instantaneous luminosity from the KEKB/SuperKEKB beam-beam formula.

    ``L = gamma/(2 e r_e) * (1 + sigma_y*/sigma_x*) * (I xi_y / beta_y*) * (R_L / R_xi_y)``,
    evaluated with the parameters of one beam (either ring; they agree for a balanced
    design). Vectorised over all arguments.

    Parameters
    ----------
    beam_energy : float or array_like
        Energy of the beam in GeV (gamma = E / m_e).
    beam_current : float or array_like
        Stored beam current in A.
    beam_beam_xi_y : float or array_like
        Vertical beam-beam parameter (dimensionless).
    beta_y_star : float or array_like
        Vertical beta function at the interaction point in cm.
    sigma_y_over_sigma_x : float or array_like
        Ratio of vertical to horizontal beam size at the IP (~0.005 in the nano-beam
        scheme).
    reduction_ratio : float or array_like
        R_L / R_xi_y, the ratio of the luminosity and beam-beam reduction factors from the
        crossing angle and the hourglass effect (1 = no reduction).

    Returns
    -------
    float or numpy.ndarray
        Luminosity in cm^-2 s^-1.

    References
    ----------
    Belle II TDR, T. Abe et al., arXiv:1011.0352, machine chapter (luminosity formula);
    Y. Ohnishi et al., "Accelerator design at SuperKEKB", PTEP 2013 03A011 (the formula is
    in its introduction; the equation number "(1)" quoted here before could not be verified
    in the 2026-11 citation audit, nor the design parameters of its Table 1 used in the
    doctest and tests, except beta_y* = 0.27 / 0.30 mm (LER / HER) and the design
    L = 8e35 cm^-2 s^-1, confirmed by D. Zhou et al., arXiv:2306.02692, Sec. 1, and
    Y. Ohnishi, arXiv:1904.10236, Sec. 1).
    e = 1.602176634e-19 C; r_e = alpha hbar c / m_e.

    Examples
    --------
    >>> f"{superkekb_luminosity(4.0, 3.6, 0.0881, 0.027):.3e}"
    '1.018e+36'
    """
    energy = in_range("beam_energy", beam_energy, M_E, unit="GeV")
    current = non_negative("beam_current", beam_current, unit="A")
    xi_y = non_negative("beam_beam_xi_y", beam_beam_xi_y)
    beta_y = positive("beta_y_star", beta_y_star, unit="cm")
    aspect = non_negative("sigma_y_over_sigma_x", sigma_y_over_sigma_x)
    ratio = non_negative("reduction_ratio", reduction_ratio)
    gamma = energy / M_E
    return gamma / (2.0 * _E_CHARGE * _R_E) * (1.0 + aspect) * current * xi_y / beta_y * ratio


def integrated_luminosity_per_day(instantaneous_luminosity, live_fraction=1.0):
    """Integrated luminosity in fb^-1 delivered per day at a given instantaneous luminosity.

    ``L_day = L * 86400 s * live_fraction / (1e39 cm^-2 per fb^-1)``.

    Parameters
    ----------
    instantaneous_luminosity : float or array_like
        Luminosity in cm^-2 s^-1 (>= 0).
    live_fraction : float or array_like
        Fraction of the day the luminosity is delivered and recorded, in [0, 1].

    Returns
    -------
    float or numpy.ndarray
        fb^-1 per day.

    Examples
    --------
    >>> round(integrated_luminosity_per_day(8e35), 2)  # SuperKEKB design
    69.12
    """
    lumi = non_negative("instantaneous_luminosity", instantaneous_luminosity, unit="cm^-2 s^-1")
    fraction = in_range("live_fraction", live_fraction, 0.0, 1.0)
    return lumi * _SECONDS_PER_DAY * fraction / _CM2_PER_INVERSE_FB
