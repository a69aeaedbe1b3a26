"""Tests of the e+e- -> gamma A' generator."""

from __future__ import annotations

import itertools
import math

import awkward as ak
import numpy as np
import pytest
from _isr_helpers import captured_columns, eikonal_pit_p_value
from scipy import stats

import darkscan.generate.processes.gamma_aprime as gamma_aprime_module
from darkscan.beams import belle2
from darkscan.constants import C_CM_PER_NS, GEV2_TO_FB, M_PI
from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.generate.isr import convolve_isr
from darkscan.generate.phasespace import boost_to_rest_frame, invariant_mass
from darkscan.generate.processes.gamma_aprime import (
    d_sigma_gamma_aprime,
    generate_gamma_aprime,
    sigma_hat_gamma_aprime,
)
from darkscan.models.dark_photon import DarkPhoton

P_MIN = 1e-3
COLLIDER = belle2()


def _p4(particles, i):
    return np.column_stack(
        [ak.to_numpy(particles[f][:, i]).astype(np.float64) for f in ("E", "px", "py", "pz")]
    )


def _chi2_p(observed, expected):
    chi2 = float(np.sum((observed - expected) ** 2 / expected))
    return stats.chi2.sf(chi2, observed.size - 1)


# ---------------------------------------------------------------- |M|^2 from Dirac traces
_I2, _Z2 = np.eye(2), np.zeros((2, 2))
_SIGMA = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
_GAMMA = np.array(
    [np.block([[_I2, _Z2], [_Z2, -_I2]])] + [np.block([[_Z2, s], [-s, _Z2]]) for s in _SIGMA],
    dtype=complex,
)
_METRIC = np.array([1.0, -1.0, -1.0, -1.0])


def _slash(p):
    return np.einsum("m,mab->ab", p * _METRIC, _GAMMA)


def _spin_summed_m2(p1, p2, k1, k2, m_e=0.0):
    """sum_spins,pols |M|^2 / (e^4 eps^2) for e-(p1) e+(p2) -> gamma(k1) A'(k2), from traces.

    M^{mu nu} = vbar(p2) [g^nu S(p1 - k1) g^mu + g^mu S(p1 - k2) g^nu] u(p1), photon and A'
    polarisation sums -g (the k k / m^2 term vanishes by current conservation).
    """
    eye = np.eye(4)

    def prop(q):
        return (_slash(q) + m_e * eye) / (q @ (_METRIC * q) - m_e**2)

    s1, s2 = prop(p1 - k1), prop(p1 - k2)
    big = np.einsum("nab,bc,mcd->mnad", _GAMMA, s1, _GAMMA) + np.einsum(
        "mab,bc,ncd->mnad", _GAMMA, s2, _GAMMA
    )
    bar = np.einsum("ab,mncb,cd->mnad", _GAMMA[0], big.conj(), _GAMMA[0])  # g0 M^dagger g0
    tr = np.einsum("ab,mnbc,cd,mnda->mn", _slash(p2) - m_e * eye, big, _slash(p1) + m_e * eye, bar)
    return float(np.real(np.sum(tr * np.outer(_METRIC, _METRIC))))


def test_differential_cross_section_from_traces():
    sqrt_s, m, eps = 10.58, 3.0, 1e-3
    s = sqrt_s**2
    e = sqrt_s / 2
    p1, p2 = np.array([e, 0, 0, e]), np.array([e, 0, 0, -e])
    ek = (s - m * m) / (2 * sqrt_s)
    model = DarkPhoton(m_aprime=m, epsilon=eps)
    for c in (-0.9, -0.3, 0.0, 0.5, 0.94):
        k1 = ek * np.array([1.0, math.sqrt(1 - c * c), 0.0, c])
        k2 = p1 + p2 - k1
        e4 = (4 * math.pi / 137.035999084) ** 2
        m2 = 0.25 * _spin_summed_m2(p1, p2, k1, k2) * e4 * eps**2
        # d sigma / d cos = |M|^2 p_f / (32 pi s p_i), p_f/p_i = 1 - m^2/s
        ref = m2 * (1 - m * m / s) / (32 * math.pi * s) * GEV2_TO_FB
        assert d_sigma_gamma_aprime(s, c, m, eps) == pytest.approx(ref, rel=1e-10)
        assert float(model.differential_cross_section_gamma_aprime(sqrt_s, c)) == pytest.approx(
            ref, rel=1e-10
        )
    # integrated formula equals the model's
    assert float(sigma_hat_gamma_aprime(s, m, eps, -0.7, 0.9)) == pytest.approx(
        float(model.cross_section_gamma_aprime(sqrt_s, -0.7, 0.9)), rel=1e-12
    )


# ---------------------------------------------------------------- main sample (ISR off)
@pytest.fixture(scope="module")
def sample_05():
    model = DarkPhoton(m_aprime=0.5, epsilon=1e-3)
    return model, generate_gamma_aprime(model, COLLIDER, 60_000, np.random.default_rng(31))


def test_conservation_and_masses(sample_05):
    _, s = sample_05
    p = s.events.particles
    assert ak.all(ak.num(p) == 4)
    final = _p4(p, 0) + _p4(p, 2) + _p4(p, 3)
    np.testing.assert_allclose(final, np.tile(COLLIDER.p_total, (len(p), 1)), atol=2e-5)
    np.testing.assert_allclose(invariant_mass(_p4(p, 2) + _p4(p, 3)), 0.5, rtol=1e-3)
    np.testing.assert_allclose(invariant_mass(_p4(p, 0)), 0.0, atol=3e-3)
    assert ak.all(p.mother[:, 2:] == 1) and ak.all(p.mother[:, :2] == -1)


def test_photon_angle_histogram_matches_model(sample_05):
    model, s = sample_05
    photon = COLLIDER.to_cms(_p4(s.events.particles, 0))
    cos = photon[:, 3] / photon[:, 0]
    edges = np.linspace(-0.95, 0.95, 20)
    observed, _ = np.histogram(cos, edges)
    per_bin = np.array(
        [
            float(model.cross_section_gamma_aprime(COLLIDER.sqrt_s, a, b))
            for a, b in itertools.pairwise(edges)
        ]
    )
    assert per_bin.sum() == pytest.approx(s.cross_section_fb, rel=1e-10)
    assert _chi2_p(observed, len(cos) * per_bin / s.cross_section_fb) > P_MIN


def test_generator_total_matches_model(sample_05):
    """Accept-reject efficiency x envelope is an independent MC estimate of sigma."""
    model, s = sample_05
    eff = s.generator_settings["accept_reject_efficiency"]
    envelope = s.generator_settings["max_weight"]
    n_trials = s.n_events / eff
    estimate = eff * envelope
    err = math.sqrt(eff * (1 - eff) / n_trials) * envelope
    sigma_model = float(model.cross_section_gamma_aprime(COLLIDER.sqrt_s, -0.95, 0.95))
    assert abs(estimate - sigma_model) < 4 * err
    assert err / sigma_model < 0.01
    assert s.luminosity == pytest.approx(s.n_events / sigma_model, rel=1e-12)


def test_branching_ratios_and_decay_angles(sample_05):
    model, s = sample_05
    p = s.events.particles
    pdg = ak.to_numpy(p.pdg[:, 2])
    brs = model.branching_ratios()
    codes = {"e": 11, "mu": 13, "hadrons": 211}
    observed = np.array([np.sum(pdg == codes[k]) for k in codes])
    assert observed.sum() == len(pdg)
    expected = len(pdg) * np.array([float(brs[k]) for k in codes])
    assert _chi2_p(observed, expected) > P_MIN
    # angle of the first daughter in the A' rest frame w.r.t. the A' direction in the CM
    aprime = COLLIDER.to_cms(_p4(p, 1))
    daughter = boost_to_rest_frame(COLLIDER.to_cms(_p4(p, 2)), aprime)
    axis = aprime[:, 1:] / np.linalg.norm(aprime[:, 1:], axis=1, keepdims=True)
    cos = np.sum(daughter[:, 1:] * axis, axis=1) / np.linalg.norm(daughter[:, 1:], axis=1)
    edges = np.linspace(-1, 1, 11)
    for code, a in ((11, 1.0), (211, -1.0)):  # e: 1 + cos^2 (beta_e = 1); pi: sin^2
        sel = pdg == code
        obs, _ = np.histogram(cos[sel], edges)
        cdf = edges + a * edges**3 / 3
        assert _chi2_p(obs, sel.sum() * np.diff(cdf) / (cdf[-1] - cdf[0])) > P_MIN
    pions = pdg == 211
    pi_mass = invariant_mass(_p4(p[pions], 2))
    np.testing.assert_allclose(pi_mass, M_PI, rtol=0.05)


def test_invisible_chi_channel_flags():
    model = DarkPhoton(m_aprime=3.0, epsilon=1e-4, m_chi=0.1)
    s = generate_gamma_aprime(model, COLLIDER, 3000, np.random.default_rng(32))
    p = s.events.particles
    chi = ak.to_numpy(p.pdg[:, 2]) == 52
    assert chi.mean() == pytest.approx(float(model.branching_ratios()["chi"]), abs=0.01)
    inv = ak.to_numpy(p.is_invisible)
    np.testing.assert_array_equal(inv[chi], np.tile([False, True, True, True], (chi.sum(), 1)))
    assert not inv[~chi].any()


def test_four_pion_channel_above_one_gev():
    model = DarkPhoton(m_aprime=2.0, epsilon=1e-3)
    s = generate_gamma_aprime(model, COLLIDER, 4000, np.random.default_rng(33))
    p = s.events.particles
    four = ak.to_numpy(ak.num(p)) == 6
    assert four.mean() == pytest.approx(float(model.branching_ratios()["hadrons"]), abs=0.03)
    q = p[four]
    assert ak.to_list(q.pdg[0]) == [22, 55, 211, -211, 211, -211]
    pions = np.sum([_p4(q, i) for i in range(2, 6)], axis=0)
    np.testing.assert_allclose(invariant_mass(pions), 2.0, rtol=1e-3)
    np.testing.assert_allclose(pions + _p4(q, 0), np.tile(COLLIDER.p_total, (len(q), 1)), atol=3e-5)
    assert s.generator_settings["decays"]["hadrons"]["rambo_n_overweight"] == 0


def test_displaced_vertex_mean_matches_model():
    model = DarkPhoton(m_aprime=0.05, epsilon=3e-6)
    s = generate_gamma_aprime(model, COLLIDER, 20_000, np.random.default_rng(34))
    p = s.events.particles
    aprime = _p4(p, 1)
    mean_length = model.decay_length(np.linalg.norm(aprime[:, 1:], axis=1))
    vertex = np.column_stack([ak.to_numpy(p[f][:, 2]) for f in ("vx", "vy", "vz")])
    distance = np.linalg.norm(vertex, axis=1)
    err = math.sqrt(np.sum(mean_length**2)) / len(distance)
    assert abs(distance.mean() - mean_length.mean()) < 5 * err
    assert mean_length.mean() > 1.0  # cm: genuinely displaced
    np.testing.assert_array_equal(ak.to_numpy(p.vx[:, 2]), ak.to_numpy(p.vx[:, 3]))
    # the decay time is distance / (beta c)
    beta = np.linalg.norm(aprime[:, 1:], axis=1) / aprime[:, 0]
    t = ak.to_numpy(p.t[:, 2]).astype(float)
    np.testing.assert_allclose(t * beta * C_CM_PER_NS, distance, rtol=1e-5, atol=1e-6)


def test_isr_spectrum_and_conservation():
    m = 1.0
    model = DarkPhoton(m_aprime=m, epsilon=1e-3)
    n = 40_000
    s = generate_gamma_aprime(model, COLLIDER, n, np.random.default_rng(35), isr=True)
    p = s.events.particles
    assert s.generator_settings["n_overweight"] == 0
    fin = p[p.is_final]  # photon, A' daughters and the two ISR photons
    assert ak.all(ak.num(fin) == ak.num(p) - 1)
    final = np.column_stack(
        [
            ak.to_numpy(ak.sum(ak.values_astype(fin[f], np.float64), axis=1))
            for f in ("E", "px", "py", "pz")
        ]
    )
    np.testing.assert_allclose(final, np.tile(COLLIDER.p_total, (n, 1)), atol=3e-5)
    sqrt_s = COLLIDER.sqrt_s
    s_min = (0.05 + math.sqrt(0.05**2 + m * m)) ** 2

    def sigma_hat(v):
        return sigma_hat_gamma_aprime(v, m, 1e-3, -0.95, 0.95)

    assert s.cross_section_fb == pytest.approx(
        convolve_isr(sigma_hat, sqrt_s**2, s_min, s_hat_pole=m * m), rel=1e-12
    )
    s_hat = invariant_mass(_p4(p, 0) + _p4(p, 1)) ** 2
    thresholds = np.array([s_min, 1.3, 3.0, 10.0, 50.0, 100.0, 110.0, 111.5])
    above = np.array([convolve_isr(sigma_hat, sqrt_s**2, t, s_hat_pole=m * m) for t in thresholds])
    expected = n * -np.diff(np.append(above, 0.0)) / above[0]
    observed = np.histogram(s_hat, np.append(thresholds, np.inf))[0]
    assert _chi2_p(observed, expected) > P_MIN


def test_same_seed_same_events():
    model = DarkPhoton(m_aprime=2.0, epsilon=1e-3)
    a = generate_gamma_aprime(model, COLLIDER, 800, np.random.default_rng(9), isr=True)
    b = generate_gamma_aprime(model, COLLIDER, 800, np.random.default_rng(9), isr=True)
    c = generate_gamma_aprime(model, COLLIDER, 800, np.random.default_rng(10), isr=True)
    assert ak.array_equal(a.events, b.events)
    assert a.metadata() == b.metadata()
    assert not ak.array_equal(a.events, c.events)


def test_bad_input():
    model = DarkPhoton(m_aprime=0.5, epsilon=1e-3)
    rng = np.random.default_rng(0)
    for n in (0, -1, 2.5):
        with pytest.raises(ConfigError, match="n_events"):
            generate_gamma_aprime(model, COLLIDER, n, rng)
    with pytest.raises(PhysicsDomainError, match="m_aprime = 11") as err:
        generate_gamma_aprime(DarkPhoton(m_aprime=11.0, epsilon=1e-3), COLLIDER, 10, rng)
    assert "\n" not in str(err.value)
    with pytest.raises(PhysicsDomainError, match="e_gamma_min"):
        generate_gamma_aprime(model, COLLIDER, 10, rng, e_gamma_min=6.0)
    with pytest.raises(PhysicsDomainError, match="scalar"):
        generate_gamma_aprime(
            DarkPhoton(m_aprime=np.array([0.2, 0.3]), epsilon=1e-3), COLLIDER, 10, rng
        )


def test_weighted_isr_sample_reproduces_convolution():
    m = 2.0
    model = DarkPhoton(m_aprime=m, epsilon=1e-3)
    s = generate_gamma_aprime(
        model, COLLIDER, 40_000, np.random.default_rng(36), isr=True, weighted=True
    )
    p = s.events.particles
    w = ak.to_numpy(s.events.weight)
    assert s.weighted and w.sum() == pytest.approx(s.cross_section_fb, rel=1e-12)
    s_hat = invariant_mass(_p4(p, 0) + _p4(p, 1)) ** 2
    s_min = (0.05 + math.sqrt(0.05**2 + m * m)) ** 2

    def sigma_hat(v):
        return sigma_hat_gamma_aprime(v, m, 1e-3, -0.95, 0.95)

    thresholds = np.array([s_min, 10.0, 60.0, 105.0, 111.0])
    above = np.array(
        [convolve_isr(sigma_hat, COLLIDER.sqrt_s**2, t, s_hat_pole=m * m) for t in thresholds]
    )
    edges = np.append(thresholds, np.inf)
    sums, _ = np.histogram(s_hat, edges, weights=w)
    sums2, _ = np.histogram(s_hat, edges, weights=w * w)
    expected = -np.diff(np.append(above, 0.0))
    chi2 = float(np.sum((sums - expected) ** 2 / sums2))
    assert stats.chi2.sf(chi2, len(sums) - 1) > P_MIN


def test_beam_energy_spread_smears_sqrt_s():
    model = DarkPhoton(m_aprime=0.5, epsilon=1e-3)
    s = generate_gamma_aprime(
        model, COLLIDER, 20_000, np.random.default_rng(37), energy_spread=True
    )
    p = s.events.particles
    total = _p4(p, 0) + _p4(p, 2) + _p4(p, 3)
    root = invariant_mass(total)
    spread = COLLIDER.sqrt_s_spread  # 5.5 MeV for the SuperKEKB preset
    assert root.mean() == pytest.approx(COLLIDER.sqrt_s, abs=5 * spread / math.sqrt(len(root)))
    # float32 storage adds ~1e-5 GeV of noise, negligible against the 5 MeV spread
    assert root.std() == pytest.approx(spread, rel=0.03)


# ------------------------------------------------------- ISR photons with eikonal angles
def test_isr_angles_conservation_and_photon_angles():
    # per event in the CM frame: photon + A' + two ISR photons = (sqrt(s), 0, 0, 0) to 1e-9 GeV
    model = DarkPhoton(m_aprime=1.0, epsilon=1e-3)
    sample, col = captured_columns(
        gamma_aprime_module,
        "events_from_flat",
        lambda: generate_gamma_aprime(model, COLLIDER, 30_000, np.random.default_rng(37), isr=True),
    )
    counts = col["counts"]
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    idx = np.stack([start, start + 1, start + counts - 2, start + counts - 1], axis=1)
    assert np.all(col["pdg"][idx[:, 2:]] == 22)
    total = COLLIDER.to_cms(col["p4"][idx].sum(axis=1))
    np.testing.assert_allclose(total[:, 0], COLLIDER.sqrt_s, rtol=0, atol=1e-9)
    np.testing.assert_allclose(total[:, 1:], 0.0, rtol=0, atol=1e-9)
    p_value, _ = eikonal_pit_p_value(col["p4"][idx[:, 2:]], COLLIDER)
    assert p_value > P_MIN
    assert sample.generator_settings["isr_photons"] == "ISR photons with eikonal angles"
