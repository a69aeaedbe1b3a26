r"""e+e- -> pi+ pi- (gamma): Born cross section with the pion form factor, ISR radiative return.

Born cross section
------------------
For a point-like scalar pair produced through one photon (scalar QED) times the time-like
pion form factor F_pi(s),

    d sigma / d cos(theta) = (pi alpha^2 beta_pi^3 / (4 s)) |F_pi(s)|^2 sin^2(theta),
    sigma(s)               = (pi alpha^2 beta_pi^3 / (3 s)) |F_pi(s)|^2,
    beta_pi                = sqrt(1 - 4 m_pi^2 / s),

(M. E. Peskin, D. V. Schroeder, *An Introduction to QFT* (1995), problem 5.2 / the
scalar-QED e+e- -> phi+ phi- result; with the form factor e.g. S. Actis et al., "Quest for
precision in hadronic cross sections at low energy", Eur. Phys. J. C 66 (2010) 585,
arXiv:0912.0749, eq. (2.1)). theta is the pi- polar angle to the e- beam in the pi pi rest
frame. |F_pi| comes from :func:`darkscan.models.hadronic_r.pion_form_factor`
(Kuehn-Santamaria / Gounaris-Sakurai rho-omega-rho' parametrisation); at the Belle II
energy it is tiny, so the sample is dominated by the radiative return to the rho.

Initial-state radiation
-----------------------
sigma(s) = int dx1 dx2 D(x1) D(x2) sigma_Born(x1 x2 s) with the Kuraev-Fadin structure
function of :mod:`darkscan.generate.isr`. Each beam radiates its energy (1 - x_i) E_beam
as one photon at a polar angle (:func:`darkscan.generate.isr.isr_photons_with_angles`:
exact four-momentum conservation, the pi pi system keeps the mass sqrt(x1 x2 s) and
recoils against the photons). The photon angles follow the O(alpha) law of
e+e- -> gamma + gamma* at the photon's energy fraction
(:func:`darkscan.generate.isr.hard_isr_photon_angle_cdf`, Binner-Kuehn-Melnikov
hep-ph/9902399 eq. 2): for the hard photons of the radiative return (x -> 1) the density at
large angle is up to two times smaller than the eikonal one. The energy fractions are drawn
first, so the energy spectrum and the cross section are those of the structure functions.
The radiative return to the rho (s' = x1 x2 s ~ 0.6 GeV^2 = 0.005 s) is a region of
the (x1, x2) plane that independent draws from D hardly reach, so the proposal is the mixture

    q(x1, x2) = lambda_0 D(x1) D(x2) + lambda_1 q_one(x1, x2) + lambda_2 q_both(x1, x2),

where q_one lets one beam (either, probability 1/2) keep x_o ~ D(x_o) (truncated to
x_o s >= s_min) and draws s' for the other from g(s') = (Cauchy at the rho mass + 1/s')
restricted to [s_min, x_o s], x_h = s' / (x_o s); and q_both (both beams radiate hard) draws
s' from g on [s_min, s] and the rapidity y of the pi pi system from a Gaussian around 0,
x_1,2 = sqrt(s'/s) e^(+-y) (unit Jacobian). q_both fills the corner in which the pi pi
system is nearly at rest in the lab and both pions reach the barrel.
The weight is D(x1) D(x2) sigma_Born / q times the photon-angle weight (exact for any
proposal), and events are unweighted against the largest weight of the pilot proposals
passing the cuts times a safety factor (overweight events are counted).

What is approximate: one photon per beam (the energy of all photons a beam radiates is
put into one; the angles of two photons are independent, the leading-logarithmic
factorisation, not the exact O(alpha^2) double-photon matrix element); the angular law is
the O(alpha) one but the mass terms inside the collinear cone (theta < ~m_e/E) only
approximately (O(1/ln(s/m_e^2)) ~ 5 % on the share of hard photons outside the cone);
the pi pi angular distribution in its rest frame is the Born sin^2 law about the beam axis,
not correlated with the photon direction; no vacuum polarisation beyond the form factor, no
FSR, no beam-energy spread. Cross-checks (tests): the cross section against an independent
quadrature of the D x D x sigma_Born integral within 1 %, fraction in 0.6 < M_pipi < 0.9 GeV
likewise, per-event momentum conservation, photon angles against the O(alpha) CDF.

References
----------
M. E. Peskin, D. V. Schroeder, *An Introduction to Quantum Field Theory* (1995), problem 5.2.
S. Actis et al., Eur. Phys. J. C 66 (2010) 585, arXiv:0912.0749, eq. (2.1) (Born cross
section with |F_pi|^2) and sec. 4 (radiative return).
S. Binner, J. H. Kuehn, K. Melnikov, Phys. Lett. B 459 (1999) 279, hep-ph/9902399, eq. 2
(photon angular distribution of e+e- -> gamma + hadrons).
G. Rodrigo, H. Czyz, J. H. Kuehn, M. Szopa, Eur. Phys. J. C 24 (2002) 71, hep-ph/0112184.
E. A. Kuraev, V. S. Fadin, Sov. J. Nucl. Phys. 41 (1985) 466 (structure function).
J. H. Kuehn, A. Santamaria, Z. Phys. C 48 (1990) 445 (form factor).

Examples
--------
>>> round(born_cross_section(0.775) / 1e6, 0)   # nb at the rho peak
1489.0
"""

from __future__ import annotations

import math

import numpy as np

from darkscan._validate import in_range, positive
from darkscan.constants import ALPHA_EM, GEV2_TO_FB, M_PI
from darkscan.errors import ConfigError
from darkscan.generate.event_record import Sample, events_from_flat, seed_record
from darkscan.generate.isr import (
    isr_beta,
    isr_photons_with_angles,
    sample_energy_fraction,
    structure_function_cdf,
)
from darkscan.lorentz import boost
from darkscan.models.hadronic_r import pion_form_factor

__all__ = [
    "born_cross_section",
    "d_sigma_born",
    "generate_pipi_gamma",
    "sample_cos_sin2",
]

GENERATOR_NAME = "darkscan.generate.processes.pipi_gamma"
#: rho(770) mass and width (GeV) used only to shape the importance-sampling proposal.
_M_RHO_PROPOSAL, _W_RHO_PROPOSAL = 0.775, 0.149
#: Width of the rapidity proposal of the pi pi system when both beams radiate.
_SIGMA_Y = 0.5


def _form_factor_sq(sqrt_s):
    return np.abs(pion_form_factor(sqrt_s)) ** 2


def d_sigma_born(sqrt_s, cos_theta):
    r"""d sigma(e+e- -> pi+ pi-)/d cos(theta) in fb at Born level (scalar QED x |F_pi|^2).

    (pi alpha^2 beta^3 / (4 s)) |F_pi(s)|^2 (1 - cos^2 theta); zero below 2 m_pi.

    Parameters
    ----------
    sqrt_s : array_like
        pi pi invariant mass in GeV.
    cos_theta : array_like
        Cosine of the pi- polar angle to the e- beam in the pi pi rest frame.

    Returns
    -------
    numpy.ndarray
        fb per unit cos(theta).

    References
    ----------
    Peskin & Schroeder (1995) problem 5.2; Actis et al., arXiv:0912.0749, eq. (2.1).

    >>> round(float(d_sigma_born(0.775, 0.0)) / 1e6, 1)  # nb at the rho peak, 90 deg
    1116.8
    """
    e = np.asarray(sqrt_s, dtype=float)
    c = np.asarray(cos_theta, dtype=float)
    s = e * e
    beta2 = np.clip(1.0 - 4.0 * M_PI**2 / np.where(s > 0, s, 1.0), 0.0, None)
    f2 = _form_factor_sq(np.maximum(e, 2.0 * M_PI))
    value = math.pi * ALPHA_EM**2 * beta2**1.5 / (4.0 * s) * f2 * (1.0 - c * c) * GEV2_TO_FB
    return np.where(e > 2.0 * M_PI, value, 0.0)


def born_cross_section(sqrt_s):
    r"""sigma(e+e- -> pi+ pi-) in fb at Born level: (pi alpha^2 beta^3 / (3 s)) |F_pi(s)|^2.

    Parameters
    ----------
    sqrt_s : float or array_like
        Centre-of-mass energy in GeV (> 0); zero at and below 2 m_pi.

    Returns
    -------
    float or numpy.ndarray
        Cross section in fb.

    References
    ----------
    Peskin & Schroeder (1995) problem 5.2; Actis et al., arXiv:0912.0749, eq. (2.1).

    >>> born_cross_section(0.2)
    0.0
    """
    e = positive("sqrt_s", sqrt_s, unit="GeV")
    out = d_sigma_born(e, 0.0) * 4.0 / 3.0
    return float(out) if np.ndim(out) == 0 else out


def sample_cos_sin2(rng: np.random.Generator, n: int) -> np.ndarray:
    """Draw cos(theta) from (3/4)(1 - c^2) on [-1, 1] exactly (inversion of the cubic CDF).

    The CDF (2 + 3c - c^3)/4 = u has the root c = 2 cos([arccos(1 - 2u) - 2 pi]/3) in
    [-1, 1] (trigonometric solution of the depressed cubic).

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Number of values.

    Returns
    -------
    numpy.ndarray (n,)
    """
    u = rng.random(n)
    return 2.0 * np.cos((np.arccos(1.0 - 2.0 * u) - 2.0 * math.pi) / 3.0)


# ------------------------------------------------------------------ hard-photon angular law
class _Proposal:
    """Mixture proposal of (x1, x2) for the radiative return (module docstring)."""

    def __init__(self, s: float, s_min: float, hard_fraction: float, central_fraction: float):
        self.s, self.s_min = s, s_min
        self.lam_c = central_fraction
        self.lam_b = hard_fraction
        self.lam = 1.0 - hard_fraction - central_fraction
        self.beta = isr_beta(s)
        self.z_min = s_min / s
        self.p_keep = 1.0 - structure_function_cdf(self.z_min, s)  # P(x_o >= z_min)
        m2, g = _M_RHO_PROPOSAL**2, _M_RHO_PROPOSAL * _W_RHO_PROPOSAL
        self.m2, self.g = m2, g
        # g(s') = a Cauchy(s'; m2, g) + b / s', each half of the mass on [s_min, s]
        self.a = 0.5 / (self._cauchy_cdf(s) - self._cauchy_cdf(s_min))
        self.b = 0.5 / math.log(s / s_min)

    def _cauchy_cdf(self, x):
        return np.arctan((np.asarray(x) - self.m2) / self.g) / math.pi

    def _g(self, sp):
        cauchy = self.g / math.pi / ((sp - self.m2) ** 2 + self.g**2)
        return self.a * cauchy + self.b / sp

    def _norm(self, upper):
        cauchy = self.a * (self._cauchy_cdf(upper) - self._cauchy_cdf(self.s_min))
        return cauchy, self.b * np.log(upper / self.s_min)

    def _d(self, x):
        b = self.beta / 2.0
        y = 1.0 - x
        with np.errstate(divide="ignore", invalid="ignore"):
            return b * y ** (b - 1.0) * (1.0 + 3.0 * self.beta / 8.0) - self.beta / 4.0 * (2.0 - y)

    def _h_over_d(self, x_h, x_o):
        """h(x_h | x_o) / (P D(x_h)); zero where D(x_h) is infinite or s' < s_min."""
        upper = x_o * self.s
        sp = x_h * upper
        c, lg = self._norm(np.maximum(upper, self.s_min * (1 + 1e-12)))
        h = self._g(np.maximum(sp, 1e-300)) * upper / (c + lg)
        d = self._d(x_h)
        ok = (x_h < 1.0) & (sp >= self.s_min) & np.isfinite(d) & (d > 0)
        return np.where(ok, h / np.where(ok, d * self.p_keep, 1.0), 0.0)

    def draw(self, rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
        x1 = sample_energy_fraction(rng, m, self.s)
        x2 = sample_energy_fraction(rng, m, self.s)
        pick = rng.random(m)
        central = pick >= 1.0 - self.lam_c
        hard = (pick >= self.lam) & ~central
        kc = int(np.count_nonzero(central))
        if kc:
            x1[central], x2[central] = self._draw_central(rng, kc)
        k = int(np.count_nonzero(hard))
        if k:
            # x_o ~ D truncated to x_o >= z_min (redraw the few below)
            x_o = sample_energy_fraction(rng, k, self.s)
            low = x_o < self.z_min
            while low.any():
                x_o[low] = sample_energy_fraction(rng, int(low.sum()), self.s)
                low = x_o < self.z_min
            upper = x_o * self.s
            c, lg = self._norm(upper)
            use_cauchy = rng.random(k) * (c + lg) < c
            u = rng.random(k)
            lo_c = self._cauchy_cdf(self.s_min)
            hi_c = self._cauchy_cdf(upper)
            sp_c = self.m2 + self.g * np.tan(math.pi * (lo_c + u * (hi_c - lo_c)))
            sp_l = self.s_min * np.exp(u * np.log(upper / self.s_min))
            sp = np.clip(np.where(use_cauchy, sp_c, sp_l), self.s_min, upper)
            x_h = np.clip(sp / upper, 0.0, 1.0)
            first = rng.random(k) < 0.5
            x1[hard] = np.where(first, x_h, x_o)
            x2[hard] = np.where(first, x_o, x_h)
        return x1, x2

    def _draw_central(self, rng: np.random.Generator, k: int):
        """Both beams radiate: s' ~ g on [s_min, s], rapidity y ~ N(0, sigma_y).

        x1, x2 = sqrt(z) e^(+y), sqrt(z) e^(-y) with z = s'/s (x > 1: outside, weight 0).
        """
        c_all, l_all = self._norm(self.s)
        use_cauchy = rng.random(k) * (c_all + l_all) < c_all
        u = rng.random(k)
        lo_c, hi_c = self._cauchy_cdf(self.s_min), self._cauchy_cdf(self.s)
        sp_c = self.m2 + self.g * np.tan(math.pi * (lo_c + u * (hi_c - lo_c)))
        sp_l = self.s_min * np.exp(u * math.log(self.s / self.s_min))
        sp = np.clip(np.where(use_cauchy, sp_c, sp_l), self.s_min, self.s)
        y = rng.normal(0.0, _SIGMA_Y, k)
        rz = np.sqrt(sp / self.s)
        return rz * np.exp(y), rz * np.exp(-y)  # x > 1: outside, weight 0

    def _q_central(self, x1, x2):
        """Density of the central component in (x1, x2): g(s') s N(y) (|d(x1,x2)/d(z,y)| = 1)."""
        z = x1 * x2
        sp = z * self.s
        ok = (sp >= self.s_min) & (x1 > 0) & (x2 > 0)
        y = 0.5 * np.log(np.where(ok, x1 / np.where(ok, x2, 1.0), 1.0))
        gauss = np.exp(-0.5 * (y / _SIGMA_Y) ** 2) / (math.sqrt(2 * math.pi) * _SIGMA_Y)
        c_all, l_all = self._norm(self.s)
        return np.where(ok, self._g(np.where(ok, sp, 1.0)) * self.s / (c_all + l_all) * gauss, 0.0)

    def weight_over_born(self, x1, x2) -> np.ndarray:
        """D(x1) D(x2) / q(x1, x2) (multiply by sigma_Born(x1 x2 s) for the weight)."""
        r = 0.5 * (self._h_over_d(x1, x2) + self._h_over_d(x2, x1))
        d1, d2 = self._d(x1), self._d(x2)
        finite = np.isfinite(d1) & np.isfinite(d2) & (d1 > 0) & (d2 > 0)
        rc = np.where(finite, self._q_central(x1, x2) / np.where(finite, d1 * d2, 1.0), 0.0)
        inside = (x1 <= 1.0) & (x2 <= 1.0)
        return np.where(inside, 1.0 / (self.lam + self.lam_b * r + self.lam_c * rc), 0.0)


def _propose(rng, m, *, sqrt_s, isr, proposal):
    s = sqrt_s * sqrt_s
    if isr:
        x1, x2 = proposal.draw(rng, m)
        s_hat = x1 * x2 * s
        w = proposal.weight_over_born(x1, x2)
    else:
        x1 = x2 = np.ones(m)
        s_hat = np.full(m, s)
        w = np.ones(m)
    ok = s_hat > 4.0 * M_PI**2
    e_hat = np.sqrt(np.where(ok, s_hat, 1.0))
    w = np.where(ok, w * born_cross_section(e_hat), 0.0)
    return w, x1, x2, e_hat


def _kinematics(rng, x1, x2, e_hat, sqrt_s):
    n = x1.size
    c = sample_cos_sin2(rng, n)
    phi = rng.uniform(0.0, 2.0 * math.pi, n)
    p = 0.5 * e_hat * np.sqrt(np.clip(1.0 - 4.0 * M_PI**2 / e_hat**2, 0.0, None))
    sn = np.sqrt(np.clip(1.0 - c * c, 0.0, None))
    e = 0.5 * e_hat
    pim = np.stack([e, p * sn * np.cos(phi), p * sn * np.sin(phi), p * c], axis=-1)
    pip = pim * np.array([1.0, -1.0, -1.0, -1.0])
    # photon angles from the O(alpha) law at each photon's energy fraction
    photons, bvec = isr_photons_with_angles(rng, x1, x2, sqrt_s, hard_law=True)
    pim = boost(pim, bvec)
    pip = boost(pip, bvec)
    return pim, pip, photons, np.ones(n)


def generate_pipi_gamma(
    collider,
    n_events: int,
    rng: np.random.Generator,
    *,
    isr: bool = True,
    cuts: dict | None = None,
    hard_fraction: float = 0.3,
    central_fraction: float = 0.3,
    n_pilot: int = 100_000,
    safety: float = 1.5,
) -> Sample:
    """Generate e+e- -> pi+ pi- (gamma) events: Born x |F_pi|^2 with ISR (radiative return).

    Parameters
    ----------
    collider : darkscan.beams.Collider
        Beam set-up (nominal sqrt(s), CM -> lab transformation; no energy spread).
    n_events : int
        Number of unweighted events (> 0) after ``cuts``.
    rng : numpy.random.Generator
        The only source of randomness.
    isr : bool
        Initial-state radiation (one photon per radiating beam, with angles, in the
        record). Without ISR the sample
        is the Born process at the nominal sqrt(s).
    cuts : dict, optional
        Generator-level cut ``{"theta_pi_lab": (lo, hi)}`` (rad, both pions, lab frame).
        The booked cross section is sigma times the accepted fraction.
    hard_fraction : float
        Share of proposals in which one beam radiates down to the rho (s' from the
        rho-shaped density), in [0, 1).
    central_fraction : float
        Share of proposals in which both beams radiate (s' from the same density, rapidity of
        the pi pi system Gaussian around 0: fills the pions-at-large-angle region), in
        [0, 1 - hard_fraction).
    n_pilot : int
        Proposals of the pilot run that fixes the unweighting envelope (>= 1000).
    safety : float
        Factor (>= 1) on the pilot's largest weight.

    Returns
    -------
    Sample
        Record per event: pi-, pi+, then the ISR photons of non-zero energy (e- side
        first). Lab frame. ``cross_section_fb``: MC estimate within ``cuts``.

    Raises
    ------
    ConfigError
        Bad ``n_events``, ``rng``, ``n_pilot`` or an unknown cut.
    PhysicsDomainError
        ``hard_fraction`` outside [0, 1), ``safety`` < 1, a cut range outside [0, pi].

    References
    ----------
    See the module docstring (Peskin & Schroeder; Actis et al. arXiv:0912.0749;
    Kuraev & Fadin 1985).

    Examples
    --------
    >>> from darkscan.beams import belle2
    >>> s = generate_pipi_gamma(belle2(), 100, np.random.default_rng(1), n_pilot=20_000)
    >>> s.n_events
    100
    """
    if isinstance(n_events, bool) or not isinstance(n_events, int | np.integer) or n_events <= 0:
        raise ConfigError(f"n_events = {n_events!r} must be a positive integer")
    if not isinstance(rng, np.random.Generator):
        raise ConfigError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if isinstance(n_pilot, bool) or not isinstance(n_pilot, int) or n_pilot < 1000:
        raise ConfigError(f"n_pilot = {n_pilot!r} must be an integer >= 1000")
    hard_fraction = in_range("hard_fraction", hard_fraction, 0.0, 1.0, high_inclusive=False)
    central_fraction = in_range(
        "central_fraction", central_fraction, 0.0, 1.0 - hard_fraction, high_inclusive=False
    )
    safety = in_range("safety", safety, 1.0, unit="")
    cuts = dict(cuts or {})
    unknown = set(cuts) - {"theta_pi_lab"}
    if unknown:
        raise ConfigError(f"unknown generator cut(s) {sorted(unknown)}; allowed: ['theta_pi_lab']")
    theta_cut = None
    if "theta_pi_lab" in cuts:
        lo, hi = (float(v) for v in cuts["theta_pi_lab"])
        in_range("theta_pi_lab[0]", lo, 0.0, math.pi, unit="rad")
        in_range("theta_pi_lab[1]", hi, lo, math.pi, unit="rad")
        theta_cut = (lo, hi)
    n = int(n_events)
    state = seed_record(rng)
    sqrt_s = float(collider.sqrt_s)
    s = sqrt_s * sqrt_s
    proposal = (
        _Proposal(s, 4.0 * M_PI**2 * (1.0 + 1e-9), hard_fraction, central_fraction) if isr else None
    )
    kw = {"sqrt_s": sqrt_s, "isr": isr, "proposal": proposal}

    def propose_and_filter(m):
        w, x1, x2, e_hat = _propose(rng, m, **kw)
        pim, pip, photons, w_angle = _kinematics(rng, x1, x2, e_hat, sqrt_s)
        w = w * w_angle
        lab = collider.to_lab(np.stack([pim, pip, photons[:, 0], photons[:, 1]], axis=1))
        passed = w > 0.0
        if theta_cut is not None:
            for j in (0, 1):
                th = np.arctan2(np.hypot(lab[:, j, 1], lab[:, j, 2]), lab[:, j, 3])
                passed &= (th >= theta_cut[0]) & (th <= theta_cut[1])
        return w, lab, passed

    # envelope: largest weight of the pilot proposals that pass the cuts (all if none pass)
    pilot, _, pilot_pass = propose_and_filter(n_pilot)
    w_env = pilot[pilot_pass] if pilot_pass.any() else pilot
    max_weight = safety * float(w_env.max()) if isr else float(w_env.max())
    sum_w, sum_w2, n_prop, n_over, n_kept = 0.0, 0.0, 0, 0, 0
    kept: list[tuple] = []
    rate = 0.05
    for _ in range(100_000):
        m = int(min(max(1.2 * (n - n_kept) / rate + 64, 4096), 2_000_000))
        w, lab, passed = propose_and_filter(m)
        w_pass = np.where(passed, w, 0.0)
        accept = passed & (rng.random(m) * max_weight < w)
        idx = np.flatnonzero(accept)
        if n_kept + idx.size >= n:  # stop at the n-th kept proposal: count only up to it
            idx = idx[: n - n_kept]
            m_used = int(idx[-1]) + 1
        else:
            m_used = m
        sum_w += float(w_pass[:m_used].sum())
        sum_w2 += float(np.sum(w_pass[:m_used] ** 2))
        n_prop += m_used
        n_over += int(np.sum(w[idx] > max_weight))
        kept.append(lab[idx])
        n_kept += idx.size
        rate = max(n_kept / n_prop, 1e-5)
        if n_kept >= n:
            break
    else:  # pragma: no cover
        raise ConfigError(f"pi pi gamma generator kept {n_kept} of {n} events")
    lab = np.concatenate(kept)
    sigma = sum_w / n_prop
    sigma_err = math.sqrt(max(sum_w2 / n_prop - sigma * sigma, 0.0) / n_prop)
    has_photon = lab[:, 2:, 0] > 0.0
    counts = 2 + has_photon.sum(axis=1)
    keep = np.concatenate([np.ones((n, 2), dtype=bool), has_photon], axis=1).reshape(-1)
    flat4 = lab.reshape(-1, 4)[keep]
    pdg = np.broadcast_to(np.array([-211, 211, 22, 22], dtype=np.int32), (n, 4)).reshape(-1)[keep]
    flat = {"pdg": pdg, "E": flat4[:, 0], "px": flat4[:, 1], "py": flat4[:, 2], "pz": flat4[:, 3]}
    events = events_from_flat(flat, counts, np.full(n, sigma / n))
    return Sample(
        events=events,
        process="e+e- -> pi+ pi- (gamma)",
        model_parameters={
            "model": "scalar QED x |F_pi|^2 (Kuehn-Santamaria), ISR radiative return"
        },
        generator=GENERATOR_NAME,
        generator_settings={
            "collider": collider.name,
            "sqrt_s": sqrt_s,
            "isr": bool(isr),
            "hard_fraction": hard_fraction,
            "central_fraction": central_fraction,
            "n_proposals": n_prop,
            "max_weight": max_weight,
            "n_overweight": n_over,
            "energy_spread": False,
            "isr_photons": (
                "ISR photons with eikonal angles, reweighted to the O(alpha) hard-photon "
                "law (hep-ph/9902399 eq. 2)"
                if isr
                else "none"
            ),
        },
        seed=state,
        cross_section_fb=sigma,
        cross_section_uncertainty_fb=sigma_err,
        generator_cuts={"s_hat_min": 4.0 * M_PI**2, **{k: list(v) for k, v in cuts.items()}},
        weighted=False,
    )
