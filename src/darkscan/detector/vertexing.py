"""Two-track displaced vertices.

Two reconstructed tracks whose truth particles share the same mother (a decaying A', K_S,
long-lived scalar, ...) and have opposite charges form a vertex candidate; mothers with
other than exactly two reconstructed daughter tracks give no vertex (three-prong vertices
are not modelled). The true vertex is the daughters' production point. It is reconstructed
if its transverse distance lies in ``rxy_min < R_xy < rxy_max`` with efficiency
``efficiency_plateau`` up to ``efficiency_falloff_start``, then falling linearly to
``efficiency_at_rxy_max`` at ``rxy_max``; each coordinate is smeared by
``sigma = a (+) b R_xy``.

References
----------
Belle II displaced-vertex trigger and reconstruction window 0.9 < R_xy < 60 cm (Belle II
seminar, as quoted in the project design brief; the efficiency shape and the resolution
are estimates, see the card).
"""

from __future__ import annotations

import numpy as np

from darkscan.detector.card import VertexingCard

__all__ = ["reconstruct_vertices", "vertex_efficiency"]


def vertex_efficiency(rxy, card: VertexingCard) -> np.ndarray:
    """Vertex efficiency vs transverse distance R_xy in cm (0 outside the window).

    >>> from darkscan.detector.card import load_card
    >>> c = load_card("belle2").vertexing
    >>> [round(float(x), 3) for x in vertex_efficiency([0.5, 5.0, 40.0, 70.0], c)]
    [0.0, 0.8, 0.55, 0.0]
    """
    r = np.asarray(rxy, dtype=np.float64)
    span = max(card.rxy_max - card.efficiency_falloff_start, 1e-12)
    frac = np.clip((r - card.efficiency_falloff_start) / span, 0.0, 1.0)
    eff = card.efficiency_plateau + frac * (card.efficiency_at_rxy_max - card.efficiency_plateau)
    inside = (r > card.rxy_min) & (r < card.rxy_max)
    return np.where(inside, eff, 0.0)


def reconstruct_vertices(
    track_event,
    track_local,
    track_mother,
    track_charge,
    true_vertex,
    card: VertexingCard,
    rng: np.random.Generator,
) -> dict:
    """Reconstruct two-track vertices.

    Parameters
    ----------
    track_event : array_like of int
        Event number of each track.
    track_local : array_like of int
        Index of each track within its event's track list.
    track_mother : array_like of int
        Global (flat) index of the truth mother of each track's particle; -1 if none (or a
        beam-background track).
    track_charge : array_like of int
        Charge of each track.
    true_vertex : array_like, shape (3, n_tracks)
        Production vertex (x, y, z) in cm of each track's truth particle.
    card : VertexingCard
    rng : numpy.random.Generator
        Draws one uniform per candidate, then three normals per reconstructed vertex.

    Returns
    -------
    dict
        Per vertex: ``event``, ``x, y, z, dr`` (cm), ``track1, track2`` (local track
        indices, the negative track first), ``mother`` (flat truth index of the mother).
    """
    mother = np.asarray(track_mother, dtype=np.int64)
    have = np.flatnonzero(mother >= 0)
    order = have[np.argsort(mother[have], kind="stable")]
    m = mother[order]
    # groups of exactly two tracks with the same mother
    if m.size >= 2:
        starts = np.flatnonzero(np.r_[True, m[1:] != m[:-1]])
        sizes = np.diff(np.r_[starts, m.size])
        pair_starts = starts[sizes == 2]
    else:
        pair_starts = np.zeros(0, dtype=np.int64)
    a, b = order[pair_starts], order[pair_starts + 1]
    charge = np.asarray(track_charge)
    opposite = charge[a] * charge[b] < 0
    a, b = a[opposite], b[opposite]
    first = np.where(charge[a] < 0, a, b)
    second = np.where(charge[a] < 0, b, a)
    vtx = np.asarray(true_vertex, dtype=np.float64)[:, a]
    rxy = np.hypot(vtx[0], vtx[1])
    u = rng.random(a.size)
    ok = u < vertex_efficiency(rxy, card)
    first, second, vtx, rxy = first[ok], second[ok], vtx[:, ok], rxy[ok]
    # output in event order
    ev = np.asarray(track_event)[first]
    srt = np.argsort(ev, kind="stable")
    first, second, vtx, rxy, ev = first[srt], second[srt], vtx[:, srt], rxy[srt], ev[srt]
    sigma = np.hypot(card.position_resolution_a, card.position_resolution_b * rxy)
    g = rng.standard_normal((3, first.size))
    x, y, z = (vtx[k] + sigma * g[k] for k in range(3))
    local = np.asarray(track_local)
    return {
        "event": ev,
        "x": x,
        "y": y,
        "z": z,
        "dr": np.hypot(x, y),
        "track1": local[first],
        "track2": local[second],
        "mother": mother[first],
    }
