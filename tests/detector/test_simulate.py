"""Tests of the simulation driver: layout, truth links, reproducibility, chunking, Parquet."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from darkscan.beams import belle2
from darkscan.detector.card import card_hash, load_card
from darkscan.detector.simulate import (
    read_reco_sample,
    simulate,
    simulate_events,
    write_reco_sample,
)
from darkscan.errors import ConfigError, InputFileError
from darkscan.generate.event_record import Sample, events_from_arrays
from darkscan.io.parquet import write_sample

M_MU = 0.1056583755
M_PI = 0.13957039


def dimuon_sample(n, seed=0):
    """e+e- -> mu+mu- at the Belle II sqrt(s), isotropic in the CM frame, boosted to the lab."""
    beams = belle2()
    rng = np.random.default_rng(seed)
    cos_t = rng.uniform(-0.95, 0.95, n)
    phi = rng.uniform(-np.pi, np.pi, n)
    e = beams.sqrt_s / 2
    p = np.sqrt(e * e - M_MU**2)
    sin_t = np.sqrt(1 - cos_t**2)
    mom = p * np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t], axis=-1)
    p4 = np.stack(
        [
            np.concatenate([np.full((n, 1), e), mom], 1),
            np.concatenate([np.full((n, 1), e), -mom], 1),
        ],
        axis=1,
    )
    lab = beams.to_lab(p4)
    cols = {"pdg": np.tile([13, -13], (n, 1))}
    for k, name in enumerate(("E", "px", "py", "pz")):
        cols[name] = lab[..., k]
    ev = events_from_arrays(cols, weight=np.full(n, 1.0 / n))
    return Sample(ev, "ee -> mumu", {}, "test", {}, seed, 1.0e6)


def displaced_sample(n, rxy=5.0):
    """K_S-like mother (index 0) decaying at (rxy, 0, 1) cm into pi+ pi- (indices 1, 2)."""
    p = 1.0
    angles = np.radians([80.0, 100.0])
    px = np.array([0.0, p * np.sin(angles[0]), p * np.sin(angles[1])])
    py = np.array([0.0, 0.3, -0.3])
    pz = np.array([0.0, p * np.cos(angles[0]), p * np.cos(angles[1])])
    e = np.array([0.5, *np.sqrt(px[1:] ** 2 + py[1:] ** 2 + pz[1:] ** 2 + M_PI**2)])
    tile = lambda a: np.tile(a, (n, 1))  # noqa: E731
    cols = {
        "pdg": tile([310, 211, -211]),
        "px": tile(px),
        "py": tile(py),
        "pz": tile(pz),
        "E": tile(e),
        "vx": tile([0.0, rxy, rxy]),
        "vy": tile([0.0, 0.0, 0.0]),
        "vz": tile([0.0, 1.0, 1.0]),
        "is_final": tile([False, True, True]),
        "mother": tile([-1, 0, 0]),
    }
    return Sample(events_from_arrays(cols, weight=np.ones(n)), "K_S", {}, "test", {}, 0, 1.0)


@pytest.fixture(scope="module")
def reco():
    return simulate(dimuon_sample(3000), "belle2", np.random.default_rng(42))


def _flat_equal(a, b):
    """Bit-identical comparison of two reconstructed event records."""
    for coll in ("tracks", "clusters", "klm_clusters", "vertices", "trigger"):
        for f in a[coll].fields:
            x = np.asarray(ak.flatten(a[coll][f], axis=None))
            y = np.asarray(ak.flatten(b[coll][f], axis=None))
            if x.shape != y.shape or x.tobytes() != y.tobytes():
                return False
        if not np.array_equal(
            ak.num(a[coll], axis=-1 if coll != "trigger" else 0),
            ak.num(b[coll], axis=-1 if coll != "trigger" else 0),
        ):
            return False
    return True


def test_layout_and_dtypes(reco):
    ev = reco.events
    assert set(ev.fields) == {
        "tracks",
        "clusters",
        "klm_clusters",
        "vertices",
        "trigger",
        "weight",
        "particles",
    }
    for name in (
        "px",
        "py",
        "pz",
        "E",
        "p",
        "pt",
        "cosTheta",
        "phi",
        "d0",
        "z0",
        "muonID",
        "clusterE",
    ):
        assert ak.flatten(ev.tracks[name]).type.content.primitive == "float32", name
    assert set(ev.trigger.fields) == {
        "two_track",
        "single_muon",
        "single_photon",
        "three_photon",
        "displaced_vertex",
        "any",
    }
    assert reco.card_name == "belle2" and reco.card_hash == card_hash(load_card("belle2"))


def test_truth_links(reco):
    ev = reco.events
    trk = ev.tracks[~ev.tracks.isBeamBackground]
    truth_pdg = ev.particles.pdg[trk.mcIndex]
    assert ak.all(truth_pdg == trk.mcPDG)
    assert ak.all(abs(trk.mcPDG) == 13)
    # charge from the truth pdg: mu- (13) negative
    assert ak.all(trk.charge == -np.sign(trk.mcPDG))
    cl = ev.clusters[~ev.clusters.isBeamBackground]
    assert ak.all(ev.particles.pdg[cl.mcIndex] != 0)


def test_dimuon_efficiency_and_muon_clusters(reco):
    ev = reco.events
    phys = ev.tracks[~ev.tracks.isBeamBackground]
    n_trk = ak.to_numpy(ak.num(phys))
    # both muons inside the CDC for most events; tracking plateau 0.98 (card) per track
    assert 0.6 < np.mean(n_trk == 2) < 0.98**2
    matched = ak.flatten(phys.clusterE)
    # MIP deposits of ~0.18 GeV for the tracks that reached the ECL
    assert np.median(matched[matched > 0]) == pytest.approx(0.18, abs=0.02)
    # most events fire a trigger line (two-track back-to-back muons, single muon)
    assert np.mean(ev.trigger.any) > 0.8


def test_momentum_resolution_in_recoil_frame(reco):
    ev = reco.events
    phys = ev.tracks[~ev.tracks.isBeamBackground]
    truth = ev.particles[phys.mcIndex]
    p_true = np.sqrt(truth.px**2 + truth.py**2 + truth.pz**2)
    rel = ak.to_numpy(ak.flatten((phys.p - p_true) / p_true))
    # sigma_pt/pt = 0.0011 pt (+) 0.0025 for pt ~ 3-6 GeV: 0.4-0.7%
    assert 0.003 < np.std(rel) < 0.009


def test_same_seed_bit_identical_and_different_seed_differs():
    s = dimuon_sample(500)
    a = simulate(s, "belle2", np.random.default_rng(7)).events
    b = simulate(s, "belle2", np.random.default_rng(7)).events
    c = simulate(s, "belle2", np.random.default_rng(8)).events
    assert _flat_equal(a, b)
    assert not _flat_equal(a, c)


def test_chunks_independent_of_order_and_history():
    """Chunk results depend only on (chunk, its SeedSequence child): no hidden state."""
    sample = dimuon_sample(600)
    chunks = [sample.events[:250], sample.events[250:]]
    card = load_card("belle2")
    children = np.random.SeedSequence(123).spawn(2)
    forward = [
        simulate_events(c, card, np.random.default_rng(k))
        for c, k in zip(chunks, children, strict=True)
    ]
    children = np.random.SeedSequence(123).spawn(2)
    backward = [
        simulate_events(chunks[i], card, np.random.default_rng(children[i])) for i in (1, 0)
    ][::-1]
    assert all(_flat_equal(f, b) for f, b in zip(forward, backward, strict=True))
    merged = ak.concatenate(forward)
    assert len(merged) == 600
    assert ak.all(merged.particles.pdg == sample.events.particles.pdg)


def test_switching_off_beam_background_leaves_other_stages():
    s = dimuon_sample(300)
    card = load_card("belle2")
    quiet = card.model_copy(
        update={
            "beam_background": card.beam_background.model_copy(
                update={"photons_mean": 0.0, "tracks_mean": 0.0}
            )
        }
    )
    a = simulate(s, card, np.random.default_rng(9)).events
    b = simulate(s, quiet, np.random.default_rng(9)).events
    assert not ak.any(b.tracks.isBeamBackground) and not ak.any(b.clusters.isBeamBackground)
    pa = a.tracks[~a.tracks.isBeamBackground]
    assert ak.all(ak.flatten(pa.px) == ak.flatten(b.tracks.px))


def test_displaced_vertex_reconstruction():
    n = 4000
    ev = simulate(displaced_sample(n), "belle2", np.random.default_rng(10)).events
    vtx = ev.vertices
    n_vtx = ak.to_numpy(ak.num(vtx))
    assert set(np.unique(n_vtx).tolist()) <= {0, 1}
    # vertex efficiency 0.8 (card) x two tracks found (0.98^2) at R_xy = 5 cm
    expected = 0.8 * 0.98**2
    assert abs(n_vtx.mean() - expected) < 4 * np.sqrt(expected * (1 - expected) / n)
    v = ak.flatten(vtx)
    assert np.all(np.asarray(v.mcIndex) == 0)
    assert np.mean(np.asarray(v.dr)) == pytest.approx(5.0, abs=0.01)
    has = n_vtx == 1
    t1 = ev.tracks[has][vtx[has].track1]
    assert ak.all(ak.flatten(t1.charge) == -1)
    # the displaced-vertex trigger fires for most events with a vertex (pT per pion > 0.1)
    assert np.mean(np.asarray(ev.trigger.displaced_vertex)[has]) == pytest.approx(0.9, abs=0.03)


def test_parquet_round_trip(tmp_path, reco):
    path = write_reco_sample(reco, tmp_path / "reco.parquet")
    back = read_reco_sample(path)
    assert _flat_equal(back.events, reco.events)
    assert back.card_hash == reco.card_hash
    assert back.detector_card() == load_card("belle2")
    assert back.sample_metadata == reco.sample_metadata


def test_errors(tmp_path):
    s = dimuon_sample(5)
    with pytest.raises(ConfigError, match="rng"):
        simulate(s, "belle2", None)
    with pytest.raises(InputFileError, match="does not exist"):
        read_reco_sample(tmp_path / "missing.parquet")
    truth = write_sample(s, tmp_path / "truth.parquet")
    with pytest.raises(InputFileError, match="no darkscan reco metadata"):
        read_reco_sample(truth)


@pytest.mark.parametrize("n_events", [0, 3])
def test_empty_events(n_events):
    cols = {k: np.zeros(0) for k in ("px", "py", "pz", "E")} | {"pdg": np.zeros(0, int)}
    from darkscan.generate.event_record import events_from_flat

    ev = events_from_flat(cols, np.zeros(n_events, int), np.ones(n_events))
    reco = simulate(Sample(ev, "empty", {}, "test", {}, 0, 1.0), "belle2", np.random.default_rng(1))
    assert len(reco.events) == n_events
    assert not ak.any(reco.events.tracks.mcIndex >= 0)
    # only beam-background objects: every cluster is flagged
    assert ak.all(reco.events.clusters.isBeamBackground)


def test_events_without_particles_but_with_background_tracks():
    from darkscan.generate.event_record import events_from_flat

    cols = {k: np.zeros(0) for k in ("px", "py", "pz", "E")} | {"pdg": np.zeros(0, int)}
    ev = events_from_flat(cols, np.zeros(50, int), np.ones(50))
    card = load_card("belle2")
    busy = card.model_copy(
        update={"beam_background": card.beam_background.model_copy(update={"tracks_mean": 3.0})}
    )
    reco = simulate(Sample(ev, "empty", {}, "test", {}, 0, 1.0), busy, np.random.default_rng(2))
    assert ak.sum(ak.num(reco.events.tracks)) > 50
    assert ak.all(reco.events.tracks.mcIndex == -1) and ak.all(reco.events.tracks.mcPDG == 0)
