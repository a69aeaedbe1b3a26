r"""Generator for e+e- -> gamma A' with the A' decaying by its branching ratios.

Hard process (tree level, m_e -> 0). For e-(p1) e+(p2) -> gamma(k1) A'(k2) with mass m,
r = m^2/s, the spin-averaged squared amplitude (the crossed virtual-Compton amplitude, as for
q qbar -> g Z) is

    |M|^2 = 2 e^4 eps^2 (t^2 + u^2 + 2 s m^2) / (t u),  t, u = -(s - m^2)(1 -+ cos theta)/2,

which with d sigma/d cos = |M|^2 (1 - r) / (32 pi s) gives

    d sigma/d cos theta = (2 pi alpha^2 eps^2 / s) / (1 - r)
                          * [ (1 + r^2)(1 + cos^2 theta)/(1 - cos^2 theta) + 2 r ],

identical to :meth:`DarkPhoton.differential_cross_section_gamma_aprime` (written there as
(1 - r)[(1 + c^2) + 4r/(1 - r)^2]/(1 - c^2)); theta is the photon angle to the e- beam.
The tests recompute |M|^2 from Dirac traces with explicit gamma matrices. The photon angle is
drawn exactly: c = tanh(u), u uniform, has density proportional to 1/(1 - c^2), and the
remaining factor (1 + r^2)(1 + c^2) + 2 r (1 - c^2) <= 2 (1 + r^2) is unweighted by
accept-reject.

A' decays (channel drawn per event with the model's branching ratios), in the A' rest frame
with theta* measured from the A' flight direction in the hard-collision frame (helicity axis):

* e+e-, mu+mu-, tau+tau-: 1 + a cos^2 theta*, a = beta^2/(2 - beta^2) (beta the lepton
  velocity), the distribution of a transversely polarised vector decaying to a fermion
  pair (-> 1 + cos^2 for massless leptons). Taus are stored undecayed (``is_final`` True).
* hadrons, stand-ins (stated approximation, not a hadronisation model):
  m_pi0 < m < 2 m_pi+ : pi0 gamma with 1 + cos^2 theta* (dropped below m_pi0, where the
  hadronic branching ratio is ~1e-8, and the other channels renormalised);
  2 m_pi+ <= m < 1 GeV : pi+ pi- with sin^2 theta* (rho-like, transverse vector -> scalars);
  m >= 1 GeV : pi+ pi- pi+ pi- with flat (RAMBO) phase space.
* chi chi-bar (invisible): 1 + a cos^2 theta* as for leptons (Dirac chi) or sin^2 theta*
  (complex scalar chi).

Approximation: the A' is treated as transversely polarised; its longitudinal fraction,
O(m^2/s) (the 2 r term above), and the spin correlation with the photon angle are neglected
in the decay angular distributions. The A' decay vertex is drawn from the exponential law
with lab decay length beta*gamma*c*tau (prompt for short c*tau). Optional ISR and
beam-energy spread as in :mod:`darkscan.generate.isr`; finally ``collider.to_lab``.

Event record per event: photon, A' (``is_final`` False; ``is_invisible`` for chi decays),
the A' daughters (mother 1, at the decay vertex), then with ISR the two ISR photons.

References
----------
Borodatchenkova, Choudhury, Drees, PRL 96 (2006) 141802, arXiv:hep-ph/0510147 (e+e- -> gamma U).
R. Essig, J. Mardon, M. Papucci, T. Volansky, Y.-M. Zhong, JHEP 11 (2013) 167,
arXiv:1309.5084 (e+e- -> gamma A' at B factories).
M. E. Peskin, D. V. Schroeder, *An Introduction to QFT*, eq. (5.105) (m -> 0 limit:
e+e- -> gamma gamma) and problem 5.5 (|M|^2 from traces).
Vector -> fermion pair angular distribution: e.g. PDG review "Cross-section formulae for
specific processes", e+e- -> f fbar, 1 + cos^2 + (1 - beta^2) sin^2.
"""

from __future__ import annotations

import math

import numpy as np

from darkscan._validate import below_threshold
from darkscan.constants import ALPHA_EM, GEV2_TO_FB, M_E, M_MU, M_PI, M_PI0, M_TAU
from darkscan.errors import PhysicsDomainError
from darkscan.generate.decays import decay_neutral_pions
from darkscan.generate.event_record import (
    PARTICLE_FIELDS,
    PDG_APRIME,
    PDG_CHI,
    PDG_CHI_SCALAR,
    Sample,
    check_generator_arguments,
    events_from_flat,
    seed_record,
)
from darkscan.generate.isr import (
    convolve_isr,
    isr_photons_with_angles,
    sample_partonic_collisions,
)
from darkscan.generate.phasespace import (
    boost,
    rambo_unweighted,
    sample_decay_displacement,
    sample_one_plus_a_cos2,
    two_body_decay,
)

__all__ = [
    "HADRON_4PI_THRESHOLD",
    "d_sigma_gamma_aprime",
    "generate_gamma_aprime",
    "sigma_hat_gamma_aprime",
]

GENERATOR_NAME = "darkscan.generate.processes.gamma_aprime"
#: Above this A' mass (GeV) hadronic decays are modelled as pi+ pi- pi+ pi- phase space.
HADRON_4PI_THRESHOLD = 1.0


def d_sigma_gamma_aprime(s_hat, cos_theta, m_aprime, epsilon):
    """d sigma(e+e- -> gamma A')/d cos(theta) in fb at squared energy ``s_hat`` (vectorised).

    (2 pi alpha^2 eps^2/s)/(1 - r) [(1 + r^2)(1 + c^2)/(1 - c^2) + 2 r], r = m^2/s (module
    docstring; Essig et al., arXiv:1309.5084; Borodatchenkova et al., hep-ph/0510147).

    Parameters
    ----------
    s_hat : array_like
        Squared energy in GeV^2 (> m_aprime^2).
    cos_theta : array_like
        Photon cos(theta) w.r.t. the e- beam, |c| < 1.
    m_aprime : float
        A' mass in GeV.
    epsilon : float
        Kinetic mixing.

    Returns
    -------
    numpy.ndarray
        fb per unit cos(theta).

    >>> round(float(d_sigma_gamma_aprime(10.58**2, 0.0, 1.0, 1e-3)), 2)  # = DarkPhoton value
    1.2
    """
    s = np.asarray(s_hat, dtype=float)
    c = np.asarray(cos_theta, dtype=float)
    r = m_aprime**2 / s
    norm = 2.0 * math.pi * ALPHA_EM**2 * epsilon**2 / s / (1.0 - r)
    return norm * ((1.0 + r * r) * (1.0 + c * c) / (1.0 - c * c) + 2.0 * r) * GEV2_TO_FB


def sigma_hat_gamma_aprime(s_hat, m_aprime, epsilon, cos_theta_min, cos_theta_max):
    """sigma(e+e- -> gamma A') in fb within a photon cos(theta) range, vectorised over s_hat.

    Integral of :func:`d_sigma_gamma_aprime`, using
    int (1 + c^2)/(1 - c^2) dc = -c + 2 artanh c:
    (2 pi alpha^2 eps^2/s)/(1 - r) [(1 + r^2)(-dc + 2 d artanh c) + 2 r dc].

    >>> round(float(sigma_hat_gamma_aprime(10.58**2, 1.0, 1e-3, -0.6, 0.8)), 2)
    2.59
    """
    s = np.asarray(s_hat, dtype=float)
    r = m_aprime**2 / s
    dc = cos_theta_max - cos_theta_min
    da = math.atanh(cos_theta_max) - math.atanh(cos_theta_min)
    norm = 2.0 * math.pi * ALPHA_EM**2 * epsilon**2 / s / (1.0 - r)
    return norm * ((1.0 + r * r) * (-dc + 2.0 * da) + 2.0 * r * dc) * GEV2_TO_FB


def _decay_channels(model, m: float) -> list[dict]:
    """Decay channels with branching ratio, daughter PDG codes/masses and angular law."""
    brs = {k: float(np.asarray(v)) for k, v in model.branching_ratios().items()}
    out = []

    def fermion_a(mf: float) -> float:
        beta2 = max(1.0 - 4.0 * mf * mf / (m * m), 0.0)
        return beta2 / (2.0 - beta2)

    for name, pdg, mass in (("e", 11, M_E), ("mu", 13, M_MU), ("tau", 15, M_TAU)):
        out.append(
            {
                "name": name,
                "br": brs.get(name, 0.0),
                "pdg": [pdg, -pdg],
                "masses": [mass, mass],
                "a": fermion_a(mass),
                "invisible": False,
            }
        )
    if m < 2.0 * M_PI:
        had = {"pdg": [111, 22], "masses": [M_PI0, 0.0], "a": 1.0}
    elif m < HADRON_4PI_THRESHOLD:
        had = {"pdg": [211, -211], "masses": [M_PI, M_PI], "a": -1.0}
    else:
        had = {"pdg": [211, -211, 211, -211], "masses": [M_PI] * 4, "a": None}
    out.append({"name": "hadrons", "br": brs.get("hadrons", 0.0), "invisible": False, **had})
    m_chi = getattr(model, "m_chi", None)
    if m_chi is not None and brs.get("chi", 0.0) > 0.0:
        scalar = getattr(model, "chi_spin", "fermion") == "scalar"
        code = PDG_CHI_SCALAR if scalar else PDG_CHI
        out.append(
            {
                "name": "chi",
                "br": brs["chi"],
                "pdg": [code, -code],
                "masses": [m_chi, m_chi],
                "a": -1.0 if scalar else fermion_a(m_chi),
                "invisible": True,
            }
        )
    # a stand-in final state that is kinematically closed (pi0 gamma below m_pi0, where the
    # model's hadronic width is ~1e-8 of the total) is dropped; the others are renormalised
    return [c for c in out if c["br"] > 0.0 and sum(c["masses"]) < m]


def generate_gamma_aprime(
    model,
    collider,
    n_events: int,
    rng: np.random.Generator,
    *,
    cos_theta_range: tuple[float, float] = (-0.95, 0.95),
    isr: bool = False,
    energy_spread: bool = False,
    weighted: bool = False,
    e_gamma_min: float = 0.05,
) -> Sample:
    """Generate e+e- -> gamma A' events with A' decays at a collider.

    Parameters
    ----------
    model : darkscan.models.dark_photon.DarkPhoton
        Dark photon with scalar ``m_aprime`` (GeV) and ``epsilon``.
    collider : darkscan.beams.Collider
        Beam set-up (sqrt(s), CM -> lab transformation, energy spread).
    n_events : int
        Number of events (> 0).
    rng : numpy.random.Generator
        Random-number generator (the only source of randomness).
    cos_theta_range : (float, float)
        Generator-level cut on the photon cos(theta) in the hard-collision frame (the CM
        frame without ISR), within (-1, 1).
    isr : bool
        Include initial-state radiation (one photon per beam with an eikonal polar angle,
        stored in the record; the hard system recoils against them).
    energy_spread : bool
        Smear sqrt(s) per event with ``collider.sample_sqrt_s`` (the CM frame is kept at
        the nominal one; the cross section is quoted at the nominal sqrt(s)).
    weighted : bool
        Weighted events (photon angle from the 1/(1 - c^2) proposal, ISR fractions from D)
        instead of unweighted ones; weights sum to the cross section.
    e_gamma_min : float
        Minimum photon energy in the hard-collision frame in GeV: regulates the soft
        divergence of the ISR-convolved cross section at s_hat -> m^2.

    Returns
    -------
    Sample
        ``cross_section_fb`` is sigma(e+e- -> gamma A') within the cuts, summed over all
        A' decays (ISR-convolved if ``isr``).

    Raises
    ------
    ConfigError
        ``n_events`` not a positive integer, ``rng`` not a Generator.
    PhysicsDomainError
        Array model parameters, m_aprime at or above sqrt(s), a bad angular range, a
        photon below ``e_gamma_min``.
    """
    n, lo, hi, e_gamma_min = check_generator_arguments(n_events, rng, cos_theta_range, e_gamma_min)
    if np.ndim(model.m_aprime) or np.ndim(model.epsilon):
        raise PhysicsDomainError(
            f"generate_gamma_aprime needs a scalar m_aprime and epsilon, got shapes "
            f"{np.shape(model.m_aprime)} and {np.shape(model.epsilon)}"
        )
    m, eps = float(model.m_aprime), float(model.epsilon)
    sqrt_s = float(collider.sqrt_s)
    below_threshold("m_aprime", m, sqrt_s, f"e+e- -> gamma A' at sqrt(s) = {sqrt_s:g} GeV")
    s_hat_min = (e_gamma_min + math.sqrt(e_gamma_min**2 + m * m)) ** 2
    if s_hat_min >= sqrt_s**2:
        raise PhysicsDomainError(
            f"m_aprime = {m:g} GeV leaves a photon below e_gamma_min = {e_gamma_min:g} GeV "
            f"at sqrt(s) = {sqrt_s:g} GeV"
        )
    channels = _decay_channels(model, m)
    if not channels:
        raise PhysicsDomainError(f"m_aprime = {m:g} GeV: the A' has no open decay channel")
    ctau = float(model.ctau())
    state = seed_record(rng)

    # ---- hard collision: photon angle and reduced energy
    atanh_lo, atanh_hi = math.atanh(lo), math.atanh(hi)
    area = atanh_hi - atanh_lo
    # envelope of d_sigma / g: 2 (1 + r^2) (2 pi alpha^2 eps^2) / (s - m^2), largest at the
    # smallest s_hat reachable (s_hat_min with ISR, sqrt(s) - 8 sigma with energy spread)
    spread = float(collider.sqrt_s_spread) if energy_spread else 0.0
    s_env = s_hat_min if isr else max(s_hat_min, (sqrt_s - 8.0 * spread) ** 2)
    r_env = m * m / s_env
    envelope = (
        area
        * 2.0
        * (1.0 + r_env**2)
        * 2.0
        * math.pi
        * ALPHA_EM**2
        * eps**2
        / (s_env - m * m)
        * GEV2_TO_FB
    )
    coll = sample_partonic_collisions(
        rng,
        n,
        sqrt_s=sqrt_s,
        d_sigma=lambda s_hat, c: d_sigma_gamma_aprime(s_hat, c, m, eps),
        cos_proposal=(
            lambda r, k: np.tanh(r.uniform(atanh_lo, atanh_hi, k)),
            lambda c: 1.0 / ((1.0 - c * c) * area),
        ),
        envelope=envelope,
        s_hat_min=s_hat_min,
        isr=isr,
        sqrt_s_sampler=(lambda r, k: collider.sample_sqrt_s(r, k)) if energy_spread else None,
        weighted=weighted,
        s_hat_pole=m * m,
    )
    root = np.sqrt(coll.s_hat)
    e_gamma = (coll.s_hat - m * m) / (2.0 * root)
    phi = rng.uniform(0.0, 2.0 * math.pi, n)
    sin_t = np.sqrt(1.0 - coll.cos_theta**2)
    k3 = e_gamma[:, None] * np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), coll.cos_theta], -1)
    photon = np.concatenate([e_gamma[:, None], k3], axis=-1)
    aprime = np.concatenate([(root - e_gamma)[:, None], -k3], axis=-1)

    # ---- event layout: [photon, A', daughters..., (ISR photon e-, ISR photon e+)]
    brs = np.array([c["br"] for c in channels])
    choice = rng.choice(len(channels), size=n, p=brs / brs.sum())
    n_daughters = np.array([len(c["pdg"]) for c in channels])
    counts = 2 + n_daughters[choice] + (2 if isr else 0)
    start = np.cumsum(counts) - counts
    total = int(counts.sum())
    p4 = np.zeros((total, 4))
    flat = {name: np.zeros(total, dtype=dtype) for name, dtype in PARTICLE_FIELDS.items()}
    flat["mother"][:] = -1
    flat["is_final"][:] = True
    flat["pdg"][start] = 22
    flat["pdg"][start + 1] = PDG_APRIME
    flat["is_final"][start + 1] = False
    p4[start] = photon
    p4[start + 1] = aprime
    decay_info = {}
    for ic, ch in enumerate(channels):
        idx = np.flatnonzero(choice == ic)
        if idx.size == 0:
            continue
        parent = aprime[idx]
        if ch["a"] is None:  # n-body phase space in the A' rest frame, then boosted
            rest, info = rambo_unweighted(rng, idx.size, m, ch["masses"])
            daughters = boost(rest, (parent[:, 1:] / parent[:, :1])[:, None, :])
            decay_info[ch["name"]] = {
                "rambo_efficiency": info.efficiency,
                "rambo_n_overweight": info.n_overweight,
            }
        else:
            cos_star = sample_one_plus_a_cos2(rng, idx.size, ch["a"])
            d1, d2 = two_body_decay(
                parent, ch["masses"][0], ch["masses"][1], rng, cos_theta=cos_star
            )
            daughters = np.stack([d1, d2], axis=1)
        pos = start[idx, None] + 2 + np.arange(len(ch["pdg"]))
        p4[pos] = daughters
        flat["pdg"][pos] = np.array(ch["pdg"])
        flat["mother"][pos] = 1
        flat["is_invisible"][pos] = ch["invisible"]
        flat["is_invisible"][start[idx] + 1] = ch["invisible"]

    # ---- hard frame -> CM (ISR recoil boost) -> lab; decay vertices from lab momenta
    if isr:  # one photon per beam at an eikonal angle; exact momentum conservation
        photons_isr, beta_event = isr_photons_with_angles(rng, coll.x1, coll.x2, coll.sqrt_s)
    else:
        beta_event = np.zeros((n, 3))
    event_of = np.repeat(np.arange(n), counts)
    p4 = boost(p4, beta_event[event_of])
    if isr:
        p4[start + counts - 2] = photons_isr[:, 0]
        p4[start + counts - 1] = photons_isr[:, 1]
        flat["pdg"][start + counts - 2] = 22  # (was left 0 with collinear photons)
        flat["pdg"][start + counts - 1] = 22
    p4 = collider.to_lab(p4)
    displacement, time = sample_decay_displacement(rng, p4[start + 1], ctau)
    is_daughter = flat["mother"] == 1
    vertex = np.where(is_daughter[:, None], displacement[event_of], 0.0)
    flat["t"] = np.where(is_daughter, time[event_of], 0.0).astype(np.float32)
    for i, name in enumerate(("E", "px", "py", "pz")):
        flat[name] = p4[:, i]
    for i, name in enumerate(("vx", "vy", "vz")):
        flat[name] = vertex[:, i]

    # ---- normalisation
    if isr:

        def sigma_hat(s):
            return sigma_hat_gamma_aprime(s, m, eps, lo, hi)

        sigma = convolve_isr(sigma_hat, sqrt_s**2, s_hat_min, s_hat_pole=m * m)
        coarse = convolve_isr(sigma_hat, sqrt_s**2, s_hat_min, s_hat_pole=m * m, n_nodes=48)
        sigma_err = abs(sigma - coarse)
    else:
        sigma = float(model.cross_section_gamma_aprime(sqrt_s, lo, hi))
        sigma_err = 0.0
    weight = sigma * coll.weight / coll.weight.sum()
    events = decay_neutral_pions(events_from_flat(flat, counts, weight), rng)
    brs_all = {k: float(np.asarray(v)) for k, v in model.branching_ratios().items()}
    return Sample(
        events=events,
        process="e+e- -> gamma A'",
        model_parameters={
            "model": "DarkPhoton",
            "m_aprime": m,
            "epsilon": eps,
            "m_chi": getattr(model, "m_chi", None),
            "alpha_dark": getattr(model, "alpha_dark", None),
            "chi_spin": getattr(model, "chi_spin", None),
            "ctau": ctau,
            "branching_ratios": brs_all,
        },
        generator=GENERATOR_NAME,
        generator_settings={
            "collider": collider.name,
            "sqrt_s": sqrt_s,
            "isr": bool(isr),
            "isr_photons": "ISR photons with eikonal angles" if isr else "none",
            "energy_spread": bool(energy_spread),
            "weighted": bool(weighted),
            "accept_reject_efficiency": coll.efficiency,
            "max_weight": coll.max_weight,
            "n_overweight": coll.n_overweight,
            "hadron_model": "pi0 gamma (m < 2 m_pi), pi+ pi- (m < 1 GeV), 4 pi phase space",
            "decays": decay_info,
        },
        seed=state,
        cross_section_fb=sigma,
        cross_section_uncertainty_fb=sigma_err,
        generator_cuts={
            "cos_theta_gamma_hard_frame": [lo, hi],
            "e_gamma_min_hard_frame": e_gamma_min,
        },
        weighted=bool(weighted),
    )
