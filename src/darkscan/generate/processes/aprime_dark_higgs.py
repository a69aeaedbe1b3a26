r"""Generator for dark Higgsstrahlung e+e- -> A' h', A' -> mu+ mu-, h' invisible.

Hard process (tree level, m_e -> 0, narrow A'). The s-channel A'* couples to the electron
current with eps e and to A' h' with the vertex 2 g_D m_A' g^{mu nu} (dark Higgs of unit
charge). For e-(p1) e+(p2) -> A'(k) h' the polarisation sum -g + k k/m_A'^2 contracted with
the electron tensor L = 4 [p1 p2 + p2 p1 - g s/2] gives

    sum_pol |M|^2  ~  L_{mu nu}(-g^{mu nu} + k^mu k^nu / m_A'^2) = 2 s [2 + |k|^2 sin^2 theta / m_A'^2],

so that, with lambda = lambda(1, m_A'^2/s, m_h'^2/s), r = m_A'^2/s and |k|^2 = lambda s/4,

    d sigma/d cos theta = sigma (3/4) [lambda sin^2 theta + 8 r] / (lambda + 12 r)
                        = sigma (3/4) [4 r (1 + cos^2 theta) + (lambda + 4 r) sin^2 theta]
                                       / (lambda + 12 r),

theta the A' angle to the e- beam: the first term is the transversely polarised A' (1 + cos^2),
the second the longitudinal one (sin^2, fraction (lambda + 4 r)/(lambda + 12 r) of sigma, the
analogue of e+e- -> Z h). The integral is the total of :meth:`DarkHiggs.cross_section`,
sigma = pi alpha alpha_D eps^2/(3 s) sqrt(lambda)(lambda + 12 r)/(1 - r)^2 (Batell, Pospelov,
Ritz, arXiv:0903.0363, sec. 3; the tests check both the integral and the angular shape
against an explicit numerical tensor contraction).

A' -> mu+ mu- with the full spin correlation. With the on-shell A' the muon current is
conserved, k_alpha ell^{alpha beta} = 0, so the A' polarisation sum reduces to -g and the
complete 2 -> 3 squared amplitude is proportional to the e+e- -> mu+mu- contraction
(Peskin & Schroeder eq. (5.10)), W = (p1.k1)(p2.k2) + (p1.k2)(p2.k1) + m_mu^2 (p1.p2), k1 (k2)
the mu- (mu+) momentum. Given the production angle, the mu- direction in the A' rest frame is
drawn from W by accept-reject against W <= (p1.k)(p2.k) + m_mu^2 (p1.p2). Integrated over the
production angles this is f_L (1 - beta^2 cos^2 theta*) + (1 - f_L)(1 + beta^2 cos^2 theta* /
(2 - beta^2)) in the helicity frame, f_L = (lambda + 4 r)/(lambda + 12 r), beta the muon
velocity (tested). The A' decays at a vertex drawn from its lifetime (visible width of
:meth:`DarkHiggs.aprime_width`), usually prompt.

h': only m_h' < m_A' is generated (``DarkHiggs.decay_regime() == "invisible"``): the h' is
long-lived and escapes (``is_invisible`` True, stored with the PDG code 54 of a spin-0
mediator, Belle II arXiv:2207.00509).

Optional ISR and beam-energy spread as in :mod:`darkscan.generate.isr`; finally
``collider.to_lab``. Event record: A' (``is_final`` False), h', mu- and mu+ (mother 0, at the
A' decay vertex), then with ISR the photons from the e- and the e+.

References
----------
B. Batell, M. Pospelov, A. Ritz, Phys. Rev. D 79 (2009) 115008, arXiv:0903.0363, sec. 3.
BaBar, Phys. Rev. Lett. 108 (2012) 211801, arXiv:1202.1313.
Belle II, Phys. Rev. Lett. 130 (2023) 071804, arXiv:2207.00509 (A' -> mu mu + invisible h').
M. E. Peskin, D. V. Schroeder, *An Introduction to QFT* (1995), eq. (5.10) and sec. 21.1
(massive vector polarisation sum).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from darkscan._validate import below_threshold, in_range
from darkscan.constants import ALPHA_EM, GEV2_TO_FB, HBARC_GEV_CM, M_MU
from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.generate.event_record import (
    PDG_ALP,
    PDG_APRIME,
    Sample,
    events_from_arrays,
    seed_record,
)
from darkscan.generate.isr import (
    convolve_isr,
    isr_photons_with_angles,
    sample_partonic_collisions,
)
from darkscan.generate.phasespace import boost, sample_decay_displacement
from darkscan.lorentz import kallen

__all__ = [
    "PDG_DARK_HIGGS",
    "d_sigma_aprime_dark_higgs",
    "generate_aprime_dark_higgs",
    "sigma_hat_aprime_dark_higgs",
]

GENERATOR_NAME = "darkscan.generate.processes.aprime_dark_higgs"
#: PDG code used for the dark Higgs h' (spin-0 mediator, codes 51-60 of the PDG scheme).
PDG_DARK_HIGGS = PDG_ALP


def sigma_hat_aprime_dark_higgs(s_hat, m_aprime, m_dark_higgs, epsilon, alpha_dark):
    """sigma(e+e- -> A' h') in fb at squared energy ``s_hat`` (GeV^2), vectorised over s_hat.

    pi alpha alpha_D eps^2/(3 s) sqrt(lambda)(lambda + 12 r)/(1 - r)^2, zero below threshold.

    References
    ----------
    Batell, Pospelov, Ritz, arXiv:0903.0363, sec. 3 (as :meth:`DarkHiggs.cross_section`).

    >>> round(float(sigma_hat_aprime_dark_higgs(10.58**2, 1.0, 3.0, 1e-3, 0.1)), 3)
    2.297
    """
    s = np.asarray(s_hat, dtype=float)
    r = m_aprime**2 / s
    lam = kallen(1.0, r, m_dark_higgs**2 / s)
    open_ = (lam > 0) & (s > (m_aprime + m_dark_higgs) ** 2)
    lam = np.where(open_, lam, 0.0)
    sigma = (
        math.pi * ALPHA_EM * alpha_dark * epsilon**2 / (3.0 * s)
        * np.sqrt(lam) * (lam + 12.0 * r) / (1.0 - r) ** 2
    )  # fmt: skip
    return np.where(open_, sigma * GEV2_TO_FB, 0.0)


def d_sigma_aprime_dark_higgs(s_hat, cos_theta, m_aprime, m_dark_higgs, epsilon, alpha_dark):
    """d sigma(e+e- -> A' h')/d cos(theta) in fb, theta the A' angle to the e- beam.

    sigma (3/4) [lambda (1 - c^2) + 8 r] / (lambda + 12 r) (module docstring).

    >>> round(float(d_sigma_aprime_dark_higgs(10.58**2, 0.0, 1.0, 0.5, 1e-3, 0.1)), 4)
    2.1057
    """
    s = np.asarray(s_hat, dtype=float)
    c = np.asarray(cos_theta, dtype=float)
    r = m_aprime**2 / s
    lam = np.clip(kallen(1.0, r, m_dark_higgs**2 / s), 0.0, None)
    sigma = sigma_hat_aprime_dark_higgs(s, m_aprime, m_dark_higgs, epsilon, alpha_dark)
    return sigma * 0.75 * (lam * (1.0 - c * c) + 8.0 * r) / (lam + 12.0 * r)


def _muon_momenta(rng, aprime, e_beam, m_a: float, max_rounds: int = 1000):
    """mu- and mu+ momenta (hard frame) of A' -> mu+ mu- drawn from W (module docstring).

    ``aprime`` (n, 4) in the hard frame with the beams along +-z, ``e_beam`` (n,) the beam
    energy sqrt(s_hat)/2 in that frame (massless beams: p1.k = E (k0 - kz), p2.k = E (k0 + kz)).
    Accept-reject of an isotropic proposal in the A' rest frame against
    W_max = (p1.k)(p2.k) + m_mu^2 p1.p2 >= W.
    """
    n = aprime.shape[0]
    k_star = math.sqrt(0.25 * m_a * m_a - M_MU**2)
    e_mu = 0.5 * m_a
    mu_minus = np.empty((n, 4))
    mu_plus = np.empty((n, 4))
    beta = aprime[:, 1:] / aprime[:, :1]
    pending = np.arange(n)
    n_proposed = 0
    for _ in range(max_rounds):
        m = pending.size
        n_proposed += m
        cos = rng.uniform(-1.0, 1.0, m)
        phi = rng.uniform(0.0, 2.0 * math.pi, m)
        sin = np.sqrt(1.0 - cos * cos)
        d = k_star * np.stack([sin * np.cos(phi), sin * np.sin(phi), cos], axis=-1)
        energy = np.full((m, 1), e_mu)
        k1 = boost(np.concatenate([energy, d], axis=-1), beta[pending])
        k2 = boost(np.concatenate([energy, -d], axis=-1), beta[pending])
        e = e_beam[pending]
        p1k1, p1k2 = e * (k1[:, 0] - k1[:, 3]), e * (k2[:, 0] - k2[:, 3])
        p2k1, p2k2 = e * (k1[:, 0] + k1[:, 3]), e * (k2[:, 0] + k2[:, 3])
        p1p2 = 2.0 * e * e
        w = p1k1 * p2k2 + p1k2 * p2k1 + M_MU**2 * p1p2
        w_max = (p1k1 + p1k2) * (p2k1 + p2k2) + M_MU**2 * p1p2
        accept = rng.random(m) * w_max < w
        mu_minus[pending[accept]] = k1[accept]
        mu_plus[pending[accept]] = k2[accept]
        pending = pending[~accept]
        if pending.size == 0:
            return mu_minus, mu_plus, n / n_proposed
    raise ConfigError(f"A' -> mu mu sampling did not finish for {pending.size} events")


def _check_cuts(cuts: Mapping | None) -> tuple[float, float] | None:
    if cuts is None:
        return None
    if not isinstance(cuts, Mapping) or set(cuts) - {"theta_mu_lab"}:
        raise ConfigError(f"cuts must be a dict with the only key 'theta_mu_lab', got {cuts!r}")
    lo, hi = (float(v) for v in cuts["theta_mu_lab"])
    in_range("cuts['theta_mu_lab'][0]", lo, 0.0, math.pi, unit="rad")
    in_range("cuts['theta_mu_lab'][1]", hi, 0.0, math.pi, unit="rad")
    if not lo < hi:
        raise PhysicsDomainError(f"cuts['theta_mu_lab'] = ({lo:g}, {hi:g}) rad needs min < max")
    return lo, hi


def _scalar(model, name: str) -> float:
    value = getattr(model, name)
    if np.ndim(value):
        raise PhysicsDomainError(
            f"generate_aprime_dark_higgs needs a scalar {name}, got shape {np.shape(value)}"
        )
    return float(value)


def generate_aprime_dark_higgs(
    model,
    collider,
    n_events: int,
    rng: np.random.Generator,
    *,
    isr: bool = False,
    energy_spread: bool = False,
    weighted: bool = False,
    cuts: Mapping | None = None,
) -> Sample:
    """Generate e+e- -> A' h' (A' -> mu+ mu-, h' invisible) events at a collider.

    Parameters
    ----------
    model : darkscan.models.dark_higgs.DarkHiggs
        Scalar parameters with m_dark_higgs < m_aprime (invisible h'), m_aprime > 2 m_mu
        and epsilon > 0.
    collider : darkscan.beams.Collider
        Beam set-up (sqrt(s), CM -> lab transformation, energy spread).
    n_events : int
        Number of events (> 0).
    rng : numpy.random.Generator
        The only source of randomness.
    isr : bool
        Initial-state radiation (one photon per beam with an eikonal polar angle, stored
        in the record; the hard system recoils against them).
    energy_spread : bool
        Smear sqrt(s) per event with ``collider.sample_sqrt_s`` (cross section quoted at the
        nominal sqrt(s)).
    weighted : bool
        Weighted events (A' angle uniform, ISR fractions from the structure function)
        instead of unweighted ones; weights sum to the cross section.
    cuts : dict, optional
        ``{"theta_mu_lab": (theta_min, theta_max)}`` in rad on both muons in the lab; the
        booked cross section is after the cut (acceptance counted, its binomial error added).

    Returns
    -------
    Sample
        ``cross_section_fb`` = sigma(e+e- -> A' h') x BR(A' -> mu+ mu-) within the cuts
        (ISR-convolved with ``isr``); the branching ratio and the uncut cross section are in
        ``model_parameters`` and ``generator_settings``.

    Raises
    ------
    ConfigError
        ``n_events`` not a positive integer, ``rng`` not a Generator, unknown cuts.
    PhysicsDomainError
        Array parameters, m_dark_higgs >= m_aprime, m_aprime <= 2 m_mu, epsilon = 0,
        m_aprime + m_dark_higgs >= sqrt(s), bad cut ranges.

    References
    ----------
    Batell, Pospelov, Ritz, arXiv:0903.0363, sec. 3; module docstring.

    Examples
    --------
    >>> from darkscan.beams import belle2
    >>> from darkscan.models.dark_higgs import DarkHiggs
    >>> model = DarkHiggs(m_dark_higgs=0.5, m_aprime=1.0, epsilon=1e-3, alpha_dark=0.1)
    >>> s = generate_aprime_dark_higgs(model, belle2(), 200, np.random.default_rng(1))
    >>> s.n_events, round(s.cross_section_fb / float(model.cross_section(belle2().sqrt_s)), 3)
    (200, 0.325)
    """
    if isinstance(n_events, bool) or not isinstance(n_events, int | np.integer) or n_events <= 0:
        raise ConfigError(f"n_events = {n_events!r} must be a positive integer")
    if not isinstance(rng, np.random.Generator):
        raise ConfigError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    n = int(n_events)
    m_a, m_h = _scalar(model, "m_aprime"), _scalar(model, "m_dark_higgs")
    eps, alpha_d = _scalar(model, "epsilon"), _scalar(model, "alpha_dark")
    if not m_h < m_a:
        raise PhysicsDomainError(
            f"m_dark_higgs = {m_h:g} GeV must be below m_aprime = {m_a:g} GeV (invisible h'); "
            "heavier h' decay to A' pairs, not generated here"
        )
    if not m_a > 2.0 * M_MU:
        raise PhysicsDomainError(
            f"m_aprime = {m_a:g} GeV must be above 2 m_mu = {2 * M_MU:.6g} GeV for A' -> mu mu"
        )
    if eps <= 0.0:
        raise PhysicsDomainError(f"epsilon = {eps:g} must be > 0 to produce A' h'")
    sqrt_s = float(collider.sqrt_s)
    below_threshold(
        "m_aprime + m_dark_higgs", m_a + m_h, sqrt_s, f"e+e- -> A' h' at sqrt(s) = {sqrt_s:g} GeV"
    )
    window = _check_cuts(cuts)
    r_mu = M_MU**2 / m_a**2
    width_mumu = ALPHA_EM * eps**2 * m_a / 3.0 * (1.0 + 2.0 * r_mu) * math.sqrt(1.0 - 4.0 * r_mu)
    width_total = float(model.aprime_width())
    br_mumu = width_mumu / width_total
    ctau_aprime = HBARC_GEV_CM / width_total
    state = seed_record(rng)

    s_hat_min = (m_a + m_h) ** 2 * (1.0 + 1e-12)
    spread = float(collider.sqrt_s_spread) if energy_spread else 0.0
    s_max = (sqrt_s + 10.0 * spread) ** 2
    s_lo = s_hat_min if isr else max(s_hat_min, (sqrt_s - 10.0 * spread) ** 2)
    grid = s_lo + (s_max - s_lo) * np.linspace(0.0, 1.0, 4001) ** 2
    # d sigma/d c <= (3/4) sigma(s_hat); uniform proposal density 1/2 -> envelope 1.5 max sigma
    envelope = 1.5 * 1.02 * float(np.max(sigma_hat_aprime_dark_higgs(grid, m_a, m_h, eps, alpha_d)))

    def d_sigma(s_hat, c):
        return d_sigma_aprime_dark_higgs(s_hat, c, m_a, m_h, eps, alpha_d)

    def generate(m: int):
        coll = sample_partonic_collisions(
            rng,
            m,
            sqrt_s=sqrt_s,
            d_sigma=d_sigma,
            cos_proposal=(lambda r, k: r.uniform(-1.0, 1.0, k), lambda c: np.full_like(c, 0.5)),
            envelope=envelope,
            s_hat_min=s_hat_min,
            isr=isr,
            sqrt_s_sampler=(lambda r, k: collider.sample_sqrt_s(r, k)) if energy_spread else None,
            weighted=weighted,
        )
        root = np.sqrt(coll.s_hat)
        p_star = np.sqrt(np.clip(kallen(coll.s_hat, m_a * m_a, m_h * m_h), 0.0, None)) / (
            2.0 * root
        )
        phi = rng.uniform(0.0, 2.0 * math.pi, m)
        sin_t = np.sqrt(1.0 - coll.cos_theta**2)
        k3 = p_star[:, None] * np.stack(
            [sin_t * np.cos(phi), sin_t * np.sin(phi), coll.cos_theta], axis=-1
        )
        e_a = np.sqrt(p_star**2 + m_a * m_a)
        aprime = np.concatenate([e_a[:, None], k3], axis=-1)
        higgs = np.concatenate([(root - e_a)[:, None], -k3], axis=-1)
        mu_minus, mu_plus, decay_eff = _muon_momenta(rng, aprime, 0.5 * root, m_a)
        hard = np.stack([aprime, higgs, mu_minus, mu_plus], axis=1)
        if isr:  # one photon per beam at an eikonal angle; exact momentum conservation
            photons, beta = isr_photons_with_angles(rng, coll.x1, coll.x2, coll.sqrt_s)
        else:
            beta = np.zeros((m, 3))
        cms = boost(hard, beta[:, None, :])
        if isr:
            cms = np.concatenate([cms, photons], axis=1)
        lab = collider.to_lab(cms)
        return lab, coll, decay_eff

    parts, weights = [], []
    n_kept = n_generated = 0
    sum_w_all = sum_w_pass = 0.0
    info = {}
    for _ in range(10_000):
        m = (
            n - n_kept
            if window is None
            else int(
                1.2 * (n - n_kept) / max(n_kept / n_generated if n_generated else 0.5, 0.02) + 100
            )
        )
        m = max(m, 1)
        lab, coll, decay_eff = generate(m)
        info = {"accept_reject_efficiency": coll.efficiency, "decay_efficiency": decay_eff}
        n_generated += m
        keep = np.ones(m, dtype=bool)
        if window is not None:
            for i in (2, 3):
                p = lab[:, i]
                theta = np.arccos(p[:, 3] / np.linalg.norm(p[:, 1:], axis=1))
                keep &= (theta > window[0]) & (theta < window[1])
        sum_w_all += float(coll.weight.sum())
        sum_w_pass += float(coll.weight[keep].sum())
        parts.append(lab[keep])
        weights.append(coll.weight[keep])
        n_kept += int(keep.sum())
        if n_kept >= n:
            break
    else:
        raise PhysicsDomainError(f"cuts {cuts} accept (almost) no e+e- -> A' h' events")
    lab = np.concatenate(parts)[:n]
    rel_w = np.concatenate(weights)[:n]

    # ---- normalisation
    if isr:

        def sigma_hat(s):
            return sigma_hat_aprime_dark_higgs(s, m_a, m_h, eps, alpha_d)

        sigma = convolve_isr(sigma_hat, sqrt_s**2, s_hat_min)
        sigma_err = abs(sigma - convolve_isr(sigma_hat, sqrt_s**2, s_hat_min, n_nodes=48))
    else:
        sigma = float(sigma_hat_aprime_dark_higgs(sqrt_s**2, m_a, m_h, eps, alpha_d))
        sigma_err = 0.0
    sigma *= br_mumu
    sigma_err *= br_mumu
    acceptance = sum_w_pass / sum_w_all if window is not None else 1.0
    if window is not None:
        if weighted:
            binomial = 0.0  # weighted: acceptance from the weights, error not estimated here
        else:
            binomial = math.sqrt(acceptance * (1.0 - acceptance) / n_generated)
        sigma_err = math.hypot(sigma_err * acceptance, sigma * binomial)
        sigma *= acceptance

    # ---- record: [A', h', mu-, mu+, (ISR photon e-, ISR photon e+)]
    k = lab.shape[1]
    displacement, time = sample_decay_displacement(rng, lab[:, 0], ctau_aprime)
    pdg = np.zeros((n, k), dtype=np.int32)
    pdg[:, 0], pdg[:, 1], pdg[:, 2], pdg[:, 3] = PDG_APRIME, PDG_DARK_HIGGS, 13, -13
    pdg[:, 4:] = 22
    is_final = np.ones((n, k), dtype=bool)
    is_final[:, 0] = False
    is_invisible = np.zeros((n, k), dtype=bool)
    is_invisible[:, 1] = True
    mother = np.full((n, k), -1, dtype=np.int32)
    mother[:, 2:4] = 0
    vertex = np.zeros((n, k, 3))
    vertex[:, 2:4] = displacement[:, None, :]
    t = np.zeros((n, k))
    t[:, 2:4] = time[:, None]
    weight = sigma * rel_w / rel_w.sum()
    events = events_from_arrays(
        {
            "pdg": pdg,
            "E": lab[..., 0],
            "px": lab[..., 1],
            "py": lab[..., 2],
            "pz": lab[..., 3],
            "vx": vertex[..., 0],
            "vy": vertex[..., 1],
            "vz": vertex[..., 2],
            "t": t,
            "is_final": is_final,
            "is_invisible": is_invisible,
            "mother": mother,
        },
        weight,
    )
    return Sample(
        events=events,
        process="e+e- -> A' h', A' -> mu+ mu-, h' invisible",
        model_parameters={
            "model": "DarkHiggs",
            "m_aprime": m_a,
            "m_dark_higgs": m_h,
            "epsilon": eps,
            "alpha_dark": alpha_d,
            "br_aprime_mumu": br_mumu,
            "ctau_aprime": ctau_aprime,
        },
        generator=GENERATOR_NAME,
        generator_settings={
            "collider": collider.name,
            "sqrt_s": sqrt_s,
            "isr": bool(isr),
            "isr_photons": "ISR photons with eikonal angles" if isr else "none",
            "energy_spread": bool(energy_spread),
            "weighted": bool(weighted),
            "max_weight": envelope,
            **info,
            "n_generated": n_generated,
            "cut_acceptance": acceptance,
            "sigma_aprime_dark_higgs_fb": sigma / (br_mumu * acceptance),
            "aprime_decay": "exact narrow-width |M|^2 of e+e- -> A'(-> mu mu) h' with spin "
            "correlations (accept-reject)",
        },
        seed=state,
        cross_section_fb=sigma,
        cross_section_uncertainty_fb=sigma_err,
        generator_cuts={} if window is None else {"theta_mu_lab": list(window)},
        weighted=bool(weighted),
    )
