"""Generator for e+e- -> gamma a, a -> gamma gamma (axion-like particle coupled to photons).

In the hard-collision frame the recoil photon's polar angle theta (w.r.t. the e- beam, +z)
follows dsigma/dcos(theta) proportional to 1 + cos^2(theta) (s-channel photon, vector
current; Dolan et al. 2017, sec. 2.1), with total cross section
sigma = g_agg^2 alpha / 24 (1 - m_a^2/s)^3. The ALP decays isotropically (spin 0) to two
photons in its rest frame, at a decay point drawn from the exponential law with the lab
decay length beta*gamma*c*tau. Optional ISR (:mod:`darkscan.generate.isr`) and beam-energy
spread; all momenta are finally transformed to the lab with ``collider.to_lab``.

Event record (per event, in this order): recoil photon, ALP (``is_final`` False), the two
decay photons (mother 1, produced at the decay vertex), and with ISR the two ISR photons
(from the e- and the e+, along the beam axes of the CM frame).

References
----------
M. J. Dolan, T. Ferber, C. Hearty, F. Kahlhoefer, K. Schmidt-Hoberg, JHEP 12 (2017) 094,
arXiv:1709.00009, sec. 2.1 (cross section and angular distribution).
Belle II Collaboration, PRL 125 (2020) 161806, arXiv:2007.13071 (signal generated this way).
"""

from __future__ import annotations

import math

import numpy as np

from darkscan._validate import below_threshold
from darkscan.constants import ALPHA_EM, GEV2_TO_FB
from darkscan.errors import PhysicsDomainError
from darkscan.generate.event_record import (
    PDG_ALP,
    Sample,
    check_generator_arguments,
    events_from_arrays,
    seed_record,
)
from darkscan.generate.isr import (
    convolve_isr,
    isr_photons_with_angles,
    sample_partonic_collisions,
)
from darkscan.generate.phasespace import boost, sample_decay_displacement, two_body_decay

__all__ = ["alp_angular_fraction", "generate_gamma_alp", "sigma_hat_gamma_alp"]

GENERATOR_NAME = "darkscan.generate.processes.gamma_alp"


def alp_angular_fraction(cos_theta_min, cos_theta_max):
    """Fraction of e+e- -> gamma a with cos(theta) in [min, max]: int 3/8 (1 + c^2) dc.

    >>> round(alp_angular_fraction(-1.0, 1.0), 12)
    1.0
    """
    lo, hi = cos_theta_min, cos_theta_max
    return 0.375 * ((hi - lo) + (hi**3 - lo**3) / 3.0)


def sigma_hat_gamma_alp(s_hat, m_a, g_agg):
    """Total cross section of e+e- -> gamma a in fb at squared energy ``s_hat`` (vectorised).

    sigma = g_agg^2 alpha / 24 (1 - m_a^2 / s)^3, zero below threshold (Dolan et al.,
    arXiv:1709.00009, sec. 2.1).

    Parameters
    ----------
    s_hat : array_like
        Squared centre-of-mass energy in GeV^2.
    m_a : float
        ALP mass in GeV.
    g_agg : float
        ALP-photon coupling in GeV^-1.

    Returns
    -------
    numpy.ndarray
        Cross section in fb.

    >>> round(float(sigma_hat_gamma_alp(10.58**2, 1.0, 1e-3)), 2)  # = AxionLikeParticle value
    115.25
    """
    s_hat = np.asarray(s_hat, dtype=float)
    beta3 = np.clip(1.0 - m_a**2 / s_hat, 0.0, None) ** 3
    return g_agg**2 * ALPHA_EM / 24.0 * beta3 * GEV2_TO_FB


def generate_gamma_alp(
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
    """Generate e+e- -> gamma a, a -> gamma gamma events at a collider.

    Parameters
    ----------
    model : darkscan.models.alp.AxionLikeParticle
        ALP with scalar ``m_a`` (GeV) and ``g_agg`` (GeV^-1).
    collider : darkscan.beams.Collider
        Beam set-up (sqrt(s), CM -> lab transformation, energy spread).
    n_events : int
        Number of events (> 0).
    rng : numpy.random.Generator
        Random-number generator (the only source of randomness).
    cos_theta_range : (float, float)
        Generator-level cut on cos(theta) of the recoil photon in the hard-collision frame
        (the CM frame without ISR), within (-1, 1).
    isr : bool
        Include initial-state radiation (one photon per beam with an eikonal polar angle,
        stored in the record; the hard system recoils against them).
    energy_spread : bool
        Smear sqrt(s) per event with ``collider.sample_sqrt_s`` (the CM frame is kept at
        the nominal one; the cross section is quoted at the nominal sqrt(s)).
    weighted : bool
        Produce weighted events (cos(theta) and ISR fractions drawn from the proposal
        densities, weight proportional to the cross section) instead of unweighted ones.
    e_gamma_min : float
        Minimum recoil-photon energy in the hard-collision frame, GeV.

    Returns
    -------
    Sample
        Events (weights sum to the cross section) and metadata; ``cross_section_fb`` is
        sigma(e+e- -> gamma a) within the cuts (ISR-convolved if ``isr``).

    Raises
    ------
    ConfigError
        ``n_events`` not a positive integer, ``rng`` not a Generator.
    PhysicsDomainError
        Arrays for the model parameters, ``m_a`` at or above sqrt(s), a bad angular range.

    References
    ----------
    Dolan et al., arXiv:1709.00009, sec. 2.1; see the module docstring.
    """
    n, lo, hi, e_gamma_min = check_generator_arguments(n_events, rng, cos_theta_range, e_gamma_min)
    if np.ndim(model.m_a) or np.ndim(model.g_agg):
        raise PhysicsDomainError(
            f"generate_gamma_alp needs a scalar m_a and g_agg, got shapes "
            f"{np.shape(model.m_a)} and {np.shape(model.g_agg)}"
        )
    m_a, g_agg = float(model.m_a), float(model.g_agg)
    sqrt_s = float(collider.sqrt_s)
    below_threshold("m_a", m_a, sqrt_s, f"e+e- -> gamma a at sqrt(s) = {sqrt_s:g} GeV")
    # photon energy cut -> minimum s_hat: E_gamma = (s - m^2) / (2 sqrt(s)) >= e_gamma_min
    s_hat_min = (e_gamma_min + math.sqrt(e_gamma_min**2 + m_a**2)) ** 2
    if s_hat_min >= sqrt_s**2:
        raise PhysicsDomainError(
            f"m_a = {m_a:g} GeV leaves a recoil photon below e_gamma_min = {e_gamma_min:g} GeV "
            f"at sqrt(s) = {sqrt_s:g} GeV"
        )
    ctau = float(model.ctau())
    state = seed_record(rng)

    spread = float(collider.sqrt_s_spread) if energy_spread else 0.0
    s_max = (sqrt_s + 8.0 * spread) ** 2
    fraction = alp_angular_fraction(lo, hi)
    width = hi - lo

    def d_sigma(s_hat, c):
        return sigma_hat_gamma_alp(s_hat, m_a, g_agg) * 0.375 * (1.0 + c * c)

    envelope = (
        float(sigma_hat_gamma_alp(s_max, m_a, g_agg))
        * 0.375
        * (1.0 + max(lo * lo, hi * hi))
        * width
    )
    coll = sample_partonic_collisions(
        rng,
        n,
        sqrt_s=sqrt_s,
        d_sigma=d_sigma,
        cos_proposal=(
            lambda r, m: r.uniform(lo, hi, m),
            lambda c: np.full(np.shape(c), 1.0 / width),
        ),
        envelope=envelope,
        s_hat_min=s_hat_min,
        isr=isr,
        sqrt_s_sampler=(lambda r, m: collider.sample_sqrt_s(r, m)) if energy_spread else None,
        weighted=weighted,
    )

    # hard collision in its rest frame: photon at (theta, phi), ALP opposite
    root = np.sqrt(coll.s_hat)
    e_gamma = (coll.s_hat - m_a**2) / (2.0 * root)
    phi = rng.uniform(0.0, 2.0 * math.pi, n)
    sin_t = np.sqrt(1.0 - coll.cos_theta**2)
    k = e_gamma[:, None] * np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), coll.cos_theta], -1)
    photon = np.concatenate([e_gamma[:, None], k], axis=-1)
    alp = np.concatenate([(root - e_gamma)[:, None], -k], axis=-1)
    if isr:  # one photon per beam at an eikonal angle; exact momentum conservation
        photons_isr, beta = isr_photons_with_angles(rng, coll.x1, coll.x2, coll.sqrt_s)
    else:
        beta = np.zeros((n, 3))
    photon, alp = boost(photon, beta), boost(alp, beta)
    # CM -> lab, then the ALP decay in the lab (isotropic in its rest frame)
    photon, alp = collider.to_lab(photon), collider.to_lab(alp)
    g1, g2 = two_body_decay(alp, 0.0, 0.0, rng)
    displacement, time = sample_decay_displacement(rng, alp, ctau)

    momenta = [photon, alp, g1, g2]
    pdg = [22, PDG_ALP, 22, 22]
    mother = [-1, -1, 1, 1]
    is_final = [True, False, True, True]
    if isr:
        momenta += [collider.to_lab(photons_isr[:, 0]), collider.to_lab(photons_isr[:, 1])]
        pdg += [22, 22]
        mother += [-1, -1]
        is_final += [True, True]
    k_part = len(momenta)
    p4 = np.stack(momenta, axis=1)  # (n, k, 4)
    vertex = np.zeros((n, k_part, 3))
    vertex[:, 2:4, :] = displacement[:, None, :]
    t = np.zeros((n, k_part))
    t[:, 2:4] = time[:, None]

    if isr:
        sigma = convolve_isr(
            lambda s: sigma_hat_gamma_alp(s, m_a, g_agg) * fraction, sqrt_s**2, s_hat_min
        )
        sigma_coarse = convolve_isr(
            lambda s: sigma_hat_gamma_alp(s, m_a, g_agg) * fraction,
            sqrt_s**2,
            s_hat_min,
            n_nodes=48,
        )
        sigma_err = abs(sigma - sigma_coarse)
    else:
        sigma = float(model.cross_section(sqrt_s)) * fraction
        sigma_err = 0.0
    weight = sigma * coll.weight / coll.weight.sum()
    events = events_from_arrays(
        {
            "pdg": np.broadcast_to(np.array(pdg), (n, k_part)),
            "E": p4[..., 0],
            "px": p4[..., 1],
            "py": p4[..., 2],
            "pz": p4[..., 3],
            "vx": vertex[..., 0],
            "vy": vertex[..., 1],
            "vz": vertex[..., 2],
            "t": t,
            "is_final": np.broadcast_to(np.array(is_final), (n, k_part)),
            "is_invisible": np.zeros((n, k_part), dtype=bool),
            "mother": np.broadcast_to(np.array(mother), (n, k_part)),
        },
        weight=weight,
    )
    return Sample(
        events=events,
        process="e+e- -> gamma a, a -> gamma gamma",
        model_parameters={"model": "AxionLikeParticle", "m_a": m_a, "g_agg": g_agg, "ctau": ctau},
        generator=GENERATOR_NAME,
        generator_settings={
            "collider": collider.name,
            "sqrt_s": sqrt_s,
            "isr": bool(isr),
            "isr_photons": "ISR photons with eikonal angles" if isr else "none",
            "energy_spread": bool(energy_spread),
            "weighted": bool(weighted),
            "accept_reject_efficiency": coll.efficiency,
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
