"""The fast simulation on every process the generators produce (issue: "works on every sample").

For each registered process a small sample is generated and simulated with the Belle II card;
the reconstructed objects must link back to the truth particles they claim to come from
(species, charge, momentum within the resolution's reach, acceptance), the beam-background
objects must be flagged as such, and the trigger summary must be the OR of its lines. One
sample also goes through the command line (Parquet in, Parquet out).
"""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from darkscan.detector.card import load_card
from darkscan.detector.simulate import simulate
from darkscan.detector.trigger import TRIGGER_LINES
from darkscan.generate.registry import PROCESSES, generate

CARD = load_card("belle2")
N_EVENTS = 150
#: Mediator masses (GeV) and extra model parameters of the signal processes.
SIGNAL = {
    "mumu-zprime": {"mass": 1.0},
    "gamma-aprime": {"mass": 1.0},
    "gamma-alp": {"mass": 1.0},
    "aprime-dark-higgs": {"mass": 1.0, "model_parameters": {"m_aprime": 2.0}},
}
CHARGED = {11: -1, 13: -1, 211: 1, 321: 1, 2212: 1}  # |pdg| -> charge of the particle (pdg > 0)


def _flat(array, field):
    return ak.to_numpy(ak.flatten(array[field])).astype(np.float64)


@pytest.fixture(scope="module", params=list(PROCESSES))
def simulated(request):
    name = request.param
    sample = generate(name, N_EVENTS, np.random.default_rng(11), **SIGNAL.get(name, {}))
    return name, sample, simulate(sample, CARD, np.random.default_rng(12)).events


def test_one_record_per_event_with_the_truth_weights(simulated):
    _, sample, ev = simulated
    assert len(ev) == N_EVENTS
    np.testing.assert_array_equal(ak.to_numpy(ev.weight), ak.to_numpy(sample.events.weight))


def test_tracks_link_to_charged_final_state_particles(simulated):
    name, _, ev = simulated
    trk = ev.tracks
    idx = ak.to_numpy(ak.flatten(trk.mcIndex))
    background = ak.to_numpy(ak.flatten(trk.isBeamBackground))
    np.testing.assert_array_equal(background, idx < 0)
    assert np.all(_flat(trk, "mcPDG")[background] == 0)
    # truth particle behind every signal track (local index into the event's particles)
    n_part = np.repeat(ak.to_numpy(ak.num(ev.particles)), ak.to_numpy(ak.num(trk)))
    assert np.all(idx < n_part)
    linked = ev.particles[ak.where(trk.mcIndex >= 0, trk.mcIndex, 0)]
    keep = ~background
    pdg = ak.to_numpy(ak.flatten(linked.pdg))[keep]
    assert np.all(_flat(trk, "mcPDG")[keep] == pdg)
    assert np.all(ak.to_numpy(ak.flatten(linked.is_final))[keep])
    assert set(np.unique(np.abs(pdg))) <= set(CHARGED)
    expected_charge = np.sign(pdg) * np.array([CHARGED[abs(int(p))] for p in pdg])
    np.testing.assert_array_equal(_flat(trk, "charge")[keep], expected_charge)
    # acceptance of the CDC (17-150 deg, on the true direction) and the momentum within the
    # resolution's reach: sigma_pt/pt <= 0.0011 pt (+) 0.0025/beta is below 2% up to 7 GeV
    p_true = np.sqrt(sum(ak.to_numpy(ak.flatten(linked[c]))[keep] ** 2 for c in ("px", "py", "pz")))
    cos_true = ak.to_numpy(ak.flatten(linked.pz))[keep] / p_true
    lo, hi = np.cos(np.radians([CARD.tracking.theta_max, CARD.tracking.theta_min]))
    assert np.all((cos_true >= lo) & (cos_true <= hi)), name
    p_reco = _flat(trk, "p")[keep]
    assert np.all(np.abs(p_reco / p_true - 1.0) < 0.2), name
    for field in ("px", "py", "pz", "E", "d0", "z0", "muonID", "electronID"):
        assert np.all(np.isfinite(_flat(trk, field))), field


def test_clusters_klm_and_vertices_are_consistent(simulated):
    name, _, ev = simulated
    cl = ev.clusters
    assert np.all(_flat(cl, "E") > 0.0)
    assert set(np.unique(_flat(cl, "clusterReg"))) <= {1.0, 2.0, 3.0}
    cos = _flat(cl, "cosTheta")
    np.testing.assert_allclose(cos, np.cos(_flat(cl, "theta")), atol=1e-6)
    bkg = ak.to_numpy(ak.flatten(cl.isBeamBackground))
    np.testing.assert_array_equal(bkg, _flat(cl, "mcIndex") < 0)
    # K_L clusters come from K_L (pdg 130)
    klm = ev.particles[ev.klm_clusters.mcIndex]
    assert np.all(ak.to_numpy(ak.flatten(klm.pdg)) == 130), name
    # vertices join two of the event's tracks of opposite charge
    vtx = ev.vertices
    n_trk = np.repeat(ak.to_numpy(ak.num(ev.tracks)), ak.to_numpy(ak.num(vtx)))
    t1, t2 = _flat(vtx, "track1"), _flat(vtx, "track2")
    assert np.all((t1 >= 0) & (t1 < n_trk) & (t2 >= 0) & (t2 < n_trk) & (t1 != t2))
    q1 = ak.to_numpy(ak.flatten(ev.tracks.charge[vtx.track1]))
    q2 = ak.to_numpy(ak.flatten(ev.tracks.charge[vtx.track2]))
    assert np.all(q1 * q2 < 0)


def test_trigger_any_is_the_or_of_the_lines(simulated):
    _, _, ev = simulated
    lines = np.stack([ak.to_numpy(ev.trigger[k]) for k in TRIGGER_LINES])
    np.testing.assert_array_equal(ak.to_numpy(ev.trigger.any), lines.any(axis=0))


def test_command_line_on_a_hadronic_sample(capsys, tmp_path):
    from darkscan.cli import main
    from darkscan.detector import read_reco_sample
    from darkscan.io.parquet import write_sample

    truth = tmp_path / "uubar.parquet"
    write_sample(generate("pythia-uubar", 100, np.random.default_rng(3)), truth)
    reco = tmp_path / "uubar_reco.parquet"
    code = main(["simulate", str(truth), "-o", str(reco), "--seed", "4"])
    assert code == 0, capsys.readouterr().err
    events = read_reco_sample(reco).events
    assert len(events) == 100
    # q qbar events at 10.58 GeV: several tracks per event (Pythia 8 mean charged
    # multiplicity ~10, of which the CDC acceptance keeps most)
    assert ak.mean(ak.num(events.tracks)) > 3.0
