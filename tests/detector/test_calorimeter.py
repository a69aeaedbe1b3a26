"""Tests of the ECL: regions and gaps, resolution pulls, efficiency, MIPs, merging, kernels."""

from __future__ import annotations

import numpy as np
import pytest
from _detector_helpers import binomial_sigma, flat_particles

from darkscan.detector.calorimeter import (
    REGION_BACKWARD,
    REGION_BARREL,
    REGION_FORWARD,
    energy_resolution,
    merge_deposits,
    merge_deposits_reference,
    reconstruct_clusters,
)
from darkscan.detector.card import load_card

CARD = load_card("belle2").calorimeter
PERFECT = CARD.model_copy(update={"photon_efficiency": 1.0})


def _clusters(part, card=PERFECT, seed=1, one_per_event=True, has_track=None):
    n = part["pdg"].size
    event = np.arange(n) if one_per_event else np.zeros(n, dtype=np.int64)
    if has_track is None:
        has_track = np.zeros(n, dtype=bool)
    return reconstruct_clusters(part, event, has_track, card, np.random.default_rng(seed))


@pytest.mark.parametrize(
    ("theta", "region"),
    [
        (12.3, None),
        (12.5, REGION_FORWARD),
        (31.3, REGION_FORWARD),
        (31.8, None),  # gap 31.4-32.2 deg
        (32.3, REGION_BARREL),
        (128.6, REGION_BARREL),
        (129.7, None),  # gap 128.7-130.7 deg
        (130.8, REGION_BACKWARD),
        (155.0, REGION_BACKWARD),
        (155.2, None),
    ],
)
def test_regions_and_gaps(theta, region):
    cl = _clusters(flat_particles(np.full(200, 22), 1.0, theta))
    if region is None:
        assert cl["E"].size == 0
    else:
        assert cl["E"].size == 200
        assert set(cl["region"].tolist()) == {region}


@pytest.mark.parametrize("energy", [0.1, 1.0, 4.0])
def test_energy_pulls_have_unit_width(energy):
    n = 20_000
    cl = _clusters(flat_particles(np.full(n, 22), energy, 90.0))
    sigma = energy_resolution(energy, CARD)
    # analytic: sigma/E = a/E (+) b/E^(1/4) (+) c with the card's barrel a, b, c (belle2.toml:
    # fit to the basf2 ECL photon resolution, a = 0.095 %, b = 1.545 %, c = 1.374 %)
    res = CARD.barrel_resolution
    a, b, c = (res.energy_a, res.energy_b, res.energy_c)
    assert (a, b, c) == (0.00095, 0.01545, 0.01374)
    expected = energy * np.sqrt((a / energy) ** 2 + (b / energy**0.25) ** 2 + c**2)
    assert sigma == pytest.approx(expected, rel=1e-12)
    pull = (cl["E"] - energy) / sigma
    assert abs(np.std(pull) - 1.0) < 4 / np.sqrt(2 * n) + 1e-3
    assert abs(np.mean(pull)) < 4 / np.sqrt(n) + 1e-3


def test_photon_efficiency_within_binomial_error():
    n = 20_000
    cl = _clusters(flat_particles(np.full(n, 22), 1.0, 90.0), card=CARD)
    eff = CARD.photon_efficiency
    assert abs(cl["E"].size / n - eff) < 4 * binomial_sigma(eff, n)


def test_energy_threshold():
    cl = _clusters(flat_particles(np.full(1000, 22), 0.015, 90.0))
    assert cl["E"].size == 0  # 15 MeV photons, 20 MeV threshold, sigma ~ 0.4 MeV


def test_muon_leaves_mip_and_is_track_matched():
    n = 5000
    part = flat_particles(np.full(n, 13), 3.0, 90.0)
    cl = _clusters(part, has_track=np.ones(n, dtype=bool))
    assert cl["E"].size == n
    assert np.mean(cl["E"]) == pytest.approx(CARD.mip_energy, abs=0.003)
    assert cl["matched"].all()
    assert np.all(cl["E"] < 0.4)


def test_hadron_shower_fraction():
    n = 20_000
    cl = _clusters(flat_particles(np.full(n, 211), 3.0, 90.0))
    showers = np.mean(cl["E"] > 0.4)
    # deposit uniform in [mip, E_kin]: P(E > 0.4 | shower) = (E_kin - 0.4)/(E_kin - 0.18)
    e_kin = np.hypot(3.0, 0.13957039) - 0.13957039
    expected = CARD.hadron_shower_probability * (e_kin - 0.4) / (e_kin - CARD.mip_energy)
    assert abs(showers - expected) < 4 * binomial_sigma(expected, n) + 0.005


def test_low_pt_charged_curls_before_barrel_but_reaches_endcap():
    barrel = _clusters(flat_particles(np.full(100, 211), 0.2, 90.0))
    endcap = _clusters(flat_particles(np.full(100, 211), 0.6, 20.0))  # pT = 0.205 GeV
    assert barrel["E"].size == 0
    assert endcap["E"].size == 100


def _pi0_photons(e_pi0, n):
    """Symmetric pi0 -> gamma gamma decays perpendicular to the flight direction (theta=90)."""
    m = 0.1349768
    half = np.arcsin(m / e_pi0)  # half opening angle of the symmetric decay
    pdg = np.full((n, 2), 22)
    theta = np.column_stack(
        [np.full(n, 90.0) - np.degrees(half), np.full(n, 90.0) + np.degrees(half)]
    )
    return flat_particles(pdg.ravel(), e_pi0 / 2, theta.ravel()), 2 * half


def test_close_photons_merge_pi0_at_high_momentum():
    n = 1000
    event = np.repeat(np.arange(n), 2)
    for e_pi0, merged in [(8.0, True), (1.0, False)]:
        part, opening = _pi0_photons(e_pi0, n)
        assert (opening < CARD.merge_angle) == merged
        cl = reconstruct_clusters(
            part, event, np.zeros(2 * n, bool), PERFECT, np.random.default_rng(2)
        )
        assert cl["E"].size == (n if merged else 2 * n)
        if merged:  # the merged cluster carries the pi0 energy
            assert np.mean(cl["E"]) == pytest.approx(e_pi0, rel=3e-3)


def test_merge_kernel_matches_reference():
    rng = np.random.default_rng(3)
    counts = rng.integers(1, 12, 300)
    event = np.repeat(np.arange(counts.size), counts)
    n = event.size
    energy = rng.exponential(1.0, n)
    energy[5] = energy[6]  # a tie
    theta = rng.uniform(1.0, 1.3, n)
    phi = rng.uniform(0.0, 0.3, n)
    fast, fast_seed = merge_deposits(event, energy, theta, phi, 0.05)
    ref, ref_seed = merge_deposits_reference(event, energy, theta, phi, 0.05)
    assert fast.tolist() == ref.tolist()
    assert fast_seed.tolist() == ref_seed.tolist()
    assert len(set(fast.tolist())) < n  # some merging happened
    # the seed is the highest-energy deposit of its cluster
    best = np.zeros(fast_seed.size)
    np.maximum.at(best, fast, energy)
    assert np.array_equal(energy[fast_seed], best)


def test_track_cluster_energy_mapping():
    part = flat_particles([11, 22], [2.0, 1.0], [60.0, 100.0])
    cl = reconstruct_clusters(
        part, np.zeros(2, np.int64), np.array([True, False]), PERFECT, np.random.default_rng(4)
    )
    assert cl["matched"].tolist() == [True, False]
    assert cl["particle_energy"][0] == cl["E"][0]
    assert cl["particle_energy"][1] == cl["E"][1]


@pytest.mark.parametrize(
    ("theta", "region"), [(20.0, "forward"), (90.0, "barrel"), (145.0, "backward")]
)
def test_energy_pulls_use_the_region_resolution(theta, region):
    # 4 GeV photons: the card's sigma_E/E is 1.76% (barrel), 1.93% (forward), 2.31% (backward),
    # following basf2's per-region parametrisation (1.77, 1.97, 2.40% at 4 GeV,
    # ECLCovarianceMatrixModule.cc, background < 0.05)
    n, energy = 20_000, 4.0
    cl = _clusters(flat_particles(np.full(n, 22), energy, theta))
    code = {"forward": REGION_FORWARD, "barrel": REGION_BARREL, "backward": REGION_BACKWARD}
    assert set(cl["region"].tolist()) == {code[region]}
    res = getattr(CARD, f"{region}_resolution")
    expected = energy * np.sqrt(
        (res.energy_a / energy) ** 2 + (res.energy_b / energy**0.25) ** 2 + res.energy_c**2
    )
    assert energy_resolution(energy, CARD, code[region]) == pytest.approx(expected, rel=1e-12)
    width = np.std(cl["E"] - energy)
    assert width / expected == pytest.approx(1.0, abs=4 / np.sqrt(2 * n))
