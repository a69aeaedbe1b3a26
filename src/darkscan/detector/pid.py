"""Particle identification: basf2-style ID variables per track, and K_L clusters in the KLM.

For a track of true species ``s`` (electron, muon, pion, kaon, proton) and a hypothesis
``h`` (muon, electron, pion, kaon), the card gives the probability ``P(h|s)`` that the ID
variable ``hID`` exceeds 0.5:

* ``s == h``: ``efficiency / (1 + exp(-(p - p_turn_on)/p_width))`` inside the polar-angle
  coverage ``[theta_min, theta_max]`` of the sub-detector, 0 outside (the KLM muon ID falls
  away below ~0.7 GeV, where muons range out before the KLM);
* ``s != h``: the mis-identification rate ``misid[s]`` times the same momentum turn-on,
  ``misid[s] / (1 + exp(-(p - p_turn_on)/p_width))``, inside the coverage: the card's rate
  is the plateau. A hadron can only fake a muon in the KLM if it reaches the KLM, as a muon
  must (punch-through and decays in flight; below ~0.7 GeV both range out in the
  calorimeter and the flux return, Z. Wang et al., arXiv:2503.11351); the electron, pion
  and kaon hypotheses have turn-ons at or near zero momentum, where this changes little.

The ID variable is then drawn from one uniform ``u`` per track and hypothesis as

``hID = 1 - u/(2P)`` for ``u < P`` (in (0.5, 1]) and ``hID = (1 - u)/(2(1 - P))`` otherwise
(in (0, 0.5]; a strict cut ``hID > 0.5`` rejects it),

so that ``P(hID > 0.5) = P`` exactly, and ``P(hID > w) = 2P(1 - w)`` for a tighter working
point ``w > 0.5`` (a linear model: only the 0.5 working point is calibrated to the card).
The four ID variables are drawn independently; they are not normalised to sum to one as the
basf2 global likelihood ratios are.

K_L mesons inside the KLM coverage give a KLM cluster with efficiency
``efficiency / (1 + exp(-(p - p_turn_on)/p_width))``; its direction is smeared by
``angle_resolution``.

References
----------
Z. Wang et al., arXiv:2503.11351 (Belle II KLM muon ID: mu/pi separation above 0.7 GeV/c,
4.1% pion fake rate at 90% muon efficiency). Belle II Collaboration, arXiv:2506.04355
(charged-hadron identification). Belle II Physics Book, arXiv:1808.10567, sec. 5.
"""

from __future__ import annotations

import numpy as np

from darkscan.detector.card import IdHypothesisCard, KLongCard, PidCard

__all__ = [
    "HYPOTHESES",
    "SPECIES",
    "draw_id",
    "pass_probability",
    "reconstruct_klm_clusters",
    "species_of",
    "track_pid",
]

#: True species of a track, index = :func:`species_of` code.
SPECIES = ("electron", "muon", "pion", "kaon", "proton")
_SPECIES_PDG = np.array([11, 13, 211, 321, 2212])
#: Hypotheses with their basf2 variable names.
HYPOTHESES = {"muon": "muonID", "electron": "electronID", "pion": "pionID", "kaon": "kaonID"}


def species_of(pdg) -> np.ndarray:
    """Species code 0..4 (index into :data:`SPECIES`) of a pdg code; -1 for others.

    >>> species_of([-13, 211, 22]).tolist()
    [1, 2, -1]
    """
    apdg = np.abs(np.asarray(pdg))
    out = np.full(apdg.shape, -1, dtype=np.int8)
    for i, code in enumerate(_SPECIES_PDG):
        out[apdg == code] = i
    return out


def _turn_on(p, p0: float, width: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(np.asarray(p, dtype=np.float64) - p0) / width))


def pass_probability(species, p, theta_deg, hypothesis: str, card: IdHypothesisCard):
    """Probability ``P(hID > 0.5)`` for true species codes, momenta (GeV) and angles (deg).

    >>> from darkscan.detector.card import load_card
    >>> pid = load_card("belle2").pid
    >>> probs = pass_probability([1, 2, 1, 2], [3.0, 3.0, 0.3, 0.3], 90.0, "muon", pid.muon)
    >>> [round(float(x), 3) for x in probs]
    [0.9, 0.041, 0.0, 0.0]
    """
    species = np.asarray(species)
    theta = np.asarray(theta_deg, dtype=np.float64)
    covered = (theta >= card.theta_min) & (theta <= card.theta_max)
    own = SPECIES.index(hypothesis)
    misid = np.array([card.misid.get(s, 0.0) for s in SPECIES] + [0.0])
    plateau = np.where(
        species == own, card.efficiency, misid[np.where(species >= 0, species, len(SPECIES))]
    )
    return np.where(covered, plateau * _turn_on(p, card.p_turn_on, card.p_width), 0.0)


def draw_id(probability, u) -> np.ndarray:
    """ID variable in [0, 1] with ``P(ID > 0.5) = probability`` for ``u`` uniform in [0, 1).

    >>> draw_id([0.9, 0.9, 0.0], [0.0, 0.95, 0.3]).tolist()
    [1.0, 0.25, 0.35]
    """
    prob = np.asarray(probability, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        high = 1.0 - u / (2.0 * prob)
        low = (1.0 - u) / (2.0 * (1.0 - prob))
    return np.where(u < prob, high, np.where(prob < 1.0, low, 0.5))


def track_pid(pdg, p, theta_deg, card: PidCard, rng: np.random.Generator) -> dict:
    """The four ID variables of tracks.

    Parameters
    ----------
    pdg : array_like of int
        True pdg code of each track's particle (0 for beam-background tracks: drawn as pions).
    p : array_like
        Reconstructed momentum in GeV.
    theta_deg : array_like
        Reconstructed polar angle in degrees.
    card : PidCard
    rng : numpy.random.Generator
        Draws one uniform per track and hypothesis, shape (4, n), in the order of
        :data:`HYPOTHESES`.

    Returns
    -------
    dict
        ``muonID, electronID, pionID, kaonID`` (float32 arrays).
    """
    species = species_of(pdg)
    species = np.where(np.asarray(pdg) == 0, SPECIES.index("pion"), species)
    u = rng.random((len(HYPOTHESES), species.size))
    out = {}
    for k, (hyp, name) in enumerate(HYPOTHESES.items()):
        prob = pass_probability(species, p, theta_deg, hyp, getattr(card, hyp))
        out[name] = draw_id(prob, u[k]).astype(np.float32)
    return out


def reconstruct_klm_clusters(particles: dict, card: KLongCard, rng: np.random.Generator) -> dict:
    """KLM clusters of final-state K_L (pdg 130) in flat truth particles.

    Parameters
    ----------
    particles : dict of numpy arrays
        Flat truth particles.
    card : KLongCard
    rng : numpy.random.Generator
        Draws one uniform per candidate, then two normals per cluster.

    Returns
    -------
    dict
        ``index`` (flat particle index), ``theta``, ``phi`` (rad, smeared).
    """
    px = particles["px"].astype(np.float64)
    py = particles["py"].astype(np.float64)
    pz = particles["pz"].astype(np.float64)
    pt = np.hypot(px, py)
    theta = np.arctan2(pt, pz)
    theta_deg = np.degrees(theta)
    cand = np.flatnonzero(
        (np.abs(particles["pdg"]) == 130)
        & particles["is_final"]
        & (theta_deg >= card.theta_min)
        & (theta_deg <= card.theta_max)
    )
    p = np.hypot(pt[cand], pz[cand])
    u = rng.random(cand.size)
    sel = cand[u < card.efficiency * _turn_on(p, card.p_turn_on, card.p_width)]
    g = rng.standard_normal((2, sel.size))
    th = np.clip(theta[sel] + card.angle_resolution * g[0], 0.0, np.pi)
    ph = (
        np.arctan2(py[sel], px[sel])
        + card.angle_resolution / np.maximum(np.sin(theta[sel]), 1e-3) * g[1]
    )
    return {"index": sel, "theta": th, "phi": np.arctan2(np.sin(ph), np.cos(ph))}
