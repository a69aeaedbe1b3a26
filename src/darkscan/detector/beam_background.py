"""Beam-induced background: extra low-energy ECL clusters and low-pT tracks per event.

Per event, the number of extra clusters is Poisson(``photons_mean``); each has energy
``photon_energy_min + Exp(photon_energy_scale)``, lies in an endcap with probability
``photon_endcap_fraction`` (forward or backward with equal probability) and otherwise in the
barrel, uniform in cos(theta) inside the region and uniform in phi. Extra tracks:
Poisson(``tracks_mean``) per event, ``pT = track_pt_min + Exp(track_pt_scale)``, uniform in
cos(theta) within the CDC acceptance, random charge, Gaussian d0 and z0 (not from the IP),
pion mass. Beam-background objects are flagged and carry ``mcIndex = -1``.

This is a parametrisation with card-controlled rates, not a model of the SuperKEKB loss
processes (Touschek, beam-gas, radiative Bhabha); realistic levels come from basf2
background overlays and should be tuned into the card.

References
----------
P. M. Lewis et al., "First measurements of beam backgrounds at SuperKEKB",
NIM A 914 (2019) 69, arXiv:1802.01366 (sources and their angular structure).
"""

from __future__ import annotations

import numpy as np

from darkscan.detector.calorimeter import REGION_BACKWARD, REGION_BARREL, REGION_FORWARD
from darkscan.detector.card import BeamBackgroundCard, CalorimeterCard, TrackingCard

__all__ = [
    "POOL_SEED",
    "POOL_SIZE",
    "background_pool",
    "beam_background_clusters",
    "beam_background_tracks",
]

_M_PI = 0.13957039


def _uniform_cos(rng_u, theta_min_deg, theta_max_deg):
    c_lo = np.cos(np.radians(theta_max_deg))
    c_hi = np.cos(np.radians(theta_min_deg))
    return np.arccos(c_lo + (c_hi - c_lo) * rng_u)


def beam_background_clusters(
    n_events: int, card: BeamBackgroundCard, ecl: CalorimeterCard, rng: np.random.Generator
) -> dict:
    """Extra ECL clusters for ``n_events`` events.

    Draws (in order): Poisson counts per event, then per cluster one exponential (energy),
    three uniforms (region choice, cos(theta), phi).

    Returns
    -------
    dict
        ``event`` (non-decreasing), ``E`` (GeV), ``theta``, ``phi`` (rad), ``region``.

    Examples
    --------
    >>> from darkscan.detector.card import load_card
    >>> c = load_card("belle2")
    >>> out = beam_background_clusters(1000, c.beam_background, c.calorimeter,
    ...                                np.random.default_rng(1))
    >>> bool(np.all(out["E"] >= 0.02))
    True
    """
    counts = rng.poisson(card.photons_mean, size=n_events)
    n = int(counts.sum())
    event = np.repeat(np.arange(n_events), counts)
    energy = card.photon_energy_min + rng.exponential(card.photon_energy_scale, size=n)
    u = rng.random((3, n))
    endcap = u[0] < card.photon_endcap_fraction
    forward = u[0] < 0.5 * card.photon_endcap_fraction
    region = np.where(endcap, np.where(forward, REGION_FORWARD, REGION_BACKWARD), REGION_BARREL)
    lo = np.select(
        [region == REGION_FORWARD, region == REGION_BARREL],
        [ecl.forward_theta_min, ecl.barrel_theta_min],
        ecl.backward_theta_min,
    )
    hi = np.select(
        [region == REGION_FORWARD, region == REGION_BARREL],
        [ecl.forward_theta_max, ecl.barrel_theta_max],
        ecl.backward_theta_max,
    )
    theta = _uniform_cos(u[1], lo, hi)
    phi = np.pi * (2.0 * u[2] - 1.0)
    return {
        "event": event,
        "E": energy,
        "theta": theta,
        "phi": phi,
        "region": region.astype(np.int8),
    }


def beam_background_tracks(
    n_events: int, card: BeamBackgroundCard, tracking: TrackingCard, rng: np.random.Generator
) -> dict:
    """Extra low-pT tracks for ``n_events`` events.

    Draws (in order): Poisson counts per event, then per track one exponential (pT), three
    uniforms (cos(theta), phi, charge) and two normals (d0, z0).

    Returns
    -------
    dict
        ``event``, ``px, py, pz, E, p, pt, theta, phi`` (GeV, rad), ``charge`` (int8),
        ``d0, z0`` (cm).
    """
    counts = rng.poisson(card.tracks_mean, size=n_events)
    n = int(counts.sum())
    event = np.repeat(np.arange(n_events), counts)
    pt = card.track_pt_min + rng.exponential(card.track_pt_scale, size=n)
    u = rng.random((3, n))
    g = rng.standard_normal((2, n))
    theta = _uniform_cos(u[0], tracking.theta_min, tracking.theta_max)
    phi = np.pi * (2.0 * u[1] - 1.0)
    p = pt / np.sin(theta)
    return {
        "event": event,
        "px": pt * np.cos(phi),
        "py": pt * np.sin(phi),
        "pz": pt / np.tan(theta),
        "E": np.sqrt(p * p + _M_PI**2),
        "p": p,
        "pt": pt,
        "theta": theta,
        "phi": phi,
        "charge": np.where(u[2] < 0.5, -1, 1).astype(np.int8),
        "d0": card.track_d0_width * g[0],
        "z0": card.track_z0_width * g[1],
    }


#: Number of background "events" in the overlay pool of the fused kernel.
POOL_SIZE = 2**18
#: Seed of the overlay pool (fixed: the pool depends on the card only).
POOL_SEED = 0x0B2BB00F

_POOL_CACHE: dict[tuple, dict] = {}


def background_pool(
    card: BeamBackgroundCard,
    ecl: CalorimeterCard,
    tracking: TrackingCard,
    size: int = POOL_SIZE,
    seed: int = POOL_SEED,
) -> dict:
    """Overlay pool of ``size`` beam-background events for the fused simulation kernel.

    As basf2 overlays recorded random-trigger background events and reuses them (basf2
    documentation, "Background Package"; G. Gaudino, arXiv:2601.19728), the fused
    kernel (:mod:`darkscan.detector._kernels`) does not generate the background of every
    simulated event: for each run of 4096 consecutive events it draws one uniform that
    picks a starting entry of this pool and gives the events the following entries
    (cyclically), copying their clusters and tracks (sequential reads: a random entry per
    event costs a cache miss per event). The pool is made once per process and card content by
    :func:`beam_background_clusters` and :func:`beam_background_tracks` (the same Poisson
    counts and spectra as the per-event generation of the numpy reference path) with the
    fixed seed ``seed``, and cached (read-only arrays).

    Statistical effect: every simulated sample sees the same ``size`` background events, so
    a background-dependent quantity (e.g. a photon-veto efficiency, or the mean number of
    extra clusters) carries, besides the sampling error of the simulated events, the
    statistical error of the pool, about ``sqrt(eff (1 - eff) / size)``, 0.1% for
    ``size = 2^18`` and ``eff = 0.5``; and samples simulated with the same card share that
    fluctuation (it cancels in ratios of them). Pass a different ``seed`` to vary it.

    Parameters
    ----------
    card, ecl, tracking : BeamBackgroundCard, CalorimeterCard, TrackingCard
        The card sections the background depends on.
    size : int
        Number of pool entries.
    seed : int
        Seed of the pool's ``numpy.random.Generator``.

    Returns
    -------
    dict
        ``clusters``: the output of :func:`beam_background_clusters` for ``size`` events
        (``event``, ``E``, ``theta``, ``phi``, ``region``) plus ``offsets`` (size + 1);
        ``tracks``: that of :func:`beam_background_tracks` plus ``offsets``.

    Examples
    --------
    >>> from darkscan.detector.card import load_card
    >>> c = load_card("belle2")
    >>> pool = background_pool(c.beam_background, c.calorimeter, c.tracking, size=1000)
    >>> pool["clusters"]["offsets"].size, round(float(pool["clusters"]["E"].min()), 2)
    (1001, 0.02)
    """
    key = (card.model_dump_json(), ecl.model_dump_json(), tracking.model_dump_json(), size, seed)
    pool = _POOL_CACHE.get(key)
    if pool is None:
        rng = np.random.default_rng(seed)
        clusters = beam_background_clusters(size, card, ecl, rng)
        tracks = beam_background_tracks(size, card, tracking, rng)
        for part in (clusters, tracks):
            counts = np.bincount(part["event"], minlength=size)
            part["offsets"] = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
            for arr in part.values():
                arr.flags.writeable = False
        pool = {"clusters": clusters, "tracks": tracks}
        if len(_POOL_CACHE) >= 4:
            _POOL_CACHE.pop(next(iter(_POOL_CACHE)))
        _POOL_CACHE[key] = pool
    return pool
