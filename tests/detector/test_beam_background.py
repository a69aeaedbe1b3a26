"""Tests of the beam-background overlay: Poisson rates, spectra, angular distribution."""

from __future__ import annotations

import numpy as np
import pytest
from _detector_helpers import binomial_sigma

from darkscan.detector.beam_background import beam_background_clusters, beam_background_tracks
from darkscan.detector.calorimeter import REGION_BARREL, ecl_region
from darkscan.detector.card import load_card

CARD = load_card("belle2")
N_EVENTS = 50_000


@pytest.fixture(scope="module")
def clusters():
    return beam_background_clusters(
        N_EVENTS, CARD.beam_background, CARD.calorimeter, np.random.default_rng(1)
    )


def test_cluster_rate_is_poisson_mean(clusters):
    mean = CARD.beam_background.photons_mean
    counts = np.bincount(clusters["event"], minlength=N_EVENTS)
    assert abs(counts.mean() - mean) < 4 * np.sqrt(mean / N_EVENTS)
    # Poisson: variance equals mean
    assert counts.var() == pytest.approx(mean, rel=0.05)
    assert np.all(np.diff(clusters["event"]) >= 0)


def test_cluster_energy_spectrum(clusters):
    bb = CARD.beam_background
    e = clusters["E"]
    assert e.min() >= bb.photon_energy_min
    # exponential above the minimum: mean = min + scale, rms = scale
    assert e.mean() == pytest.approx(bb.photon_energy_min + bb.photon_energy_scale, rel=0.02)
    assert e.std() == pytest.approx(bb.photon_energy_scale, rel=0.03)


def test_clusters_inside_ecl_and_weighted_to_endcaps(clusters):
    regions = ecl_region(np.degrees(clusters["theta"]), CARD.calorimeter)
    assert np.array_equal(regions, clusters["region"])  # never in a gap
    frac = np.mean(clusters["region"] != REGION_BARREL)
    f0 = CARD.beam_background.photon_endcap_fraction
    assert abs(frac - f0) < 4 * binomial_sigma(f0, clusters["E"].size)


def test_tracks():
    bb = CARD.beam_background
    trk = beam_background_tracks(N_EVENTS, bb, CARD.tracking, np.random.default_rng(2))
    n = trk["pt"].size
    assert abs(n / N_EVENTS - bb.tracks_mean) < 4 * np.sqrt(bb.tracks_mean / N_EVENTS)
    assert trk["pt"].min() >= bb.track_pt_min
    theta = np.degrees(trk["theta"])
    assert theta.min() >= CARD.tracking.theta_min and theta.max() <= CARD.tracking.theta_max
    assert np.allclose(np.hypot(trk["px"], trk["py"]), trk["pt"])
    assert trk["z0"].std() == pytest.approx(bb.track_z0_width, rel=0.1)
    assert set(np.unique(trk["charge"]).tolist()) == {-1, 1}


def test_switched_off():
    bb = CARD.beam_background.model_copy(update={"photons_mean": 0.0, "tracks_mean": 0.0})
    rng = np.random.default_rng(3)
    assert beam_background_clusters(100, bb, CARD.calorimeter, rng)["E"].size == 0
    assert beam_background_tracks(100, bb, CARD.tracking, rng)["pt"].size == 0
