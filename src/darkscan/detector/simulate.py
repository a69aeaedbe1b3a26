"""Fast simulation driver: truth :class:`~darkscan.generate.event_record.Sample` -> reconstructed events.

:func:`simulate` flattens the truth particles of all events and runs tracking, calorimeter,
particle identification, KLM, beam background, vertexing and trigger in one fused numba
kernel (:func:`darkscan.detector._kernels.simulate_flat`: one pass over the events, draws
inside the kernel), then wraps its column buffers into one awkward record per event
without copying (lab frame, basf2-style names). :func:`simulate_events_reference` runs the
same physics with the plain numpy stage functions (:mod:`~darkscan.detector.tracking`,
:mod:`~darkscan.detector.calorimeter`, ...), the readable reference the kernel is tested
against (``tests/detector/test_kernels.py``: statistically equivalent, and equal where the
card makes the simulation deterministic). The records:

``tracks``
    px, py, pz, E, p, pt, cosTheta, phi, charge, d0, z0, muonID, electronID, pionID, kaonID,
    clusterE (energy of the matched ECL cluster, 0 if none), mcIndex (index of the truth
    particle in the event, -1 for beam background), mcPDG (0 for beam background),
    isBeamBackground;
``clusters``
    E, clusterE, theta, phi, cosTheta, clusterReg (1 forward, 2 barrel, 3 backward),
    isTrackMatched, isBeamBackground, mcIndex (leading truth particle, -1 for background);
``klm_clusters``
    theta, phi, cosTheta, mcIndex (K_L);
``vertices``
    x, y, z, dr, track1, track2 (indices into the event's ``tracks``), mcIndex (truth mother);
``trigger``
    two_track, single_muon, single_photon, three_photon, displaced_vertex, any (bool);
``weight``, ``particles``
    passed through from the truth record.

Scope: final-state e, mu, pi, K, p make tracks; photons, electrons, muons and charged hadrons
make ECL deposits; K_L make KLM clusters. Anything else that is flagged final (undecayed
taus, neutrons, an undecayed pi0, K_L showers in the ECL) leaves nothing; decay such states in
the generator. Helix curvature is neglected for displaced tracks and cluster positions.

Randomness: the ``rng`` argument first draws seven integers that seed one independent
Generator per stage (tracking, calorimeter, PID, KLM, beam background, vertexing, trigger),
so the same seed gives bit-identical output and changing one stage's card (e.g. switching
off beam background) leaves the draws of the other stages unchanged. There is no other
state: simulating chunks with their own SeedSequence children and concatenating gives the
same events as simulating them with those seeds in any order or on any worker. The fused
kernel draws from one xoshiro256++ stream per stage (:mod:`darkscan.detector._random`),
each seeded by one integer from its stage Generator; the numpy reference draws from the
stage Generators themselves, in another order and with more draws (see
:mod:`darkscan.detector._kernels`), so for one seed the two give different (equally
distributed) events. The kernel overlays beam background from a pool of 2^18 background
"events" built once per card content with a fixed seed
(:func:`darkscan.detector.beam_background.background_pool`; Belle II likewise reuses
recorded random-trigger events), the reference generates it afresh for every event.

Examples
--------
>>> import numpy as np
>>> from darkscan.generate.event_record import Sample, events_from_arrays
>>> p = np.array([[3.0, -3.0]])
>>> ev = events_from_arrays({"pdg": np.array([[13, -13]]), "px": p, "py": 0 * p,
...     "pz": 0 * p, "E": np.hypot(p, 0.1056583755)}, weight=np.array([1.0]))
>>> reco = simulate(Sample(ev, "mumu", {}, "test", {}, 1, 1.0), "belle2",
...                 np.random.default_rng(5))
>>> ak.num(reco.events.tracks).tolist(), reco.events.tracks.mcPDG.tolist()
([2], [[13, -13]])
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from darkscan.beams import get_collider
from darkscan.detector._buffers import OUTPUT_ARENA
from darkscan.detector._kernels import (
    _TRACK_CAP,
    COUNTER_STAGES,
    pool_trigger_summary,
    simulate_flat,
)
from darkscan.detector._random import seed_states
from darkscan.detector.beam_background import (
    background_pool,
    beam_background_clusters,
    beam_background_tracks,
)
from darkscan.detector.calorimeter import reconstruct_clusters
from darkscan.detector.card import DetectorCard, card_from_dict, card_hash, load_card
from darkscan.detector.pid import HYPOTHESES, SPECIES, reconstruct_klm_clusters, track_pid
from darkscan.detector.tracking import _parameters as _tracking_resolution
from darkscan.detector.tracking import reconstruct_tracks
from darkscan.detector.trigger import TRIGGER_LINES, evaluate_trigger
from darkscan.detector.vertexing import reconstruct_vertices
from darkscan.errors import ConfigError, InputFileError, PhysicsDomainError
from darkscan.generate.event_record import Sample, seed_record
from darkscan.io.atomic import atomic_output

__all__ = [
    "RECO_METADATA_KEY",
    "RecoSample",
    "read_reco_sample",
    "simulate",
    "simulate_events",
    "simulate_events_reference",
    "write_reco_sample",
]

#: Key of the reconstructed-sample metadata (JSON) in the Parquet key-value metadata.
RECO_METADATA_KEY = b"darkscan.reco"

_STAGES = ("tracking", "calorimeter", "pid", "klm", "beam_background", "vertexing", "trigger")
_PARTICLE_COLUMNS = (
    "pdg",
    "px",
    "py",
    "pz",
    "E",
    "vx",
    "vy",
    "vz",
    "is_final",
    "is_invisible",
    "mother",
)


@dataclasses.dataclass(frozen=True)
class RecoSample:
    """Reconstructed events plus what produced them.

    Parameters
    ----------
    events : awkward.Array
        Reconstructed event record (see the module docstring).
    sample_metadata : dict
        Metadata of the truth sample (:meth:`Sample.metadata`).
    card : dict
        The detector card as a JSON dict (``DetectorCard.model_dump(mode="json")``).
    card_name : str
    card_hash : str
        :func:`darkscan.detector.card.card_hash` of the card.
    seed : dict
        :func:`darkscan.generate.event_record.seed_record` of the Generator passed in.
    """

    events: ak.Array
    sample_metadata: dict
    card: dict
    card_name: str
    card_hash: str
    seed: Any

    @property
    def n_events(self) -> int:
        """Number of events."""
        return len(self.events)

    def detector_card(self) -> DetectorCard:
        """The :class:`DetectorCard` this sample was simulated with."""
        return card_from_dict(self.card, source="reco sample metadata")

    def metadata(self) -> dict:
        """JSON-serialisable metadata (everything but the events)."""
        from darkscan import __version__

        meta = {
            "sample_metadata": self.sample_metadata,
            "card": self.card,
            "card_name": self.card_name,
            "card_hash": self.card_hash,
            "seed": self.seed,
            "n_events": self.n_events,
            "darkscan_version": __version__,
        }
        return json.loads(json.dumps(meta))


def _flatten_particles(particles: ak.Array) -> tuple[dict, np.ndarray]:
    counts = np.asarray(ak.num(particles, axis=1), dtype=np.int64)
    flat = ak.flatten(particles, axis=1)
    cols = {name: np.asarray(flat[name]) for name in _PARTICLE_COLUMNS}
    return cols, counts


def _offsets(counts: np.ndarray) -> np.ndarray:
    out = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def _jagged(fields: dict, counts: np.ndarray) -> ak.Array:
    return ak.unflatten(ak.zip(fields, depth_limit=1), counts)


def _f32(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)


def _stage_generators(rng: np.random.Generator) -> dict:
    """One independent Generator per stage, seeded by seven integers drawn from ``rng``."""
    if not isinstance(rng, np.random.Generator):
        raise ConfigError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    seeds = rng.integers(0, 2**63 - 1, size=len(_STAGES))
    return {name: np.random.default_rng(int(s)) for name, s in zip(_STAGES, seeds, strict=True)}


def _stage_states(generators: dict) -> np.ndarray:
    """xoshiro256++ states of the kernel's streams (uint64 (7, 4), rows in
    :data:`~darkscan.detector._kernels.COUNTER_STAGES` order), each seeded through SplitMix64
    by one 64-bit integer drawn from that stage's Generator (:mod:`darkscan.detector._random`).
    """
    return seed_states(
        int(generators[s].integers(0, 2**64, dtype=np.uint64)) for s in COUNTER_STAGES
    )


#: Parameters of the last few cards, keyed by :func:`card_hash` (the card's content).
_PARAMETER_CACHE: dict[str, dict] = {}


def _kernel_parameters(card: DetectorCard) -> dict:
    """The card as the flat float64 parameter vectors of :func:`_kernels.simulate_flat`.

    Cached by the card's content hash (read-only arrays), so that simulating many chunks
    with one card, even with a freshly loaded card object per chunk, pays the conversion
    (about a millisecond) once.
    """
    key = card_hash(card)
    par = _PARAMETER_CACHE.get(key)
    if par is None:
        par = _card_to_parameters(card)
        for arr in par.values():
            arr.flags.writeable = False
        if len(_PARAMETER_CACHE) >= 16:
            _PARAMETER_CACHE.pop(next(iter(_PARAMETER_CACHE)))
        _PARAMETER_CACHE[key] = par
    return par


def _resolution_row(r) -> list[float]:
    """ECL resolution parameters of one region in the kernel's order."""
    return [r.energy_a, r.energy_b, r.energy_c, r.angle_a, r.angle_b]


def _card_to_parameters(card: DetectorCard) -> dict:
    t, c, v, g = card.tracking, card.calorimeter, card.vertexing, card
    cos_lo, cos_hi = np.cos(np.radians([t.theta_max, t.theta_min]))
    trk = [cos_lo, cos_hi, t.pt_min, t.efficiency_plateau, t.efficiency_pt_scale]
    trk += [t.max_production_rxy, *_tracking_resolution(t)]
    cal = [
        c.forward_theta_min,
        c.forward_theta_max,
        c.barrel_theta_min,
        c.barrel_theta_max,
        c.backward_theta_min,
        c.backward_theta_max,
        *_resolution_row(c.barrel_resolution),
        c.energy_threshold,
        c.photon_efficiency,
        c.mip_energy,
        c.mip_energy_width,
        c.hadron_shower_probability,
        c.charged_pt_min_barrel,
        c.merge_angle,
        *_resolution_row(c.forward_resolution),  # 18-22
        *_resolution_row(c.backward_resolution),  # 23-27
    ]
    pid = []
    for hyp in HYPOTHESES:
        h = getattr(card.pid, hyp)
        pid.append(
            [h.efficiency, h.p_turn_on, h.p_width, h.theta_min, h.theta_max]
            + [h.misid.get(s, 0.0) for s in SPECIES]
        )
    k = card.pid.klong
    klm = [k.efficiency, k.p_turn_on, k.p_width, k.theta_min, k.theta_max, k.angle_resolution]
    vtx = [
        v.rxy_min,
        v.rxy_max,
        v.efficiency_plateau,
        v.efficiency_falloff_start,
        v.efficiency_at_rxy_max,
        v.position_resolution_a,
        v.position_resolution_b,
    ]
    tr = g.trigger
    lines = [getattr(tr, name) for name in TRIGGER_LINES]
    row = get_collider(card.detector.collider).to_cms(np.eye(4))[:, 0]
    trg = [float(line.enabled) for line in lines] + [line.efficiency for line in lines]
    trg += [
        tr.two_track.pt_min,
        tr.two_track.n_tracks_min,
        np.radians(tr.two_track.opening_angle_min),
    ]
    trg += [tr.single_muon.pt_min, tr.single_muon.muon_id_min]
    regions = tr.single_photon.regions
    trg += [min(r.e_cms_min for r in regions), float(len(regions)), *row]
    trg += [row[0] + np.linalg.norm(row[1:])]
    trg += [tr.three_photon.n_clusters_min, tr.three_photon.e_min]
    d = tr.displaced_vertex
    trg += [d.daughter_pt_min, d.rxy_min, d.rxy_max]
    for r in regions:  # from index 27: theta window (rad) and CM threshold per region
        trg += [np.radians(r.theta_min), np.radians(r.theta_max), r.e_cms_min]
    f64 = lambda x: np.ascontiguousarray(x, dtype=np.float64)  # noqa: E731
    par = {
        "trk": f64(trk),
        "cal": f64(cal),
        "pid": f64(pid),
        "klm": f64(klm),
        "vtx": f64(vtx),
        "trg": f64(trg),
    }
    par.update(_pool_parameters(card, par["trg"]))
    return par


def _pool_parameters(card: DetectorCard, trg: np.ndarray) -> dict:
    """The beam-background overlay pool (:func:`background_pool`) as kernel arrays, one row
    per pool entry, cluster or track (read sequentially by the kernel):

    ``pool_hdr``
        int64 (n_pool + 1, 4): first cluster and first track of each entry, whether one of
        its clusters fires the single-photon condition, how many pass the three-photon
        energy cut (:func:`_kernels.pool_trigger_summary`, float64 values);
    ``pool_c``
        float32 (n_clusters, 5): E, theta, phi, cosTheta, region;
    ``pool_t``
        float64 (n_tracks, 11): px, py, pz, E, p, pt, cosTheta, phi, d0, z0, charge.

    Empty (one header row: no draws in the kernel) if the card has no beam background.
    """
    b = card.beam_background
    if b.photons_mean == 0.0 and b.tracks_mean == 0.0:
        return {
            "pool_hdr": np.zeros((1, 4), dtype=np.int64),
            "pool_c": np.zeros((0, 5), dtype=np.float32),
            "pool_t": np.zeros((0, 11)),
        }
    pool = background_pool(b, card.calorimeter, card.tracking)
    cl, tr = pool["clusters"], pool["tracks"]
    summary = pool_trigger_summary(cl["offsets"], cl["E"], cl["theta"], cl["phi"], trg)
    hdr = np.zeros((cl["offsets"].size, 4), dtype=np.int64)
    hdr[:, 0] = cl["offsets"]
    hdr[:, 1] = tr["offsets"]
    hdr[:-1, 2:] = summary.T
    c_cols = [cl["E"], cl["theta"], cl["phi"], np.cos(cl["theta"]), cl["region"]]
    t_cols = [tr[k] for k in ("px", "py", "pz", "E", "p", "pt")]
    t_cols += [np.cos(tr["theta"]), tr["phi"], tr["d0"], tr["z0"], tr["charge"]]
    return {
        "pool_hdr": hdr,
        "pool_c": np.ascontiguousarray(np.stack(c_cols, axis=1), dtype=np.float32),
        "pool_t": np.ascontiguousarray(np.stack(t_cols, axis=1), dtype=np.float64),
    }


_KERNEL_COLUMNS = {
    "pdg": np.int32,
    "px": np.float32,
    "py": np.float32,
    "pz": np.float32,
    "E": np.float32,
    "vx": np.float32,
    "vy": np.float32,
    "vz": np.float32,
    "is_final": np.bool_,
    "is_invisible": np.bool_,
    "mother": np.int32,
}


def _flat_columns(particles: ak.Array) -> tuple[dict, np.ndarray]:
    """Flat contiguous particle columns (kernel dtypes) and event offsets (no copies where
    the stored layout already fits; other layouts go through :func:`_flatten_particles`)."""
    layout = ak.to_layout(particles)
    n_events = len(layout)
    if isinstance(layout, ak.contents.ListOffsetArray) and isinstance(
        layout.content, ak.contents.RecordArray
    ):
        offsets = np.asarray(layout.offsets.data, dtype=np.int64)
        start, stop = int(offsets[0]), int(offsets[-1])
        content = layout.content
        cols = {}
        for name, dtype in _KERNEL_COLUMNS.items():
            leaf = content[name]
            if isinstance(leaf, ak.contents.NumpyArray):
                arr = np.asarray(leaf.data)[start:stop]
            else:
                arr = np.asarray(ak.to_numpy(ak.Array(leaf)))[start:stop]
            cols[name] = np.ascontiguousarray(arr, dtype=dtype)
        return cols, offsets - start
    cols, counts = _flatten_particles(particles)
    cols = {k: np.ascontiguousarray(cols[k], dtype=d) for k, d in _KERNEL_COLUMNS.items()}
    return cols, _offsets(counts) if n_events else np.zeros(1, dtype=np.int64)


def _lists(offsets: np.ndarray, columns: dict) -> ak.contents.Content:
    """A list-of-records layout from offsets and equal-length contiguous columns."""
    record = ak.contents.RecordArray(
        [ak.contents.NumpyArray(np.ascontiguousarray(c)) for c in columns.values()],
        list(columns),
        length=int(offsets[-1]),
    )
    return ak.contents.ListOffsetArray(ak.index.Index64(offsets), record)


def simulate_events(
    events: ak.Array, card: DetectorCard, rng: np.random.Generator, *, counters: dict | None = None
) -> ak.Array:
    """Simulate the detector response for an awkward truth event record (fused numba kernel).

    Same physics and output layout as :func:`simulate_events_reference`; the random draws
    are organised per event (see :mod:`darkscan.detector._kernels` for their order and the
    reduction of draws), so the two agree in distribution, not event by event.

    Parameters
    ----------
    events : awkward.Array
        Truth events with ``particles`` and ``weight`` (lab frame).
    card : DetectorCard
    rng : numpy.random.Generator
    counters : dict, optional
        If given, filled with the number of draws per stage (``{stage: (uniform, normal,
        exponential)}``), e.g. for the benchmark's random-number floor.

    Returns
    -------
    awkward.Array
        Reconstructed events (see the module docstring).
    """
    sub = _stage_generators(rng)
    n_events = len(events)
    part, p_off = _flat_columns(events.particles)
    if p_off.size > 1 and int(np.max(np.diff(p_off))) > _TRACK_CAP:
        raise PhysicsDomainError(
            f"an event has {int(np.max(np.diff(p_off)))} particles; the fast simulation "
            f"handles at most {_TRACK_CAP} per event"
        )
    par = _kernel_parameters(card)
    (
        t_off, t_f, t_i, t_q, t_b,
        c_off, c_f, c_reg, c_match, c_b, c_mc,
        k_off, k_f, k_mc,
        v_off, v_f, v_i,
        trig, counter,
    ) = simulate_flat(
        p_off, *(part[k] for k in _KERNEL_COLUMNS), par, _stage_states(sub), arena=OUTPUT_ARENA
    )  # fmt: skip
    if counters is not None:
        counters.update(
            {s: tuple(int(x) for x in counter[k]) for k, s in enumerate(COUNTER_STAGES)}
        )
    nt, nc, nk, nv = int(t_off[-1]), int(c_off[-1]), int(k_off[-1]), int(v_off[-1])
    tf = t_f[:, :nt]
    tracks = {
        "px": tf[0], "py": tf[1], "pz": tf[2], "E": tf[3], "p": tf[4], "pt": tf[5],
        "cosTheta": tf[6], "phi": tf[7], "charge": t_q[:nt], "d0": tf[8], "z0": tf[9],
        "muonID": tf[10], "electronID": tf[11], "pionID": tf[12], "kaonID": tf[13],
        "clusterE": tf[14], "mcIndex": t_i[0, :nt], "mcPDG": t_i[1, :nt],
        "isBeamBackground": t_b[:nt],
    }  # fmt: skip
    cf = c_f[:, :nc]
    clusters = {
        "E": cf[0], "clusterE": cf[0], "theta": cf[1], "phi": cf[2], "cosTheta": cf[3],
        "clusterReg": c_reg[:nc], "isTrackMatched": c_match[:nc],
        "isBeamBackground": c_b[:nc], "mcIndex": c_mc[:nc],
    }  # fmt: skip
    klm = {"theta": k_f[0, :nk], "phi": k_f[1, :nk], "cosTheta": k_f[2, :nk], "mcIndex": k_mc[:nk]}
    vertices = {
        "x": v_f[0, :nv], "y": v_f[1, :nv], "z": v_f[2, :nv], "dr": v_f[3, :nv],
        "track1": v_i[0, :nv], "track2": v_i[1, :nv], "mcIndex": v_i[2, :nv],
    }  # fmt: skip
    trigger = ak.contents.RecordArray(
        [ak.contents.NumpyArray(trig[k]) for k in range(len(TRIGGER_LINES) + 1)],
        [*TRIGGER_LINES, "any"],
        length=n_events,
    )
    weight = ak.contents.NumpyArray(np.ascontiguousarray(events.weight, dtype=np.float64))
    layout = ak.contents.RecordArray(
        [
            _lists(t_off, tracks),
            _lists(c_off, clusters),
            _lists(k_off, klm),
            _lists(v_off, vertices),
            trigger,
            weight,
            ak.to_layout(events.particles),
        ],
        ["tracks", "clusters", "klm_clusters", "vertices", "trigger", "weight", "particles"],
        length=n_events,
    )
    return ak.Array(layout)


def simulate_events_reference(
    events: ak.Array, card: DetectorCard, rng: np.random.Generator
) -> ak.Array:
    """Simulate the detector response with the plain numpy stage functions (reference).

    Readable reference of :func:`simulate_events`: each stage runs as array operations over
    all particles (:func:`~darkscan.detector.tracking.reconstruct_tracks`,
    :func:`~darkscan.detector.calorimeter.reconstruct_clusters`, ...) with the draw order
    documented there. Same physics and output layout as :func:`simulate_events`.

    Parameters
    ----------
    events : awkward.Array
        Truth events with ``particles`` and ``weight`` (lab frame).
    card : DetectorCard
    rng : numpy.random.Generator

    Returns
    -------
    awkward.Array
        Reconstructed events (see the module docstring).
    """
    sub = _stage_generators(rng)
    n_events = len(events)
    part, p_counts = _flatten_particles(events.particles)
    p_off = _offsets(p_counts)
    p_event = np.repeat(np.arange(n_events), p_counts)

    # ---- tracking (physics) + beam-background tracks, merged per event
    trk = reconstruct_tracks(part, card.tracking, sub["tracking"])
    has_track = np.zeros(part["pdg"].size, dtype=bool)
    has_track[trk["index"]] = True
    cal = reconstruct_clusters(part, p_event, has_track, card.calorimeter, sub["calorimeter"])
    klm = reconstruct_klm_clusters(part, card.pid.klong, sub["klm"])
    bb_rng = sub["beam_background"]
    bb_cl = beam_background_clusters(n_events, card.beam_background, card.calorimeter, bb_rng)
    bb_tr = beam_background_tracks(n_events, card.beam_background, card.tracking, bb_rng)

    idx = trk["index"]
    n_phys = idx.size
    t_event = np.concatenate([p_event[idx], bb_tr["event"]])
    order = np.argsort(t_event, kind="stable")
    t_event = t_event[order]

    def cat(phys, bkg, dtype=np.float64):
        return np.concatenate([np.asarray(phys, dtype=dtype), np.asarray(bkg, dtype=dtype)])[order]

    tracks = {
        k: cat(trk[k], bb_tr[k])
        for k in ("px", "py", "pz", "E", "p", "pt", "theta", "phi", "d0", "z0")
    }
    tracks["charge"] = cat(trk["charge"], bb_tr["charge"], np.int8)
    is_bkg = cat(np.zeros(n_phys, bool), np.ones(bb_tr["event"].size, bool), bool)
    mc_flat = cat(idx, np.full(bb_tr["event"].size, -1), np.int64)
    t_counts = np.bincount(t_event, minlength=n_events)
    t_off = _offsets(t_counts)
    t_local = np.arange(t_event.size) - t_off[t_event]

    def truth(column, fill):
        """Per track: the truth particle's ``column`` value, ``fill`` for background tracks."""
        out = np.full(mc_flat.size, fill, dtype=np.asarray(column).dtype)
        out[~is_bkg] = np.asarray(column)[mc_flat[~is_bkg]]
        return out

    mc_pdg = truth(part["pdg"], 0)
    pid = track_pid(mc_pdg, tracks["p"], np.degrees(tracks["theta"]), card.pid, sub["pid"])
    cluster_e = truth(cal["particle_energy"], 0.0)

    # ---- vertices from pairs of tracks sharing a truth mother
    mother_local = truth(part["mother"], -1)
    mother_flat = np.where(mother_local >= 0, p_off[t_event] + mother_local, -1)
    true_vertex = np.stack([truth(part[c], 0.0) for c in ("vx", "vy", "vz")])
    vtx = reconstruct_vertices(
        t_event,
        t_local,
        mother_flat,
        tracks["charge"],
        true_vertex,
        card.vertexing,
        sub["vertexing"],
    )
    v_counts = np.bincount(vtx["event"], minlength=n_events)
    pt1 = tracks["pt"][t_off[vtx["event"]] + vtx["track1"]]
    pt2 = tracks["pt"][t_off[vtx["event"]] + vtx["track2"]]

    # ---- clusters: physics + beam background, merged per event
    n_cl = cal["E"].size
    n_bb = bb_cl["E"].size
    c_event = np.concatenate([cal["event"], bb_cl["event"]])
    c_order = np.argsort(c_event, kind="stable")
    c_event = c_event[c_order]

    def ccat(phys, bkg, dtype=np.float64):
        return np.concatenate([np.asarray(phys, dtype=dtype), np.asarray(bkg, dtype=dtype)])[
            c_order
        ]

    clusters = {k: ccat(cal[k], bb_cl[k]) for k in ("E", "theta", "phi")}
    clusters["region"] = ccat(cal["region"], bb_cl["region"], np.int8)
    c_bkg = ccat(np.zeros(n_cl, bool), np.ones(n_bb, bool), bool)
    c_matched = ccat(cal["matched"], np.zeros(n_bb, bool), bool)
    c_mc_flat = ccat(cal["index"], np.full(n_bb, -1), np.int64)
    c_mc = np.where(c_mc_flat >= 0, c_mc_flat - p_off[c_event], -1)
    c_counts = np.bincount(c_event, minlength=n_events)

    trig = evaluate_trigger(
        n_events,
        {"event": t_event, "pt": tracks["pt"], "phi": tracks["phi"], "muonID": pid["muonID"]},
        {"event": c_event, **clusters},
        {"event": vtx["event"], "dr": vtx["dr"], "pt1": pt1, "pt2": pt2},
        card.trigger,
        get_collider(card.detector.collider),
        sub["trigger"],
    )

    track_fields = {
        "px": _f32(tracks["px"]),
        "py": _f32(tracks["py"]),
        "pz": _f32(tracks["pz"]),
        "E": _f32(tracks["E"]),
        "p": _f32(tracks["p"]),
        "pt": _f32(tracks["pt"]),
        "cosTheta": _f32(np.cos(tracks["theta"])),
        "phi": _f32(tracks["phi"]),
        "charge": tracks["charge"],
        "d0": _f32(tracks["d0"]),
        "z0": _f32(tracks["z0"]),
        **pid,
        "clusterE": _f32(cluster_e),
        "mcIndex": np.where(is_bkg, -1, mc_flat - p_off[t_event]).astype(np.int32),
        "mcPDG": np.asarray(mc_pdg, dtype=np.int32),
        "isBeamBackground": is_bkg,
    }
    e_cl = _f32(clusters["E"])
    cluster_fields = {
        "E": e_cl,
        "clusterE": e_cl.copy(),
        "theta": _f32(clusters["theta"]),
        "phi": _f32(clusters["phi"]),
        "cosTheta": _f32(np.cos(clusters["theta"])),
        "clusterReg": clusters["region"],
        "isTrackMatched": c_matched,
        "isBeamBackground": c_bkg,
        "mcIndex": c_mc.astype(np.int32),
    }
    k_event = p_event[klm["index"]]
    klm_fields = {
        "theta": _f32(klm["theta"]),
        "phi": _f32(klm["phi"]),
        "cosTheta": _f32(np.cos(klm["theta"])),
        "mcIndex": (klm["index"] - p_off[k_event]).astype(np.int32),
    }
    vertex_fields = {
        "x": _f32(vtx["x"]),
        "y": _f32(vtx["y"]),
        "z": _f32(vtx["z"]),
        "dr": _f32(vtx["dr"]),
        "track1": np.asarray(vtx["track1"], dtype=np.int32),
        "track2": np.asarray(vtx["track2"], dtype=np.int32),
        "mcIndex": (vtx["mother"] - p_off[vtx["event"]]).astype(np.int32),
    }
    return ak.zip(
        {
            "tracks": _jagged(track_fields, t_counts),
            "clusters": _jagged(cluster_fields, c_counts),
            "klm_clusters": _jagged(klm_fields, np.bincount(k_event, minlength=n_events)),
            "vertices": _jagged(vertex_fields, v_counts),
            "trigger": ak.zip({k: np.asarray(v, dtype=bool) for k, v in trig.items()}),
            "weight": np.asarray(events.weight, dtype=np.float64),
            "particles": events.particles,
        },
        depth_limit=1,
    )


def simulate(
    sample: Sample,
    card: DetectorCard | str | os.PathLike = "belle2",
    rng: np.random.Generator | None = None,
) -> RecoSample:
    """Run the fast detector simulation on a truth sample.

    Parameters
    ----------
    sample : Sample
        Truth sample (lab frame).
    card : DetectorCard or str or os.PathLike
        A card, the name of a shipped card (``"belle2"``) or a path to a TOML card.
    rng : numpy.random.Generator
        Source of all randomness (required; see the module docstring).

    Returns
    -------
    RecoSample
    """
    if rng is None or not isinstance(rng, np.random.Generator):
        raise ConfigError("simulate needs rng=numpy.random.Generator (no hidden global state)")
    if not isinstance(card, DetectorCard):
        card = load_card(card)
    seed = seed_record(rng)
    events = simulate_events(sample.events, card, rng)
    return RecoSample(
        events=events,
        sample_metadata=sample.metadata(),
        card=card.model_dump(mode="json"),
        card_name=card.name,
        card_hash=card_hash(card),
        seed=json.loads(json.dumps(seed)),
    )


def write_reco_sample(
    reco: RecoSample, path: str | os.PathLike, *, compression: str = "zstd"
) -> Path:
    """Write a reconstructed sample to Parquet atomically (events + JSON metadata).

    Same conventions as :func:`darkscan.io.parquet.write_sample`; the metadata goes under
    :data:`RECO_METADATA_KEY`.
    """
    table = ak.to_arrow_table(reco.events, extensionarray=True)
    meta = dict(table.schema.metadata or {})
    meta[RECO_METADATA_KEY] = json.dumps(reco.metadata(), sort_keys=True).encode()
    table = table.replace_schema_metadata(meta)
    with atomic_output(path) as tmp:
        pq.write_table(table, tmp, compression=compression, use_dictionary=False)
    return Path(path)


def read_reco_sample(path: str | os.PathLike) -> RecoSample:
    """Read a sample written by :func:`write_reco_sample`.

    Raises
    ------
    InputFileError
        Missing file, not Parquet, or no darkscan reco metadata; one line naming the file.
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"cannot read reco sample {p}: file does not exist")
    try:
        pf = pq.ParquetFile(p)
        raw = (pf.schema_arrow.metadata or {}).get(RECO_METADATA_KEY)
        if raw is None:
            raise InputFileError(
                f"cannot read reco sample {p}: no darkscan reco metadata "
                f"(key {RECO_METADATA_KEY.decode()})"
            )
        meta = json.loads(raw)
        events = ak.from_arrow(pf.read())
    except (pa.ArrowException, OSError, ValueError) as exc:
        if isinstance(exc, InputFileError):
            raise
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputFileError(f"cannot read reco sample {p}: {first}") from exc
    return RecoSample(
        events=events,
        sample_metadata=meta["sample_metadata"],
        card=meta["card"],
        card_name=meta["card_name"],
        card_hash=meta["card_hash"],
        seed=meta["seed"],
    )
