"""Electromagnetic calorimeter (ECL): deposits, merging, smearing and track matching.

Each stable visible particle pointing into one of the three ECL regions (forward endcap,
barrel, backward endcap; the gaps between them give nothing) leaves a *deposit*:

* photons and electrons: their full energy, with efficiency ``photon_efficiency``;
* muons: a minimum-ionising deposit ``N(mip_energy, mip_energy_width)`` (at most the
  kinetic energy);
* charged hadrons: with probability ``hadron_shower_probability`` a hadronic shower with an
  energy uniform in ``[mip, E_kin]``, otherwise a MIP deposit;
* charged particles with ``pT < charged_pt_min_barrel`` curl up inside the barrel radius
  and leave nothing in the barrel.

Deposits of one event closer than ``merge_angle`` merge into one cluster (greedy, highest
energy first: each seed absorbs all lower-energy deposits within the angle; this is what
makes the two photons of an energetic pi0 one cluster). The merged energy is then smeared
with ``sigma_E/E = a/E (+) b/E^(1/4) (+) c`` and the direction with
``sigma_theta = a (+) b/sqrt(E)`` (``sigma_phi = sigma_theta / sin theta``), with the
parameters of the region of the cluster's leading deposit; clusters below
``energy_threshold`` are dropped. A cluster is *track matched* if any of its deposits came
from a particle with a reconstructed track (truth matching).

The merging kernel exists as a plain per-event Python reference
(:func:`merge_deposits_reference`) and a numba kernel (:func:`merge_deposits`); the tests
check they agree.

References
----------
Belle II TDR, T. Abe et al., arXiv:1011.0352, ch. 9 (ECL geometry, energy resolution form);
A. Abashian et al. (Belle), NIM A 479 (2002) 117 (ECL beam test: sigma_E/E and position
resolution). Belle II Physics Book, arXiv:1808.10567, sec. 3 (polar coverage of the regions).
"""

from __future__ import annotations

import numba
import numpy as np

from darkscan.detector.card import CalorimeterCard
from darkscan.detector.tracking import mass_of

__all__ = [
    "REGION_BACKWARD",
    "REGION_BARREL",
    "REGION_FORWARD",
    "REGION_NONE",
    "angle_resolution",
    "ecl_region",
    "energy_resolution",
    "make_deposits",
    "merge_deposits",
    "merge_deposits_reference",
    "reconstruct_clusters",
    "resolution_table",
]

#: basf2 ``clusterReg`` codes: 1 forward endcap, 2 barrel, 3 backward endcap (0: gap/outside).
REGION_NONE, REGION_FORWARD, REGION_BARREL, REGION_BACKWARD = 0, 1, 2, 3

_CHARGED_HADRONS = (211, 321, 2212)


def ecl_region(theta_deg, card: CalorimeterCard) -> np.ndarray:
    """ECL region code (basf2 ``clusterReg``) of a lab polar angle in degrees; 0 in the gaps.

    >>> from darkscan.detector.card import load_card
    >>> ecl_region([12.0, 20.0, 31.8, 90.0, 129.5, 140.0, 160.0], load_card("belle2").calorimeter).tolist()
    [0, 1, 0, 2, 0, 3, 0]
    """
    t = np.asarray(theta_deg, dtype=np.float64)
    region = np.zeros(t.shape, dtype=np.int8)
    region[(t >= card.forward_theta_min) & (t <= card.forward_theta_max)] = REGION_FORWARD
    region[(t >= card.barrel_theta_min) & (t <= card.barrel_theta_max)] = REGION_BARREL
    region[(t >= card.backward_theta_min) & (t <= card.backward_theta_max)] = REGION_BACKWARD
    return region


def resolution_table(card: CalorimeterCard) -> np.ndarray:
    """Resolution parameters by region code, float64 (4, 5): rows 0 (gap, as the barrel, as
    basf2 treats the gap regions), forward, barrel, backward; columns energy_a, energy_b,
    energy_c, angle_a, angle_b of the card's ``[calorimeter.<region>_resolution]``.

    >>> from darkscan.detector.card import load_card
    >>> resolution_table(load_card("belle2").calorimeter)[REGION_BARREL].tolist()
    [0.00095, 0.01545, 0.01374, 0.0023, 0.0025]
    """
    rows = [card.barrel_resolution, card.forward_resolution]
    rows += [card.barrel_resolution, card.backward_resolution]
    return np.array(
        [[r.energy_a, r.energy_b, r.energy_c, r.angle_a, r.angle_b] for r in rows],
        dtype=np.float64,
    )


def energy_resolution(energy, card: CalorimeterCard, region=REGION_BARREL) -> np.ndarray:
    """Absolute energy resolution sigma_E in GeV: ``E * (a/E (+) b/E^(1/4) (+) c)`` with the
    parameters of the cluster's ECL region (basf2 ``clusterReg`` code, broadcast with
    ``energy``).

    References: Belle II TDR arXiv:1011.0352 ch. 9 (form); the Belle II card's parameters are
    fits to basf2 ``ECLCovarianceMatrixModule.cc`` per region (``docs/belle2_card_sources.md``).

    >>> from darkscan.detector.card import load_card
    >>> round(float(energy_resolution(1.0, load_card("belle2").calorimeter)), 5)
    0.0207
    """
    e = np.maximum(np.asarray(energy, dtype=np.float64), 1e-9)
    par = resolution_table(card)[np.asarray(region, dtype=np.intp)]
    rel = np.sqrt((par[..., 0] / e) ** 2 + (par[..., 1] / e**0.25) ** 2 + par[..., 2] ** 2)
    return e * rel


def angle_resolution(energy, card: CalorimeterCard, region=REGION_BARREL) -> np.ndarray:
    """Polar-angle resolution in rad: ``a (+) b/sqrt(E)`` (E in GeV) with the parameters of
    the cluster's ECL region (as :func:`energy_resolution`)."""
    e = np.maximum(np.asarray(energy, dtype=np.float64), 1e-9)
    par = resolution_table(card)[np.asarray(region, dtype=np.intp)]
    return np.hypot(par[..., 3], par[..., 4] / np.sqrt(e))


def make_deposits(
    particles: dict, has_track: np.ndarray, card: CalorimeterCard, rng: np.random.Generator
) -> dict:
    """Energy deposits of flat truth particles (see the module docstring).

    Parameters
    ----------
    particles : dict of numpy arrays
        Flat truth particles with ``pdg, px, py, pz, E, is_final, is_invisible``.
    has_track : numpy.ndarray of bool
        Per particle: a track was reconstructed from it.
    card : CalorimeterCard
    rng : numpy.random.Generator
        Draws, in this order, one uniform per candidate (efficiency / shower choice), one
        normal per candidate (MIP energy) and one uniform per candidate (shower fraction).

    Returns
    -------
    dict
        ``index`` (flat particle index), ``energy`` (GeV), ``theta``, ``phi`` (rad, true
        direction), ``region``, ``matched`` (bool) per deposit.
    """
    pdg = np.abs(particles["pdg"])
    px = particles["px"].astype(np.float64)
    py = particles["py"].astype(np.float64)
    pz = particles["pz"].astype(np.float64)
    pt = np.hypot(px, py)
    theta = np.arctan2(pt, pz)
    region = ecl_region(np.degrees(theta), card)
    is_em = (pdg == 22) | (pdg == 11)
    is_mu = pdg == 13
    is_had = np.isin(pdg, _CHARGED_HADRONS)
    charged = (pdg == 11) | is_mu | is_had
    visible = particles["is_final"] & ~particles["is_invisible"] & (is_em | is_mu | is_had)
    curls = charged & (region == REGION_BARREL) & (pt < card.charged_pt_min_barrel)
    cand = np.flatnonzero(visible & (region != REGION_NONE) & ~curls)
    u = rng.random(cand.size)
    g = rng.standard_normal(cand.size)
    v = rng.random(cand.size)
    energy_true = particles["E"][cand].astype(np.float64)
    kinetic = np.maximum(energy_true - mass_of(particles["pdg"][cand]), 0.0)
    mip = np.minimum(np.maximum(card.mip_energy + card.mip_energy_width * g, 0.0), kinetic)
    em = is_em[cand]
    had = is_had[cand]
    showers = had & (u < card.hadron_shower_probability)
    shower_e = card.mip_energy + v * np.maximum(kinetic - card.mip_energy, 0.0)
    energy = np.where(em, energy_true, np.where(showers, np.minimum(shower_e, kinetic), mip))
    keep = np.where(em, u < card.photon_efficiency, True) & (energy > 0.0)
    sel = cand[keep]
    return {
        "index": sel,
        "energy": energy[keep],
        "theta": theta[sel],
        "phi": np.arctan2(py[sel], px[sel]),
        "region": region[sel],
        "matched": has_track[sel],
    }


def merge_deposits_reference(event, energy, theta, phi, merge_angle: float):
    """Cluster id of each deposit and seed of each cluster (plain reference of :func:`merge_deposits`).

    Deposits must be grouped by event (``event`` non-decreasing). Within an event, deposits
    are visited by decreasing energy (stable order for ties); each unassigned deposit seeds a
    new cluster that absorbs every unassigned deposit within ``merge_angle`` (rad) of the
    seed. Cluster ids are global and increase in order of creation.

    Returns
    -------
    cluster : numpy.ndarray of int64, shape (n_deposits,)
        Cluster id of each deposit.
    seed : numpy.ndarray of int64, shape (n_clusters,)
        Index of the seed (highest-energy, first on ties) deposit of each cluster.
    """
    event = np.asarray(event)
    ux = np.sin(theta) * np.cos(phi)
    uy = np.sin(theta) * np.sin(phi)
    uz = np.cos(theta)
    cos_max = np.cos(merge_angle)
    cluster = np.full(event.size, -1, dtype=np.int64)
    seeds = []
    start = 0
    while start < event.size:
        stop = start
        while stop < event.size and event[stop] == event[start]:
            stop += 1
        order = start + np.argsort(-np.asarray(energy[start:stop]), kind="stable")
        for i in order:
            if cluster[i] >= 0:
                continue
            cluster[i] = len(seeds)
            for j in order:
                if cluster[j] < 0 and ux[i] * ux[j] + uy[i] * uy[j] + uz[i] * uz[j] >= cos_max:
                    cluster[j] = len(seeds)
            seeds.append(i)
        start = stop
    return cluster, np.array(seeds, dtype=np.int64)


@numba.njit(cache=True)
def _merge_kernel(event, energy, ux, uy, uz, cos_max, cluster, seed):  # pragma: no cover - numba
    n = event.shape[0]
    next_id = 0
    start = 0
    scratch = np.empty(64, dtype=np.int64)
    while start < n:
        stop = start
        while stop < n and event[stop] == event[start]:
            stop += 1
        if stop - start == 1:
            cluster[start] = next_id
            seed[next_id] = start
            next_id += 1
            start = stop
            continue
        # stable insertion sort by decreasing energy into the scratch buffer (no allocation)
        m = stop - start
        if m > scratch.shape[0]:
            scratch = np.empty(2 * m, dtype=np.int64)
        for a in range(m):
            k = start + a
            b = a
            while b > 0 and energy[scratch[b - 1]] < energy[k]:
                scratch[b] = scratch[b - 1]
                b -= 1
            scratch[b] = k
        for a in range(m):
            i = scratch[a]
            if cluster[i] >= 0:
                continue
            cluster[i] = next_id
            seed[next_id] = i
            for b in range(a + 1, m):
                j = scratch[b]
                if cluster[j] < 0 and ux[i] * ux[j] + uy[i] * uy[j] + uz[i] * uz[j] >= cos_max:
                    cluster[j] = next_id
            next_id += 1
        start = stop
    return next_id


def merge_deposits(event, energy, theta, phi, merge_angle: float):
    """Cluster id of each deposit and seed of each cluster (numba kernel).

    Same algorithm and outputs as :func:`merge_deposits_reference`.

    >>> import numpy as np
    >>> cluster, seed = merge_deposits(np.array([0, 0, 0, 1]), np.array([1.0, 2.0, 0.5, 1.0]),
    ...                                np.array([1.0, 1.01, 2.0, 1.0]), np.zeros(4), 0.045)
    >>> cluster.tolist(), seed.tolist()
    ([0, 0, 1, 2], [1, 2, 3])
    """
    event = np.ascontiguousarray(event, dtype=np.int64)
    theta = np.asarray(theta, dtype=np.float64)
    phi = np.asarray(phi, dtype=np.float64)
    cluster = np.full(event.size, -1, dtype=np.int64)
    seed = np.empty(event.size, dtype=np.int64)
    n_clusters = 0
    if event.size:
        st = np.sin(theta)
        n_clusters = _merge_kernel(
            event,
            np.ascontiguousarray(energy, dtype=np.float64),
            st * np.cos(phi),
            st * np.sin(phi),
            np.cos(theta),
            np.cos(merge_angle),
            cluster,
            seed,
        )
    return cluster, seed[:n_clusters]


def reconstruct_clusters(
    particles: dict,
    event_of_particle: np.ndarray,
    has_track: np.ndarray,
    card: CalorimeterCard,
    rng: np.random.Generator,
) -> dict:
    """ECL clusters of flat truth particles.

    Parameters
    ----------
    particles : dict of numpy arrays
        Flat truth particles (lab frame).
    event_of_particle : numpy.ndarray of int
        Event number of each particle (non-decreasing).
    has_track : numpy.ndarray of bool
        Per particle: a track was reconstructed from it.
    card : CalorimeterCard
    rng : numpy.random.Generator
        Draws: deposits (see :func:`make_deposits`), then three normals per cluster
        (energy, theta, phi).

    Returns
    -------
    dict
        Per cluster: ``event``, ``E``, ``theta``, ``phi``, ``region``, ``matched``,
        ``index`` (flat index of the leading deposit's particle); and ``particle_energy``,
        an array over all particles with the energy of the reconstructed cluster the
        particle contributed to (0 if none).
    """
    dep = make_deposits(particles, has_track, card, rng)
    ev = event_of_particle[dep["index"]]
    cid, lead = merge_deposits(ev, dep["energy"], dep["theta"], dep["phi"], card.merge_angle)
    n_cl = lead.size
    e_sum = np.bincount(cid, weights=dep["energy"], minlength=n_cl)
    st = np.sin(dep["theta"])
    vec = [
        np.bincount(cid, weights=dep["energy"] * c, minlength=n_cl)
        for c in (st * np.cos(dep["phi"]), st * np.sin(dep["phi"]), np.cos(dep["theta"]))
    ]
    theta_true = np.arctan2(np.hypot(vec[0], vec[1]), vec[2])
    phi_true = np.arctan2(vec[1], vec[0])
    matched = np.bincount(cid, weights=dep["matched"].astype(np.float64), minlength=n_cl) > 0
    g = rng.standard_normal((3, n_cl))
    region = dep["region"][lead]
    e_reco = e_sum + energy_resolution(e_sum, card, region) * g[0]
    s_th = angle_resolution(e_sum, card, region)
    theta_reco = np.clip(theta_true + s_th * g[1], 0.0, np.pi)
    phi_reco = phi_true + s_th / np.maximum(np.sin(theta_true), 1e-3) * g[2]
    phi_reco = np.arctan2(np.sin(phi_reco), np.cos(phi_reco))
    alive = e_reco > card.energy_threshold
    particle_energy = np.zeros(particles["pdg"].size, dtype=np.float64)
    dep_alive = alive[cid] if cid.size else np.zeros(0, dtype=bool)
    particle_energy[dep["index"][dep_alive]] = e_reco[cid[dep_alive]]
    return {
        "event": ev[lead][alive],
        "E": e_reco[alive],
        "theta": theta_reco[alive],
        "phi": phi_reco[alive],
        "region": region[alive],
        "matched": matched[alive],
        "index": dep["index"][lead][alive],
        "particle_energy": particle_energy,
    }
