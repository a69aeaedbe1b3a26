"""Decays applied to finished event records: pi0 -> gamma gamma and K_S -> pi pi.

The pi0 lives c*tau = 25.3 nm (PDG), so it decays at its production vertex for every
detector purpose. Generators that leave pi0 as final particles (the in-house tau decays, the
hadronic stand-ins of the dark-photon generator) pass their record through
:func:`decay_neutral_pions`, so that the detector sees the two photons that make the pi0
veto and the extra-energy sum work. The decay is isotropic in the pi0 rest frame (spin 0);
BR(pi0 -> gamma gamma) = 98.8 % (PDG), the Dalitz decay (1.2 %) is treated as gamma gamma.

K_S from tau decays (and any other generator) travel a visible distance (c tau = 2.684 cm,
from ``particle``'s PDG table) and decay to pi+ pi- (69.20 %) or pi0 pi0 (30.69 %, PDG 2024;
the remaining 0.1 % is shared in proportion). :func:`decay_short_lived_kaons` draws the
decay length from the exponential law with the K_S boost, puts the pions' production vertex
there (so the detector sees displaced tracks), and decays the pi0.

References
----------
R. L. Workman et al. (Particle Data Group), PTEP 2022, 083C01: pi0 mean life and branching
fractions.
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from darkscan.constants import C_CM_PER_NS, M_PI, M_PI0
from darkscan.generate.phasespace import two_body_decay

__all__ = ["PDG_KS", "PDG_PI0", "decay_neutral_pions", "decay_short_lived_kaons"]

PDG_PI0 = 111
PDG_KS = 310
_PDG_PHOTON = 22
#: K_S -> pi+ pi- and pi0 pi0 (PDG 2024: 69.20 % and 30.69 %), normalised to their sum
_KS_PIPI_FRACTION = 0.6920 / (0.6920 + 0.3069)


def decay_neutral_pions(events: ak.Array, rng: np.random.Generator) -> ak.Array:
    """Decay every final-state pi0 of an event record into two photons.

    The pi0 stays in the record, no longer final; its photons are appended at the end of
    the event's particle list, with ``mother`` pointing at the pi0 and the pi0's production
    vertex (and time, if present). Vectorised over all events: no Python loop.

    Parameters
    ----------
    events : awkward.Array
        Event record of :mod:`darkscan.generate.event_record` (lab frame).
    rng : numpy.random.Generator
        Source of the decay angles.

    Returns
    -------
    awkward.Array
        The same events with the photons added (unchanged if there is no final pi0).

    Examples
    --------
    >>> import numpy as np
    >>> from darkscan.generate.event_record import events_from_arrays
    >>> e = np.array([[2.0]]); p = np.sqrt(e**2 - 0.1349768**2)
    >>> ev = events_from_arrays({"pdg": np.array([[111]]), "E": e, "px": 0 * e, "py": 0 * e,
    ...                          "pz": p}, weight=np.array([1.0]))
    >>> out = decay_neutral_pions(ev, np.random.default_rng(1))
    >>> ak.to_list(out.particles.pdg), ak.to_list(out.particles.is_final)
    ([[111, 22, 22]], [[False, True, True]])
    """
    return _two_body_decays(events, rng, PDG_PI0, lambda n, rng: (_PHOTON_PAIR, 0.0), 0.0)


_PHOTON_PAIR = (_PDG_PHOTON, _PDG_PHOTON, 0.0, 0.0)


def decay_short_lived_kaons(events: ak.Array, rng: np.random.Generator) -> ak.Array:
    """Decay every final-state K_S to pi+ pi- or pi0 pi0 at a displaced vertex, then the pi0.

    The decay length in the lab is beta gamma c tau times an exponential variate (c tau of
    the K_S from ``particle``); the pions start there (``vx, vy, vz`` in cm, and ``t`` in ns
    if present). The decay is isotropic in the K_S rest frame (spin 0). K_S from the K0 of
    tau -> K0 pi nu are the only source in darkscan's generators.

    Parameters
    ----------
    events : awkward.Array
        Event record (lab frame).
    rng : numpy.random.Generator

    Returns
    -------
    awkward.Array

    Examples
    --------
    >>> from darkscan.generate.event_record import events_from_arrays
    >>> e = np.array([[3.0]]); p = np.sqrt(e**2 - 0.497611**2)
    >>> ev = events_from_arrays({"pdg": np.array([[310]]), "E": e, "px": 0 * e, "py": 0 * e,
    ...                          "pz": p}, weight=np.array([1.0]))
    >>> out = decay_short_lived_kaons(ev, np.random.default_rng(2))
    >>> ak.to_list(out.particles.pdg), ak.to_list(out.particles.is_final)
    ([[310, 211, -211]], [[False, True, True]])
    """
    from particle import Particle

    pion_masses = {211: M_PI, 111: M_PI0}
    charged = (211, -211, pion_masses[211], pion_masses[211])
    neutral = (111, 111, pion_masses[111], pion_masses[111])

    def channels(n, rng):
        pick = rng.random(n) < _KS_PIPI_FRACTION
        return (charged, neutral, pick), None

    ctau = float(Particle.from_pdgid(PDG_KS).ctau) / 10.0  # mm -> cm
    out = _two_body_decays(events, rng, PDG_KS, channels, ctau)
    return decay_neutral_pions(out, rng)


def _two_body_decays(events, rng, parent_pdg, channels, ctau) -> ak.Array:
    """Decay every final-state particle ``parent_pdg`` into two daughters (isotropic).

    ``channels(n, rng)`` returns either ``((pdg1, pdg2, m1, m2), _)`` for one channel, or
    ``((a, b, pick), _)``: channel ``a`` where the bool array ``pick`` is True, else ``b``.
    ``ctau`` (cm) > 0 displaces the daughters' vertex by beta gamma c tau x Exp(1).
    """
    particles = events.particles
    counts = np.asarray(ak.num(particles, axis=1), dtype=np.int64)
    flat = {name: ak.to_numpy(ak.flatten(particles[name])) for name in ak.fields(particles)}
    is_parent = (flat["pdg"] == parent_pdg) & flat["is_final"]
    n_par = int(is_parent.sum())
    if n_par == 0:
        return events

    n_events = counts.size
    event_of = np.repeat(np.arange(n_events), counts)
    old_offsets = np.concatenate([[0], np.cumsum(counts)])
    local_index = np.arange(counts.sum()) - old_offsets[event_of]

    # decay kinematics in float64
    par_index = np.flatnonzero(is_parent)
    parent = np.stack(
        [flat[k][par_index].astype(np.float64) for k in ("E", "px", "py", "pz")], axis=-1
    )
    spec, _ = channels(n_par, rng)
    if len(spec) == 4:
        pdg1 = np.full(n_par, spec[0])
        pdg2 = np.full(n_par, spec[1])
        d1, d2 = two_body_decay(parent, spec[2], spec[3], rng)
    else:
        a, b, pick = spec
        pdg1 = np.where(pick, a[0], b[0])
        pdg2 = np.where(pick, a[1], b[1])
        d1, d2 = np.empty_like(parent), np.empty_like(parent)
        for sel, (_, _, m1, m2) in ((pick, a), (~pick, b)):
            if np.any(sel):
                d1[sel], d2[sel] = two_body_decay(parent[sel], m1, m2, rng)
    vertex = {
        k: flat[k][par_index].astype(np.float64) for k in ("vx", "vy", "vz", "t") if k in flat
    }
    if ctau > 0.0:
        mass = np.sqrt(np.maximum(parent[:, 0] ** 2 - np.sum(parent[:, 1:] ** 2, axis=1), 0.0))
        length = ctau * rng.exponential(size=n_par) / mass  # times p: beta gamma c tau
        for j, k in enumerate(("vx", "vy", "vz")):
            if k in vertex:
                vertex[k] = vertex[k] + length * parent[:, j + 1]
        if "t" in vertex:
            vertex["t"] = vertex["t"] + length * parent[:, 0] / C_CM_PER_NS

    # new layout: per event, the old particles then two daughters per parent (in order)
    per_event = np.bincount(event_of[par_index], minlength=n_events)
    new_counts = counts + 2 * per_event
    new_offsets = np.concatenate([[0], np.cumsum(new_counts)])
    n_new = int(new_counts.sum())
    par_event = event_of[par_index]
    first = np.concatenate([[0], np.cumsum(per_event)])[par_event]
    rank = np.arange(n_par) - first
    daughter_slot = new_offsets[par_event] + counts[par_event] + 2 * rank
    old_slot = new_offsets[event_of] + local_index

    columns: dict[str, np.ndarray] = {}
    for name, values in flat.items():
        out = np.zeros(n_new, dtype=values.dtype)
        out[old_slot] = values
        columns[name] = out
    columns["is_final"][old_slot[par_index]] = False
    momenta = {"E": 0, "px": 1, "py": 2, "pz": 3}
    for j, (daughter, pdg) in enumerate(((d1, pdg1), (d2, pdg2))):
        slot = daughter_slot + j
        columns["pdg"][slot] = pdg
        for name, k in momenta.items():
            columns[name][slot] = daughter[:, k]
        for name, value in vertex.items():
            columns[name][slot] = value
        columns["is_final"][slot] = True
        columns["is_invisible"][slot] = False
        columns["mother"][slot] = local_index[par_index]

    rebuilt = ak.unflatten(ak.zip(columns, depth_limit=1), new_counts)
    others = {f: events[f] for f in ak.fields(events) if f != "particles"}
    return ak.zip({"particles": rebuilt, **others}, depth_limit=1)
