"""Tests of the trigger emulation: line conditions, efficiencies, CM-frame photon energy."""

from __future__ import annotations

import numpy as np
import pytest
from _detector_helpers import binomial_sigma

from darkscan.beams import belle2
from darkscan.detector.calorimeter import REGION_BARREL
from darkscan.detector.card import load_card
from darkscan.detector.trigger import (
    TRIGGER_LINES,
    evaluate_trigger,
    max_opening_angle,
    max_opening_angle_reference,
)

CARD = load_card("belle2").trigger
PERFECT = CARD.model_copy(
    update={
        name: getattr(CARD, name).model_copy(update={"efficiency": 1.0}) for name in TRIGGER_LINES
    }
)
BEAMS = belle2()


def _empty(n=0):
    return {"event": np.zeros(n, np.int64)}


def _tracks(event, pt, phi, muon_id=None):
    event = np.asarray(event, dtype=np.int64)
    return {
        "event": event,
        "pt": np.asarray(pt, float),
        "phi": np.asarray(phi, float),
        "muonID": np.zeros(event.size) if muon_id is None else np.asarray(muon_id, float),
    }


def _clusters(event=(), e=(), theta=(), phi=None, region=None):
    event = np.asarray(event, dtype=np.int64)
    return {
        "event": event,
        "E": np.asarray(e, float),
        "theta": np.asarray(theta, float),
        "phi": np.zeros(event.size) if phi is None else np.asarray(phi, float),
        "region": np.full(event.size, REGION_BARREL, np.int8)
        if region is None
        else np.asarray(region, np.int8),
    }


def _vertices(event=(), dr=(), pt1=(), pt2=()):
    return {k: np.asarray(v, float) for k, v in dict(dr=dr, pt1=pt1, pt2=pt2).items()} | {
        "event": np.asarray(event, np.int64)
    }


def _run(n, tracks=None, clusters=None, vertices=None, card=PERFECT, seed=1):
    return evaluate_trigger(
        n,
        tracks if tracks is not None else _tracks([], [], []),
        clusters if clusters is not None else _clusters(),
        vertices if vertices is not None else _vertices(),
        card,
        BEAMS,
        np.random.default_rng(seed),
    )


def test_opening_angle_kernel_matches_reference():
    rng = np.random.default_rng(2)
    event = np.sort(rng.integers(0, 200, 700))
    phi = rng.uniform(-np.pi, np.pi, event.size)
    np.testing.assert_allclose(
        max_opening_angle(event, phi, 210), max_opening_angle_reference(event, phi, 210), rtol=1e-12
    )


def test_two_track_line():
    # event 0: back-to-back; event 1: collinear (20 deg apart); event 2: one track below 0.3 GeV
    trk = _tracks([0, 0, 1, 1, 2, 2], [1, 1, 1, 1, 1, 0.2], [0, 3.0, 0, 0.35, 0, 3.0])
    out = _run(3, tracks=trk)
    assert out["two_track"].tolist() == [True, False, False]


def test_single_muon_line():
    trk = _tracks([0, 1, 2], [1.0, 1.0, 0.2], [0, 0, 0], muon_id=[0.9, 0.2, 0.9])
    assert _run(3, tracks=trk)["single_muon"].tolist() == [True, False, False]


def _lab_energy(e_cms, theta):
    """Lab energy of a photon at polar angle theta (phi = 0) with the given CM energy (the
    exact boost of darkscan.beams)."""
    direction = np.array([1.0, np.sin(theta), 0.0, np.cos(theta)])
    return e_cms / BEAMS.to_cms(direction)[0]


@pytest.mark.parametrize(
    ("theta_deg", "threshold"),
    [
        # Belle II card, from basf2 skim/scripts/skim/WGs/dark.py SinglePhotonDark ("matching
        # HLT"): 0.5 GeV in [44, 98] deg, 1 GeV in [30, 130] deg, 2 GeV elsewhere in the ECL
        (90.0, 0.5),
        (45.0, 0.5),
        (35.0, 1.0),
        (110.0, 1.0),
        (20.0, 2.0),
        (140.0, 2.0),
    ],
)
def test_single_photon_threshold_depends_on_polar_angle(theta_deg, threshold):
    theta = np.radians(theta_deg)
    e_lab = [_lab_energy(0.98 * threshold, theta), _lab_energy(1.02 * threshold, theta)]
    cl = _clusters([0, 1], e_lab, [theta, theta])
    assert _run(2, clusters=cl)["single_photon"].tolist() == [False, True]


def test_single_photon_outside_every_region_never_fires():
    # 10 deg and 160 deg: outside the ECL acceptance 12.4-155.1 deg of the last region
    theta = np.radians([10.0, 160.0])
    cl = _clusters([0, 1], [_lab_energy(5.0, t) for t in theta], theta)
    assert _run(2, clusters=cl)["single_photon"].tolist() == [False, False]


def test_single_photon_uses_cm_energy():
    # a lab energy above the threshold whose CM energy is below it (forward photon: the boost
    # lowers its CM energy) and one below whose CM energy is above (backward photon)
    fwd, bwd = np.radians(25.0), np.radians(140.0)
    assert _lab_energy(1.9, fwd) > 2.0 and _lab_energy(2.1, bwd) < 2.0
    cl = _clusters([0, 1], [_lab_energy(1.9, fwd), _lab_energy(2.1, bwd)], [fwd, bwd])
    assert _run(2, clusters=cl)["single_photon"].tolist() == [False, True]


def test_three_photon_line():
    cl = _clusters([0, 0, 0, 1, 1, 1], [0.5, 0.5, 0.5, 0.5, 0.5, 0.05], [1.0] * 6)
    assert _run(2, clusters=cl)["three_photon"].tolist() == [True, False]


def test_displaced_vertex_line():
    vtx = _vertices(
        [0, 1, 2, 3], [5.0, 0.5, 5.0, 59.0], [0.5, 0.5, 0.05, 0.2], [0.5, 0.5, 0.5, 0.2]
    )
    assert _run(4, vertices=vtx)["displaced_vertex"].tolist() == [True, False, False, True]


def test_line_efficiency_and_any():
    n = 40_000
    cl = _clusters(np.arange(n), np.full(n, 3.0), np.full(n, np.pi / 2))
    out = _run(n, clusters=cl, card=CARD, seed=3)
    eff = CARD.single_photon.efficiency
    assert abs(out["single_photon"].mean() - eff) < 4 * binomial_sigma(eff, n)
    expected_any = np.logical_or.reduce([out[k] for k in TRIGGER_LINES])
    assert np.array_equal(out["any"], expected_any)


def test_disabled_line_never_fires_and_others_unchanged():
    n = 1000
    cl = _clusters(np.arange(n), np.full(n, 3.0), np.full(n, np.pi / 2))
    off = CARD.model_copy(
        update={"three_photon": CARD.three_photon.model_copy(update={"enabled": False})}
    )
    on_out = _run(n, clusters=cl, card=CARD, seed=4)
    off_out = _run(n, clusters=cl, card=off, seed=4)
    assert not off_out["three_photon"].any()
    assert np.array_equal(on_out["single_photon"], off_out["single_photon"])


@pytest.mark.parametrize("n", [0, 1])
def test_no_objects(n):
    out = _run(n)
    assert all(out[k].shape == (n,) and not out[k].any() for k in out)
