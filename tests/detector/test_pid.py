"""Tests of particle identification: efficiencies and mis-ID rates reproduced, KLM K_L."""

from __future__ import annotations

import numpy as np
import pytest
from _detector_helpers import binomial_sigma, flat_particles

from darkscan.detector.card import load_card
from darkscan.detector.pid import (
    draw_id,
    pass_probability,
    reconstruct_klm_clusters,
    species_of,
    track_pid,
)

PID = load_card("belle2").pid
N = 40_000


def _fraction(pdg, p, theta, name, threshold=0.5, seed=1):
    ids = track_pid(
        np.full(N, pdg), np.full(N, p), np.full(N, theta), PID, np.random.default_rng(seed)
    )
    return float(np.mean(ids[name] > threshold))


def _logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


@pytest.mark.parametrize(
    ("pdg", "p", "theta", "name", "expected"),
    [
        # muon efficiency 90% above 0.7 GeV; pi -> mu 4.1% (arXiv:2503.11351, card values)
        (13, 2.0, 90.0, "muonID", 0.90 * _logistic((2.0 - 0.7) / 0.05)),
        (-13, 0.5, 90.0, "muonID", 0.90 * _logistic((0.5 - 0.7) / 0.05)),
        (211, 2.0, 90.0, "muonID", 0.041 * _logistic((2.0 - 0.7) / 0.05)),
        (-321, 2.0, 90.0, "muonID", 0.02 * _logistic((2.0 - 0.7) / 0.05)),
        # a pion that cannot reach the KLM cannot fake a muon there: the mis-ID follows the
        # muon's momentum turn-on (mu/pi separated by the KLM above 0.7 GeV, arXiv:2503.11351)
        (211, 0.7, 90.0, "muonID", 0.041 * 0.5),
        (-211, 0.4, 90.0, "muonID", 0.041 * _logistic((0.4 - 0.7) / 0.05)),
        (13, 2.0, 15.0, "muonID", 0.0),  # outside the KLM coverage (card: 18-155 deg)
        # electron 92% with pi -> e 0.25% (Belle, hep-ex/0108044; card values)
        (11, 1.0, 90.0, "electronID", 0.92 * _logistic((1.0 - 0.2) / 0.05)),
        (211, 1.0, 90.0, "electronID", 0.0025 * _logistic((1.0 - 0.2) / 0.05)),
        # kaon 94% with pi -> K 4% (Belle II TOP + ARICH expectation, arXiv:1610.00264)
        (321, 1.0, 90.0, "kaonID", 0.94 * _logistic(1.0 / 0.05)),
        (211, 1.0, 90.0, "kaonID", 0.04 * _logistic(1.0 / 0.05)),
    ],
)
def test_rates_reproduced_within_binomial_error(pdg, p, theta, name, expected):
    found = _fraction(pdg, p, theta, name)
    assert abs(found - expected) < 4 * binomial_sigma(expected, N) + 1e-12


def test_pass_probability_matches_card():
    species = species_of([13, 211, 321, 11, 2212])
    prob = pass_probability(species, 3.0, 90.0, "muon", PID.muon)
    expected = np.array([0.9, 0.041, 0.02, 0.001, 0.005]) * _logistic(2.3 / 0.05)
    np.testing.assert_allclose(prob, expected, rtol=1e-12)
    # the mis-ID rates are plateaus reached with the hypothesis' own turn-on
    low = pass_probability(species, 0.6, 90.0, "muon", PID.muon)
    np.testing.assert_allclose(low / prob, _logistic(-0.1 / 0.05) / _logistic(2.3 / 0.05))


def test_draw_id_exact_fraction_and_working_point():
    u = (np.arange(100_000) + 0.5) / 100_000  # a uniform grid
    ids = draw_id(0.3, u)
    assert np.mean(ids > 0.5) == pytest.approx(0.3, abs=1e-5)
    # documented linear model: P(ID > w) = 2 P (1 - w) for w > 0.5
    assert np.mean(ids > 0.75) == pytest.approx(2 * 0.3 * 0.25, abs=1e-5)
    assert ids.min() >= 0.0 and ids.max() <= 1.0
    assert draw_id(1.0, np.array([0.999])).item() > 0.5
    assert draw_id(0.0, np.array([0.0])).item() <= 0.5  # fails a strict ID > 0.5 cut


def test_beam_background_tracks_are_drawn_as_pions():
    found = _fraction(0, 2.0, 90.0, "muonID")
    assert abs(found - 0.041) < 4 * binomial_sigma(0.041, N)


def test_klong_klm_efficiency():
    part = flat_particles(np.full(N, 130), 3.0, 90.0)
    klm = reconstruct_klm_clusters(part, PID.klong, np.random.default_rng(2))
    expected = 0.8 * _logistic((3.0 - 1.0) / 0.3)
    assert abs(klm["index"].size / N - expected) < 4 * binomial_sigma(expected, N)
    outside = flat_particles(np.full(100, 130), 3.0, 15.0)  # KLM: 18-155 deg (card)
    assert reconstruct_klm_clusters(outside, PID.klong, np.random.default_rng(3))["index"].size == 0
