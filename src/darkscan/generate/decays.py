"""Prompt decays applied to finished event records: pi0 -> gamma gamma.

The pi0 lives c*tau = 25.3 nm (PDG), so it decays at its production vertex for every
detector purpose. Generators that leave pi0 as final particles (the in-house tau decays, the
hadronic stand-ins of the dark-photon generator) pass their record through
:func:`decay_neutral_pions`, so that the detector sees the two photons that make the pi0
veto and the extra-energy sum work. The decay is isotropic in the pi0 rest frame (spin 0);
BR(pi0 -> gamma gamma) = 98.8 % (PDG), the Dalitz decay (1.2 %) is treated as gamma gamma.

References
----------
R. L. Workman et al. (Particle Data Group), PTEP 2022, 083C01: pi0 mean life and branching
fractions.
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from darkscan.generate.phasespace import two_body_decay

__all__ = ["PDG_PI0", "decay_neutral_pions"]

PDG_PI0 = 111
_PDG_PHOTON = 22


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
    particles = events.particles
    counts = np.asarray(ak.num(particles, axis=1), dtype=np.int64)
    flat = {name: ak.to_numpy(ak.flatten(particles[name])) for name in ak.fields(particles)}
    is_pi0 = (flat["pdg"] == PDG_PI0) & flat["is_final"]
    n_pi0 = int(is_pi0.sum())
    if n_pi0 == 0:
        return events

    n_events = counts.size
    event_of = np.repeat(np.arange(n_events), counts)
    old_offsets = np.concatenate([[0], np.cumsum(counts)])
    local_index = np.arange(counts.sum()) - old_offsets[event_of]

    # decay kinematics in float64
    pi0_index = np.flatnonzero(is_pi0)
    parent = np.stack(
        [flat[k][pi0_index].astype(np.float64) for k in ("E", "px", "py", "pz")], axis=-1
    )
    gamma1, gamma2 = two_body_decay(parent, 0.0, 0.0, rng)

    # new layout: per event, the old particles then two photons per pi0 (in pi0 order)
    pi0_per_event = np.bincount(event_of[pi0_index], minlength=n_events)
    new_counts = counts + 2 * pi0_per_event
    new_offsets = np.concatenate([[0], np.cumsum(new_counts)])
    n_new = int(new_counts.sum())
    pi0_event = event_of[pi0_index]
    first_pi0 = np.concatenate([[0], np.cumsum(pi0_per_event)])[pi0_event]
    rank = np.arange(n_pi0) - first_pi0
    photon_slot = new_offsets[pi0_event] + counts[pi0_event] + 2 * rank
    old_slot = new_offsets[event_of] + local_index

    columns: dict[str, np.ndarray] = {}
    for name, values in flat.items():
        out = np.zeros(n_new, dtype=values.dtype)
        out[old_slot] = values
        columns[name] = out
    columns["is_final"][old_slot[pi0_index]] = False
    momenta = {"E": 0, "px": 1, "py": 2, "pz": 3}
    for j, gamma in enumerate((gamma1, gamma2)):
        slot = photon_slot + j
        columns["pdg"][slot] = _PDG_PHOTON
        for name, k in momenta.items():
            columns[name][slot] = gamma[:, k]
        for name in ("vx", "vy", "vz", "t"):
            if name in columns:
                columns[name][slot] = flat[name][pi0_index]
        columns["is_final"][slot] = True
        columns["is_invisible"][slot] = False
        columns["mother"][slot] = local_index[pi0_index]

    rebuilt = ak.unflatten(ak.zip(columns, depth_limit=1), new_counts)
    others = {f: events[f] for f in ak.fields(events) if f != "particles"}
    return ak.zip({"particles": rebuilt, **others}, depth_limit=1)
