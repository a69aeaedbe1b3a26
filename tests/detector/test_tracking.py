"""Tests of tracking: acceptance edges, efficiency, resolution pulls, kernels, displacement."""

from __future__ import annotations

import numpy as np
import pytest
from _detector_helpers import binomial_sigma, flat_particles

from darkscan.detector.card import load_card
from darkscan.detector.tracking import (
    charge_of,
    reconstruct_tracks,
    smear_tracks,
    smear_tracks_reference,
    track_efficiency,
    true_impact_parameters,
)

CARD = load_card("belle2").tracking
PERFECT = CARD.model_copy(update={"efficiency_plateau": 1.0})


def test_charge_convention():
    # PDG: e-, mu- (11, 13) negative; pi+, K+, p (211, 321, 2212) positive
    assert charge_of([11, -11, 13, -13, 211, -211, 321, 2212, -2212]).tolist() == [
        -1,
        1,
        -1,
        1,
        1,
        -1,
        1,
        1,
        -1,
    ]


@pytest.mark.parametrize(("theta", "expected"), [(16.9, 0), (17.1, 1), (149.9, 1), (150.1, 0)])
def test_cdc_acceptance_edges(theta, expected):
    part = flat_particles(np.full(500, 13), 2.0, theta)
    trk = reconstruct_tracks(part, PERFECT, np.random.default_rng(1))
    assert trk["index"].size == expected * 500


def test_only_charged_final_state_particles_make_tracks():
    pdg = [22, 130, 12, 13, 13, 211, 2112]
    part = flat_particles(pdg, 2.0, 90.0)
    part["is_final"][4] = False  # a decayed muon gives no track
    trk = reconstruct_tracks(part, PERFECT, np.random.default_rng(2))
    assert trk["index"].tolist() == [3, 5]


@pytest.mark.parametrize("pt", [0.07, 0.1, 0.3, 2.0])
def test_efficiency_reproduced_within_binomial_error(pt):
    n = 20_000
    part = flat_particles(np.full(n, 211), pt, 90.0)
    found = reconstruct_tracks(part, CARD, np.random.default_rng(3))["index"].size / n
    expected = float(track_efficiency(pt, CARD))
    # analytic: 0.98 (1 - exp(-(pt - 0.05)/0.05)) from the card
    assert expected == pytest.approx(0.98 * -np.expm1(-(pt - 0.05) / 0.05), rel=1e-12)
    assert abs(found - expected) < 4 * binomial_sigma(expected, n)


def test_pt_threshold():
    part = flat_particles(np.full(100, 211), 0.049, 90.0)
    assert reconstruct_tracks(part, PERFECT, np.random.default_rng(4))["index"].size == 0


@pytest.mark.parametrize(("p", "theta"), [(0.5, 90.0), (2.0, 40.0), (5.0, 120.0)])
def test_pulls_have_unit_width(p, theta):
    n = 40_000
    part = flat_particles(np.full(n, 13), p, theta, phi=0.3)
    trk = reconstruct_tracks(part, PERFECT, np.random.default_rng(5))
    m = 0.1056583755
    pt = p * np.sin(np.radians(theta))
    beta = p / np.hypot(p, m)
    sigma_pt = pt * np.hypot(CARD.pt_resolution_a * pt, CARD.pt_resolution_b / beta)
    sigma_theta = np.hypot(CARD.theta_resolution_a, CARD.theta_resolution_b / (p * beta))
    sin_t = np.sin(np.radians(theta))
    sigma_d0 = np.hypot(CARD.d0_resolution_a, CARD.d0_resolution_b / (p * beta * sin_t**1.5))
    pulls = {
        "pt": (trk["pt"] - pt) / sigma_pt,
        "theta": (trk["theta"] - np.radians(theta)) / sigma_theta,
        "d0": trk["d0"] / sigma_d0,
    }
    tol = 4 / np.sqrt(2 * n)  # 4 sigma on the width of a unit Gaussian
    for name, pull in pulls.items():
        assert abs(np.std(pull) - 1.0) < tol + 2e-3, name  # 2e-3: float32 inputs
        assert abs(np.mean(pull)) < 4 / np.sqrt(n) + 2e-3, name


def test_numba_kernel_matches_reference():
    rng = np.random.default_rng(6)
    n = 1000
    px, py, pz = rng.normal(size=(3, n)) * 2
    mass = rng.choice([0.000511, 0.10566, 0.13957], n)
    d0, z0 = rng.normal(size=(2, n))
    normals = rng.standard_normal((5, n))
    fast = smear_tracks(px, py, pz, mass, d0, z0, normals, CARD)
    ref = smear_tracks_reference(px, py, pz, mass, d0, z0, normals, CARD)
    for key in ref:
        np.testing.assert_allclose(fast[key], ref[key], rtol=1e-10, atol=1e-12, err_msg=key)


def test_displaced_track_impact_parameters():
    # straight line through (1, 0, 2) cm along +y (and +z): closest approach to the z axis at
    # (1, 0): d0 = +1 cm, z0 = 2 cm
    d0, z0 = true_impact_parameters(1.0, 0.0, 2.0, 0.0, 1.0, 1.0)
    assert (float(d0), float(z0)) == pytest.approx((1.0, 2.0), abs=1e-12)
    n = 2000
    part = flat_particles(np.full(n, 13), 2.0, 60.0, phi=np.pi / 2, vertex=(1.0, 0.0, 2.0))
    trk = reconstruct_tracks(part, PERFECT, np.random.default_rng(7))
    # z0 = vz - (x px + y py) pz / pt^2 = 2 - 0 = 2 cm; d0 = 1 cm; resolution ~ 20 um
    assert np.mean(trk["d0"]) == pytest.approx(1.0, abs=1e-3)
    assert np.mean(trk["z0"]) == pytest.approx(2.0, abs=1e-3)
    far = flat_particles(np.full(10, 13), 2.0, 60.0, vertex=(CARD.max_production_rxy + 1, 0, 0))
    assert reconstruct_tracks(far, PERFECT, np.random.default_rng(8))["index"].size == 0
