"""Tests of vectorised kinematics and phase-space sampling."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from darkscan.constants import M_K, M_PI, pdg_mass
from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.generate.phasespace import (
    boost,
    boost_to_rest_frame,
    estimate_max_weight,
    invariant_mass,
    rambo,
    rambo_unweighted,
    sample_decay_displacement,
    sample_one_plus_a_cos2,
    two_body_decay,
    two_body_momentum,
    unweight,
)

P_MIN = 1e-3  # minimum chi^2 p-value accepted for distribution tests (fixed seeds)


def _chi2_pvalue(observed, expected):
    chi2 = float(np.sum((observed - expected) ** 2 / expected))
    return stats.chi2.sf(chi2, observed.size - 1)


def test_two_body_momentum_d0_to_k_pi():
    # PDG Listings, D0 -> K- pi+: p = 861 MeV/c (R. L. Workman et al., PTEP 2022 083C01)
    p = two_body_momentum(pdg_mass(421), M_K, M_PI)
    assert p == pytest.approx(0.861, abs=0.001)


def test_two_body_momentum_closed_channel():
    with pytest.raises(PhysicsDomainError, match="above the parent mass"):
        two_body_momentum(0.2, M_PI, M_PI)
    with pytest.raises(PhysicsDomainError, match="m1"):
        two_body_momentum(1.0, -0.1, 0.0)


@settings(max_examples=50, deadline=None)
@given(
    st.floats(0.01, 20.0),
    st.lists(st.floats(-0.99, 0.99), min_size=3, max_size=3).filter(
        lambda b: sum(x * x for x in b) < 0.98
    ),
    st.lists(st.floats(-10.0, 10.0), min_size=3, max_size=3),
)
def test_boost_preserves_mass_and_round_trips(mass, beta, p3):
    p3 = np.array(p3)
    p4 = np.concatenate([[math.sqrt(mass**2 + p3 @ p3)], p3])
    out = boost(p4, beta)
    assert invariant_mass(out) == pytest.approx(mass, rel=1e-6, abs=1e-9 * out[0])
    np.testing.assert_allclose(boost(out, -np.array(beta)), p4, rtol=1e-9, atol=1e-9 * out[0])


def test_boost_batch_and_rest_frame():
    rng = np.random.default_rng(2)
    m = rng.uniform(0.1, 5.0, 1000)
    p3 = rng.normal(size=(1000, 3)) * 4
    p4 = np.column_stack([np.sqrt(m**2 + np.sum(p3**2, axis=1)), p3])
    rest = boost_to_rest_frame(p4, p4)
    np.testing.assert_allclose(rest[:, 0], m, rtol=1e-10)
    assert np.all(np.abs(rest[:, 1:]) <= 1e-10 * p4[:, :1])
    with pytest.raises(PhysicsDomainError, match="beta"):
        boost(p4[0], [0.0, 0.0, 1.0])


def test_two_body_decay_conservation_and_angle():
    rng = np.random.default_rng(3)
    n = 40_000
    parent_rest = np.tile([3.0, 0.0, 0.0, 0.0], (n, 1))
    direction = rng.normal(size=(n, 3))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    parent = boost(parent_rest, 0.8 * direction)
    cos_star = sample_one_plus_a_cos2(rng, n, 1.0)
    d1, d2 = two_body_decay(parent, M_PI, 1.0, rng, cos_theta=cos_star)
    np.testing.assert_allclose(d1 + d2, parent, atol=1e-12 * 10)
    np.testing.assert_allclose(invariant_mass(d1), M_PI, rtol=1e-7)
    np.testing.assert_allclose(invariant_mass(d2), 1.0, rtol=1e-9)
    # angle of daughter 1 in the parent rest frame w.r.t. the flight direction is cos_star
    rest1 = boost_to_rest_frame(d1, parent)
    cos_back = np.sum(rest1[:, 1:] * direction, axis=1) / np.linalg.norm(rest1[:, 1:], axis=1)
    np.testing.assert_allclose(cos_back, cos_star, atol=1e-9)
    np.testing.assert_allclose(
        np.linalg.norm(rest1[:, 1:], axis=1), two_body_momentum(3.0, M_PI, 1.0), rtol=1e-9
    )


@pytest.mark.parametrize(
    ("a", "cos_range"), [(1.0, (-1.0, 1.0)), (-1.0, (-1.0, 1.0)), (0.3, (-0.5, 0.9))]
)
def test_one_plus_a_cos2_distribution(a, cos_range):
    rng = np.random.default_rng(4)
    n = 100_000
    c = sample_one_plus_a_cos2(rng, n, a, cos_range)
    edges = np.linspace(*cos_range, 21)
    observed, _ = np.histogram(c, edges)
    cdf = edges + a * edges**3 / 3.0  # analytic integral of 1 + a c^2
    expected = n * np.diff(cdf) / (cdf[-1] - cdf[0])
    assert _chi2_pvalue(observed, expected) > P_MIN


def test_rambo_two_body_volume_and_conservation():
    rng = np.random.default_rng(5)
    p, w = rambo(rng, 5000, 10.0, [1.0, 2.0])
    # Phi_2 = p* / (4 pi sqrt(s)) (PDG Kinematics review, two-body phase space, integrated)
    phi2 = two_body_momentum(10.0, 1.0, 2.0) / (4.0 * math.pi * 10.0)
    np.testing.assert_allclose(w, phi2, rtol=1e-9)
    np.testing.assert_allclose(p.sum(axis=1), np.tile([10.0, 0, 0, 0], (5000, 1)), atol=1e-8)
    np.testing.assert_allclose(invariant_mass(p), np.tile([1.0, 2.0], (5000, 1)), rtol=1e-7)


def test_rambo_massless_weight_constant():
    # massless n-body volume (pi/2)^(n-1) s^(n-2) / ((n-1)! (n-2)!) (2 pi)^(4-3n)
    # (Kleiss, Stirling, Ellis 1986, sec. 3); n = 3: s / (256 pi^3)
    _, w = rambo(np.random.default_rng(6), 10, 7.0, [0.0, 0.0, 0.0])
    np.testing.assert_allclose(w, 49.0 / (256.0 * math.pi**3), rtol=1e-12)


def _dalitz_limits(m12sq, big_m, m1, m2, m3):
    """m23^2 range at fixed m12^2 (PDG Kinematics review, three-body decays / Dalitz plot)."""
    m12 = np.sqrt(m12sq)
    e2 = (m12sq - m1**2 + m2**2) / (2 * m12)
    e3 = (big_m**2 - m12sq - m3**2) / (2 * m12)
    p2 = np.sqrt(np.clip(e2**2 - m2**2, 0, None))
    p3 = np.sqrt(np.clip(e3**2 - m3**2, 0, None))
    return (e2 + e3) ** 2 - (p2 + p3) ** 2, (e2 + e3) ** 2 - (p2 - p3) ** 2


def test_rambo_three_body_volume_matches_dalitz_area():
    big_m, masses = 5.0, (1.0, 0.5, 1.5)
    _, w = rambo(np.random.default_rng(7), 200_000, big_m, masses)

    def width(x):
        lo, hi = _dalitz_limits(x, big_m, *masses)
        return hi - lo

    area, _ = integrate.quad(
        width, (masses[0] + masses[1]) ** 2, (big_m - masses[2]) ** 2, epsrel=1e-10
    )
    # Phi_3 = (Dalitz area) / (16 M^2 (2 pi)^3), from the PDG Kinematics review
    # d Gamma = |M|^2 dm12^2 dm23^2 / (32 (2 pi)^3 M^3) and d Gamma = |M|^2 dPhi_3 / (2 M)
    phi3 = area / (16 * big_m**2 * (2 * math.pi) ** 3)
    err = w.std() / math.sqrt(w.size)
    assert abs(w.mean() - phi3) < 4 * err
    assert err / phi3 < 0.003


def test_unweighted_three_body_dalitz_plot_is_flat():
    big_m, masses = 3.0, (0.3, 0.5, 0.2)
    p, info = rambo_unweighted(np.random.default_rng(8), 100_000, big_m, masses, safety=1.5)
    assert info.n_overweight == 0
    assert 0.0 < info.efficiency <= 1.0
    assert info.efficiency == pytest.approx(info.expected_efficiency, rel=0.02)
    np.testing.assert_allclose(p.sum(axis=1)[:, 0], big_m, rtol=1e-10)
    m12sq = invariant_mass(p[:, 0] + p[:, 1]) ** 2
    m23sq = invariant_mass(p[:, 1] + p[:, 2]) ** 2
    # cells entirely inside the kinematic boundary must be equally populated
    ex = np.linspace((masses[0] + masses[1]) ** 2, (big_m - masses[2]) ** 2, 13)
    ey = np.linspace((masses[1] + masses[2]) ** 2, (big_m - masses[0]) ** 2, 13)
    counts, _, _ = np.histogram2d(m12sq, m23sq, [ex, ey])
    xs = np.linspace(0, 1, 9)
    inside = np.ones_like(counts, dtype=bool)
    for i in range(12):
        xx = ex[i] + (ex[i + 1] - ex[i]) * xs
        lo, hi = _dalitz_limits(xx, big_m, *masses)
        for j in range(12):
            inside[i, j] = np.all(lo <= ey[j]) and np.all(hi >= ey[j + 1])
    obs = counts[inside]
    assert obs.size > 40
    assert _chi2_pvalue(obs, np.full(obs.size, obs.mean())) > P_MIN


def test_unweight_reports_efficiency_and_overweights():
    rng = np.random.default_rng(9)
    w = rng.exponential(1.0, 200_000)
    w_max = estimate_max_weight(w[:1000], safety=1.2)
    res = unweight(w, rng, w_max)
    n_over = int(np.sum(w > w_max))
    assert res.n_overweight == n_over
    assert res.expected_efficiency == pytest.approx(w.mean() / w_max, rel=1e-12)
    # binomial: accepted fraction = sum min(1, w/w_max) / n within 5 sigma
    p_acc = np.minimum(w / w_max, 1.0).mean()
    assert abs(res.efficiency - p_acc) < 5 * math.sqrt(p_acc / w.size)
    # overweight fraction exactly sum(max(w - w_max, 0)) / sum(w)
    assert res.overweight_fraction == pytest.approx(
        np.clip(w - w_max, 0, None).sum() / w.sum(), rel=1e-12
    )
    assert np.all(res.residual_weight >= 1.0)
    with pytest.raises(ConfigError, match="safety"):
        estimate_max_weight([1.0], safety=0.5)


def test_decay_displacement_mean_is_beta_gamma_ctau():
    rng = np.random.default_rng(10)
    n = 200_000
    m, p, ctau = 0.5, 2.0, 3.0
    p4 = np.tile([math.hypot(m, p), 0.0, p, 0.0], (n, 1))
    disp, time = sample_decay_displacement(rng, p4, ctau)
    dist = np.linalg.norm(disp, axis=1)
    # exponential with mean beta*gamma*c*tau = p/m * c tau = 12 cm; rms/sqrt(n) = 0.027 cm
    assert dist.mean() == pytest.approx(p / m * ctau, abs=5 * 12.0 / math.sqrt(n))
    np.testing.assert_allclose(disp[:, 0], 0.0)
    # t = d / (beta c)
    from darkscan.constants import C_CM_PER_NS

    np.testing.assert_allclose(time, dist / (p / math.hypot(m, p) * C_CM_PER_NS), rtol=1e-12)


def test_rambo_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(PhysicsDomainError, match="threshold"):
        rambo(rng, 10, 1.0, [0.5, 0.6])
    with pytest.raises(ConfigError, match="n_events"):
        rambo(rng, 0, 1.0, [0.1, 0.1])
