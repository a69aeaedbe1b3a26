"""Charged-particle tracking: acceptance, efficiency and smearing of track parameters.

Only stable charged final-state particles (e, mu, pi, K, p) give tracks. A particle is
reconstructed if its lab polar angle lies in the CDC acceptance, its transverse momentum is
above ``pt_min``, it is produced at ``R_xy < max_production_rxy`` and it passes the
efficiency ``eps(pt) = plateau (1 - exp(-(pt - pt_min)/pt_scale))``. Its parameters are then
smeared with Gaussian resolutions

* ``sigma_pt/pt = a pt (+) b/beta`` (multiple scattering term ``b/beta``),
* ``sigma_theta = a (+) b/(p beta)``, ``sigma_phi = a (+) b/(p beta)``,
* ``sigma_d0 = a (+) b/(p beta sin^(3/2) theta)``, ``sigma_z0 = a (+) b/(p beta sin^(5/2) theta)``,

the standard forms of the momentum and impact-parameter resolution of a solenoidal tracker
(PDG review "Passage of particles through matter", multiple scattering; Belle II TDR
arXiv:1011.0352 ch. 5 and 6). The energy uses the true mass (the analysis' mass
hypothesis). The true impact parameters of a displaced particle are those of the straight
line through its production vertex along its momentum (helix curvature neglected):
``d0 = (x p_y - y p_x)/p_T`` and ``z0 = z - (x p_x + y p_y) p_z / p_T^2``.

The smearing kernel exists twice: :func:`smear_tracks_reference` (plain numpy, readable) and
the numba kernel :func:`smear_tracks` used by :func:`reconstruct_tracks`; the tests check
they agree. The production path of :func:`darkscan.detector.simulate.simulate_events` is the
fused kernel :func:`darkscan.detector._kernels.simulate_flat` (same formulas, direction
cosines rotated instead of going through arctan2), tested against :func:`reconstruct_tracks`.

References
----------
Belle II TDR, T. Abe et al., arXiv:1011.0352. PDG, R. L. Workman et al., PTEP 2022 083C01,
review 34 (multiple scattering, eq. 34.16) and review 35 (momentum resolution of a tracker).
"""

from __future__ import annotations

import numba
import numpy as np

from darkscan.detector.card import TrackingCard

__all__ = [
    "TRACK_PDG",
    "charge_of",
    "mass_of",
    "reconstruct_tracks",
    "smear_tracks",
    "smear_tracks_reference",
    "track_efficiency",
    "true_impact_parameters",
]

#: |pdg| of the particles that leave tracks: e, mu, pi, K, p.
TRACK_PDG = np.array([11, 13, 211, 321, 2212], dtype=np.int32)
_TRACK_MASS = np.array([0.51099895e-3, 0.1056583755, 0.13957039, 0.493677, 0.93827208816])
# charge of the particle with positive pdg code: leptons negative, hadrons positive
_TRACK_CHARGE_POS = np.array([-1, -1, 1, 1, 1], dtype=np.int8)


def _species_index(pdg) -> np.ndarray:
    """Index into :data:`TRACK_PDG` (0..4), or -1 for particles that give no track."""
    apdg = np.abs(np.asarray(pdg))
    idx = np.searchsorted(TRACK_PDG, apdg)
    idx = np.minimum(idx, len(TRACK_PDG) - 1)
    return np.where(TRACK_PDG[idx] == apdg, idx, -1)


def charge_of(pdg) -> np.ndarray:
    """Electric charge (+1, -1, or 0 for non-track particles) of a track-forming particle.

    >>> charge_of([11, -11, 13, 211, -321, 2212, 22]).tolist()
    [-1, 1, -1, 1, -1, 1, 0]
    """
    pdg = np.asarray(pdg)
    idx = _species_index(pdg)
    base = np.where(idx >= 0, _TRACK_CHARGE_POS[np.maximum(idx, 0)], 0)
    return (np.sign(pdg) * base).astype(np.int8)


def mass_of(pdg) -> np.ndarray:
    """Mass in GeV of a track-forming particle (0 for others); values from the PDG 2022."""
    idx = _species_index(pdg)
    return np.where(idx >= 0, _TRACK_MASS[np.maximum(idx, 0)], 0.0)


def track_efficiency(pt, card: TrackingCard) -> np.ndarray:
    """Track-finding efficiency ``plateau (1 - exp(-(pt - pt_min)/pt_scale))`` (0 below pt_min).

    >>> from darkscan.detector.card import load_card
    >>> round(float(track_efficiency(10.0, load_card("belle2").tracking)), 6)
    0.98
    """
    pt = np.asarray(pt, dtype=np.float64)
    x = np.maximum(pt - card.pt_min, 0.0) / card.efficiency_pt_scale
    return np.where(pt > card.pt_min, card.efficiency_plateau * -np.expm1(-x), 0.0)


def true_impact_parameters(vx, vy, vz, px, py, pz):
    """Straight-line impact parameters (d0, z0) in cm of a particle from vertex (vx, vy, vz).

    ``d0 = (x p_y - y p_x)/p_T``, ``z0 = z - (x p_x + y p_y) p_z / p_T^2`` (point of
    closest approach to the z axis in the transverse plane).

    >>> [round(float(v), 6) for v in true_impact_parameters(1.0, 0.0, 2.0, 0.0, 1.0, 1.0)]
    [1.0, 2.0]
    """
    vx, vy, vz, px, py, pz = (np.asarray(a, dtype=np.float64) for a in (vx, vy, vz, px, py, pz))
    pt2 = px * px + py * py
    pt = np.sqrt(pt2)
    d0 = (vx * py - vy * px) / pt
    z0 = vz - (vx * px + vy * py) * pz / pt2
    return d0, z0


def _parameters(card: TrackingCard) -> np.ndarray:
    return np.array(
        [
            card.pt_resolution_a,
            card.pt_resolution_b,
            card.theta_resolution_a,
            card.theta_resolution_b,
            card.phi_resolution_a,
            card.phi_resolution_b,
            card.d0_resolution_a,
            card.d0_resolution_b,
            card.z0_resolution_a,
            card.z0_resolution_b,
        ],
        dtype=np.float64,
    )


def smear_tracks_reference(px, py, pz, mass, d0, z0, normals, card: TrackingCard) -> dict:
    """Smear track parameters (plain numpy reference of :func:`smear_tracks`).

    Parameters
    ----------
    px, py, pz : array_like, shape (n,)
        True momentum in GeV (lab).
    mass : array_like, shape (n,)
        Mass hypothesis in GeV.
    d0, z0 : array_like, shape (n,)
        True impact parameters in cm.
    normals : array_like, shape (5, n)
        Standard-normal draws for pt, theta, phi, d0, z0.
    card : TrackingCard

    Returns
    -------
    dict
        ``px, py, pz, E, p, pt, theta, phi, d0, z0`` (float64 arrays, GeV, rad, cm).
    """
    a = _parameters(card)
    px, py, pz, mass = (np.asarray(v, dtype=np.float64) for v in (px, py, pz, mass))
    pt = np.hypot(px, py)
    p = np.sqrt(pt * pt + pz * pz)
    beta = p / np.sqrt(p * p + mass * mass)
    theta = np.arctan2(pt, pz)
    phi = np.arctan2(py, px)
    sin_theta = np.sin(theta)
    n = np.asarray(normals, dtype=np.float64)
    sigma_pt = pt * np.hypot(a[0] * pt, a[1] / beta)
    sigma_theta = np.hypot(a[2], a[3] / (p * beta))
    sigma_phi = np.hypot(a[4], a[5] / (p * beta))
    sigma_d0 = np.hypot(a[6], a[7] / (p * beta * sin_theta**1.5))
    sigma_z0 = np.hypot(a[8], a[9] / (p * beta * sin_theta**2.5))
    pt_s = np.abs(pt + sigma_pt * n[0])
    theta_s = np.clip(theta + sigma_theta * n[1], 1e-6, np.pi - 1e-6)
    phi_s = phi + sigma_phi * n[2]
    phi_s = np.arctan2(np.sin(phi_s), np.cos(phi_s))
    p_s = pt_s / np.sin(theta_s)
    out = {
        "px": pt_s * np.cos(phi_s),
        "py": pt_s * np.sin(phi_s),
        "pz": pt_s / np.tan(theta_s),
        "E": np.sqrt(p_s * p_s + mass * mass),
        "p": p_s,
        "pt": pt_s,
        "theta": theta_s,
        "phi": phi_s,
        "d0": np.asarray(d0, dtype=np.float64) + sigma_d0 * n[3],
        "z0": np.asarray(z0, dtype=np.float64) + sigma_z0 * n[4],
    }
    return out


@numba.njit(cache=True, fastmath=False)
def _smear_kernel(px, py, pz, mass, d0, z0, normals, a, out):  # pragma: no cover - numba
    for i in range(px.shape[0]):
        pxi = np.float64(px[i])
        pyi = np.float64(py[i])
        pzi = np.float64(pz[i])
        m = np.float64(mass[i])
        pt = np.sqrt(pxi * pxi + pyi * pyi)
        p = np.sqrt(pt * pt + pzi * pzi)
        energy = np.sqrt(p * p + m * m)
        theta = np.arctan2(pt, pzi)
        phi = np.arctan2(pyi, pxi)
        st = pt / p
        pb = p * p / energy  # p * beta
        inv_beta = energy / p
        ms_d0 = a[7] / (pb * st * np.sqrt(st))
        ms_z0 = a[9] / (pb * st * st * np.sqrt(st))
        s_pt = pt * np.sqrt((a[0] * pt) ** 2 + (a[1] * inv_beta) ** 2)
        s_th = np.sqrt(a[2] * a[2] + (a[3] / pb) ** 2)
        s_ph = np.sqrt(a[4] * a[4] + (a[5] / pb) ** 2)
        s_d0 = np.sqrt(a[6] * a[6] + ms_d0 * ms_d0)
        s_z0 = np.sqrt(a[8] * a[8] + ms_z0 * ms_z0)
        pt_s = abs(pt + s_pt * normals[0, i])
        th_s = theta + s_th * normals[1, i]
        if th_s < 1e-6:
            th_s = 1e-6
        elif th_s > np.pi - 1e-6:
            th_s = np.pi - 1e-6
        ph_s = phi + s_ph * normals[2, i]
        if ph_s > np.pi:
            ph_s -= 2.0 * np.pi
        elif ph_s < -np.pi:
            ph_s += 2.0 * np.pi
        sin_s = np.sin(th_s)
        p_s = pt_s / sin_s
        out[0, i] = pt_s * np.cos(ph_s)
        out[1, i] = pt_s * np.sin(ph_s)
        out[2, i] = pt_s * np.cos(th_s) / sin_s
        out[3, i] = np.sqrt(p_s * p_s + m * m)
        out[4, i] = p_s
        out[5, i] = pt_s
        out[6, i] = th_s
        out[7, i] = ph_s
        out[8, i] = d0[i] + s_d0 * normals[3, i]
        out[9, i] = z0[i] + s_z0 * normals[4, i]


_SMEAR_FIELDS = ("px", "py", "pz", "E", "p", "pt", "theta", "phi", "d0", "z0")


def smear_tracks(px, py, pz, mass, d0, z0, normals, card: TrackingCard) -> dict:
    """Smear track parameters (numba kernel; same inputs and outputs as the reference).

    See :func:`smear_tracks_reference` for parameters; returns float64 arrays.
    """
    n = len(px)
    out = np.empty((len(_SMEAR_FIELDS), n), dtype=np.float64)
    if n:
        _smear_kernel(
            np.ascontiguousarray(px),
            np.ascontiguousarray(py),
            np.ascontiguousarray(pz),
            np.ascontiguousarray(mass, dtype=np.float64),
            np.ascontiguousarray(d0, dtype=np.float64),
            np.ascontiguousarray(z0, dtype=np.float64),
            np.ascontiguousarray(normals),
            _parameters(card),
            out,
        )
    return dict(zip(_SMEAR_FIELDS, out, strict=True))


def _in_cone(pz, p2, cos_lo: float, cos_hi: float) -> np.ndarray:
    """Polar acceptance as ``cos_lo < pz/p < cos_hi`` (no arctan per particle; p2 > 0)."""
    c = pz / np.sqrt(np.maximum(p2, 1e-30))
    return (c > cos_lo) & (c < cos_hi) & (p2 > 0)


def reconstruct_tracks(particles: dict, card: TrackingCard, rng: np.random.Generator) -> dict:
    """Select and smear the tracks of flattened truth particles.

    Parameters
    ----------
    particles : dict of numpy arrays, shape (n_particles,)
        Flat truth particles with ``pdg, px, py, pz, E, vx, vy, vz, is_final``.
    card : TrackingCard
    rng : numpy.random.Generator
        Draws, in this order: efficiency uniforms (one per candidate), then normals (5 per
        reconstructed track).

    Returns
    -------
    dict
        ``index`` (flat particle index of each track, increasing), ``charge`` (int8),
        ``true_d0, true_z0`` and the smeared ``px, py, pz, E, p, pt, theta, phi, d0, z0``.
    """
    pdg = particles["pdg"]
    px, py, pz = particles["px"], particles["py"], particles["pz"]
    pt2 = px * px + py * py
    p2 = pt2 + pz * pz
    # theta_min < theta < theta_max  <=>  cos(theta_max) < pz/p < cos(theta_min)
    cos_lo, cos_hi = np.cos(np.radians([card.theta_max, card.theta_min]))
    rxy2 = particles["vx"] * particles["vx"] + particles["vy"] * particles["vy"]
    candidate = _in_cone(pz, p2, cos_lo, cos_hi) & (
        particles["is_final"]
        & (pt2 > card.pt_min**2)
        & (rxy2 < card.max_production_rxy**2)
        & (_species_index(pdg) >= 0)
    )
    cand = np.flatnonzero(candidate)
    u = rng.random(cand.size)
    index = cand[u < track_efficiency(np.sqrt(pt2[cand].astype(np.float64)), card)]
    d0, z0 = true_impact_parameters(
        particles["vx"][index],
        particles["vy"][index],
        particles["vz"][index],
        px[index],
        py[index],
        pz[index],
    )
    normals = rng.standard_normal((5, index.size))
    out = smear_tracks(px[index], py[index], pz[index], mass_of(pdg[index]), d0, z0, normals, card)
    out["index"] = index
    out["charge"] = charge_of(pdg[index])
    out["true_d0"] = d0
    out["true_z0"] = z0
    return out
