"""Level-1 trigger emulation: one boolean per line and event, plus their OR (``any``).

Lines (thresholds in ``[trigger.*]`` of the card):

``two_track``
    at least ``n_tracks_min`` tracks with ``pT > pt_min`` and, for two or more, a pair with a
    transverse opening angle above ``opening_angle_min`` (CDC two-track bit);
``single_muon``
    a track with ``pT > pt_min`` and ``muonID > muon_id_min`` (CDC track matched to KLM hits);
``single_photon``
    an ECL cluster inside one of the ``regions`` (open lab polar-angle windows) with a
    CM-frame energy above that region's ``e_cms_min`` (Belle II: 0.5 GeV in the inner barrel,
    1 GeV in the barrel, 2 GeV elsewhere; basf2 ``skim/scripts/skim/WGs/dark.py``,
    ``SinglePhotonDark``, "matching HLT");
``three_photon``
    at least ``n_clusters_min`` ECL clusters with lab energy above ``e_min``;
``displaced_vertex``
    a reconstructed vertex with ``rxy_min < dr < rxy_max`` whose two tracks both have
    ``pT > daughter_pt_min``.

When its condition holds a line fires with probability ``efficiency`` (one uniform per line
and event, drawn in the order above, also for disabled lines so that switching a line off
does not change the others). Disabled lines are always False.

The per-event pair search of ``two_track`` exists as a plain reference
(:func:`max_opening_angle_reference`) and a numba kernel (:func:`max_opening_angle`).

References
----------
Belle II TDR, arXiv:1011.0352, ch. 11 (trigger); Belle II Physics Book, arXiv:1808.10567,
sec. 3.3 (dark-sector trigger lines: single photon, two track, displaced vertex).
"""

from __future__ import annotations

import numba
import numpy as np

from darkscan.beams import Collider
from darkscan.detector.card import TriggerCard

__all__ = [
    "TRIGGER_LINES",
    "cms_energy",
    "evaluate_trigger",
    "max_opening_angle",
    "max_opening_angle_reference",
]

#: Trigger line names in evaluation (and random-draw) order.
TRIGGER_LINES = ("two_track", "single_muon", "single_photon", "three_photon", "displaced_vertex")


def max_opening_angle_reference(event, phi, n_events: int) -> np.ndarray:
    """Largest transverse opening angle (rad, in [0, pi]) between two tracks of each event.

    Plain per-event reference of :func:`max_opening_angle`; events with fewer than two
    tracks get -1. ``event`` must be non-decreasing.
    """
    out = np.full(n_events, -1.0)
    for e in range(n_events):
        ph = phi[event == e]
        for i in range(ph.size):
            for j in range(i + 1, ph.size):
                d = abs(np.arctan2(np.sin(ph[i] - ph[j]), np.cos(ph[i] - ph[j])))
                out[e] = max(out[e], d)
    return out


@numba.njit(cache=True)
def _opening_kernel(event, phi, out):  # pragma: no cover - numba
    n = event.shape[0]
    start = 0
    while start < n:
        stop = start
        while stop < n and event[stop] == event[start]:
            stop += 1
        best = -1.0
        for i in range(start, stop):
            for j in range(i + 1, stop):
                dphi = phi[i] - phi[j]
                d = abs(np.arctan2(np.sin(dphi), np.cos(dphi)))
                if d > best:
                    best = d
        out[event[start]] = best
        start = stop


def max_opening_angle(event, phi, n_events: int) -> np.ndarray:
    """Largest transverse opening angle between two tracks per event (numba kernel).

    >>> max_opening_angle(np.array([0, 0, 1]), np.array([0.0, 3.0, 1.0]), 3).tolist()
    [3.0, -1.0, -1.0]
    """
    out = np.full(n_events, -1.0)
    event = np.ascontiguousarray(event, dtype=np.int64)
    if event.size:
        _opening_kernel(event, np.ascontiguousarray(phi, dtype=np.float64), out)
    return out


def cms_energy(energy, theta, phi, collider: Collider) -> np.ndarray:
    """CM-frame energy of massless lab clusters: the time row of ``collider.to_cms``.

    ``E* = sum_mu Lambda^0_mu p^mu`` with ``Lambda^0_mu = to_cms(e_mu)[0]`` for the unit
    four-vectors ``e_mu`` (only the first row of the Lorentz transformation is needed).

    >>> from darkscan.beams import belle2
    >>> b = belle2()
    >>> e = cms_energy(np.array([2.0]), np.array([0.7]), np.array([0.3]), b)
    >>> p4 = 2.0 * np.array([1.0, np.sin(0.7) * np.cos(0.3), np.sin(0.7) * np.sin(0.3), np.cos(0.7)])
    >>> bool(np.isclose(e[0], b.to_cms(p4)[0], rtol=1e-12))
    True
    """
    row = collider.to_cms(np.eye(4))[:, 0]
    e = np.asarray(energy, dtype=np.float64)
    st = np.sin(theta)
    return e * (
        row[0] + row[1] * st * np.cos(phi) + row[2] * st * np.sin(phi) + row[3] * np.cos(theta)
    )


def _any_per_event(event, mask, n_events: int) -> np.ndarray:
    return np.bincount(np.asarray(event)[mask], minlength=n_events) > 0


def evaluate_trigger(
    n_events: int,
    tracks: dict,
    clusters: dict,
    vertices: dict,
    card: TriggerCard,
    collider: Collider,
    rng: np.random.Generator,
) -> dict:
    """Trigger decisions per event.

    Parameters
    ----------
    n_events : int
    tracks : dict
        Flat tracks: ``event`` (non-decreasing), ``pt`` (GeV), ``phi`` (rad), ``muonID``.
    clusters : dict
        Flat ECL clusters: ``event``, ``E`` (GeV, lab), ``theta``, ``phi`` (rad), ``region``.
    vertices : dict
        Flat vertices: ``event``, ``dr`` (cm), ``pt1``, ``pt2`` (daughter pT, GeV).
    card : TriggerCard
    collider : darkscan.beams.Collider
        Defines the CM frame for the single-photon energy.
    rng : numpy.random.Generator
        Draws a (5, n_events) array of uniforms (line efficiencies).

    Returns
    -------
    dict of bool arrays
        One per line in :data:`TRIGGER_LINES`, plus ``any``.
    """
    u = rng.random((len(TRIGGER_LINES), n_events))
    tracks = {**tracks, "event": np.asarray(tracks["event"], dtype=np.int64)}
    clusters = {**clusters, "event": np.asarray(clusters["event"], dtype=np.int64)}
    vertices = {**vertices, "event": np.asarray(vertices["event"], dtype=np.int64)}
    cond = {}
    c = card.two_track
    sel = tracks["pt"] > c.pt_min
    n_sel = np.bincount(tracks["event"][sel], minlength=n_events)
    ok = n_sel >= c.n_tracks_min
    if c.n_tracks_min >= 2:
        opening = max_opening_angle(tracks["event"][sel], tracks["phi"][sel], n_events)
        ok &= opening > np.radians(c.opening_angle_min)
    cond["two_track"] = ok
    c = card.single_muon
    cond["single_muon"] = _any_per_event(
        tracks["event"], (tracks["pt"] > c.pt_min) & (tracks["muonID"] > c.muon_id_min), n_events
    )
    c = card.single_photon
    e = np.asarray(clusters["E"], dtype=np.float64)
    # E* <= E (Lambda^0_0 + |Lambda^0_i|): only clusters above the lowest threshold / that
    # bound can pass
    row = collider.to_cms(np.eye(4))[:, 0]
    e_min = min(r.e_cms_min for r in c.regions)
    cand = np.flatnonzero(e * (row[0] + np.linalg.norm(row[1:])) > e_min)
    theta = np.asarray(clusters["theta"], dtype=np.float64)[cand]
    e_cms = cms_energy(e[cand], theta, clusters["phi"][cand], collider)
    fires = np.zeros(cand.size, dtype=bool)
    for r in c.regions:
        inside = (theta > np.radians(r.theta_min)) & (theta < np.radians(r.theta_max))
        fires |= inside & (e_cms > r.e_cms_min)
    sel = np.zeros(e.size, dtype=bool)
    sel[cand] = fires
    cond["single_photon"] = _any_per_event(clusters["event"], sel, n_events)
    c = card.three_photon
    cond["three_photon"] = (
        np.bincount(clusters["event"][e > c.e_min], minlength=n_events) >= c.n_clusters_min
    )
    c = card.displaced_vertex
    sel = (
        (vertices["dr"] > c.rxy_min)
        & (vertices["dr"] < c.rxy_max)
        & (vertices["pt1"] > c.daughter_pt_min)
        & (vertices["pt2"] > c.daughter_pt_min)
    )
    cond["displaced_vertex"] = _any_per_event(vertices["event"], sel, n_events)
    out = {}
    for k, name in enumerate(TRIGGER_LINES):
        line = getattr(card, name)
        out[name] = cond[name] & (u[k] < line.efficiency) & line.enabled
    out["any"] = np.logical_or.reduce([out[name] for name in TRIGGER_LINES])
    return out
