"""Tests of the dark Higgsstrahlung generator e+e- -> A' h', A' -> mu mu, h' invisible."""

from __future__ import annotations

import itertools
import math

import awkward as ak
import numpy as np
import pytest
from _isr_helpers import captured_columns, eikonal_pit_p_value
from scipy import integrate, stats

import darkscan.generate.processes.aprime_dark_higgs as aprime_dark_higgs_module
from darkscan.beams import belle2
from darkscan.constants import M_MU
from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.generate.isr import convolve_isr
from darkscan.generate.phasespace import boost_to_rest_frame, invariant_mass
from darkscan.generate.processes.aprime_dark_higgs import (
    PDG_DARK_HIGGS,
    d_sigma_aprime_dark_higgs,
    generate_aprime_dark_higgs,
    sigma_hat_aprime_dark_higgs,
)
from darkscan.models.dark_higgs import DarkHiggs
from darkscan.models.dark_photon import DarkPhoton

P_MIN = 1e-3
COLLIDER = belle2()
METRIC = np.array([1.0, -1.0, -1.0, -1.0])


def _p4(particles, i):
    return np.column_stack(
        [ak.to_numpy(particles[f][:, i]).astype(np.float64) for f in ("E", "px", "py", "pz")]
    )


def _chi2_p(observed, expected):
    chi2 = float(np.sum((observed - expected) ** 2 / expected))
    return stats.chi2.sf(chi2, observed.size - 1)


def test_differential_cross_section_from_tensor_contraction():
    """Shape of d sigma/d cos from L_{mu nu}(-g + k k/m^2)^{mu nu}; integral = model total."""
    sqrt_s, m_a, m_h = 10.58, 2.0, 1.2
    s = sqrt_s**2
    e = sqrt_s / 2
    p1, p2 = np.array([e, 0, 0, e]), np.array([e, 0, 0, -e])
    lam = (1 - (m_a + m_h) ** 2 / s) * (1 - (m_a - m_h) ** 2 / s)
    p = math.sqrt(lam * s) / 2
    g = np.diag(METRIC)
    p1p2 = float(p1 @ (METRIC * p2))
    big_l = 4 * (np.outer(p1, p2) + np.outer(p2, p1) - g * p1p2)  # upper indices

    def contraction(c):
        k = np.array([math.sqrt(p * p + m_a * m_a), p * math.sqrt(1 - c * c), 0, p * c])
        pol = -g + np.outer(k, k) / m_a**2  # upper indices
        return float(np.einsum("ab,ac,bd,cd->", big_l, g, g, pol))

    cosines = np.array([-0.9, -0.4, 0.0, 0.3, 0.8])
    shape = np.array([contraction(c) for c in cosines])
    formula = d_sigma_aprime_dark_higgs(s, cosines, m_a, m_h, 1e-3, 0.2)
    np.testing.assert_allclose(formula / formula[2], shape / shape[2], rtol=1e-12)
    model = DarkHiggs(m_dark_higgs=m_h, m_aprime=m_a, epsilon=1e-3, alpha_dark=0.2)
    total, _ = integrate.quad(
        lambda c: float(d_sigma_aprime_dark_higgs(s, c, m_a, m_h, 1e-3, 0.2)), -1, 1
    )
    assert total == pytest.approx(float(model.cross_section(sqrt_s)), rel=1e-10)
    assert float(sigma_hat_aprime_dark_higgs(s, m_a, m_h, 1e-3, 0.2)) == pytest.approx(
        float(model.cross_section(sqrt_s)), rel=1e-12
    )


@pytest.fixture(scope="module")
def sample():
    model = DarkHiggs(m_dark_higgs=0.8, m_aprime=2.5, epsilon=1e-3, alpha_dark=0.1)
    return model, generate_aprime_dark_higgs(model, COLLIDER, 60_000, np.random.default_rng(41))


def test_total_cross_section(sample):
    model, s = sample
    br = float(DarkPhoton(m_aprime=2.5, epsilon=1e-3).branching_ratios()["mu"])
    assert s.model_parameters["br_aprime_mumu"] == pytest.approx(br, rel=1e-6)
    assert s.cross_section_fb == pytest.approx(
        float(model.cross_section(COLLIDER.sqrt_s)) * br, rel=1e-6
    )
    assert float(ak.sum(s.events.weight)) == pytest.approx(s.cross_section_fb, rel=1e-10)


def test_aprime_angle_and_decay_angle(sample):
    _, s = sample
    p = s.events.particles
    aprime = COLLIDER.to_cms(_p4(p, 0))
    cos = aprime[:, 3] / np.linalg.norm(aprime[:, 1:], axis=1)
    edges = np.linspace(-1, 1, 21)
    rs2 = COLLIDER.s
    per_bin = np.array(
        [
            integrate.quad(
                lambda c: float(d_sigma_aprime_dark_higgs(rs2, c, 2.5, 0.8, 1, 1)), a, b
            )[0]
            for a, b in itertools.pairwise(edges)
        ]
    )
    observed, _ = np.histogram(cos, edges)
    assert _chi2_p(observed, len(cos) * per_bin / per_bin.sum()) > P_MIN
    # mu- angle in the A' rest frame w.r.t. the A' direction (helicity frame):
    # f_L (1 - b^2 c^2) + (1 - f_L)(1 + b^2 c^2/(2 - b^2)), f_L = (lam + 4 r)/(lam + 12 r)
    r = 2.5**2 / rs2
    lam = (1 - (2.5 + 0.8) ** 2 / rs2) * (1 - (2.5 - 0.8) ** 2 / rs2)
    f_long = (lam + 4 * r) / (lam + 12 * r)
    mu = boost_to_rest_frame(COLLIDER.to_cms(_p4(p, 2)), aprime)
    axis = aprime[:, 1:] / np.linalg.norm(aprime[:, 1:], axis=1, keepdims=True)
    cos_star = np.sum(mu[:, 1:] * axis, axis=1) / np.linalg.norm(mu[:, 1:], axis=1)
    b2 = 1 - 4 * M_MU**2 / 2.5**2

    def cdf(c, a):
        return (c + a * c**3 / 3) / (2 + 2 * a / 3)

    edges = np.linspace(-1, 1, 11)
    expected = f_long * np.diff(cdf(edges, -b2)) + (1 - f_long) * np.diff(cdf(edges, b2 / (2 - b2)))
    observed, _ = np.histogram(cos_star, edges)
    assert _chi2_p(observed, len(cos_star) * expected) > P_MIN
    # the correlation matters: a flat decay distribution is rejected
    assert _chi2_p(observed, np.full(10, len(cos_star) / 10)) < 1e-6


def test_conservation_and_record(sample):
    _, s = sample
    p = s.events.particles
    assert ak.all(ak.num(p) == 4)
    assert ak.to_list(p.pdg[0]) == [55, PDG_DARK_HIGGS, 13, -13]
    total = _p4(p, 1) + _p4(p, 2) + _p4(p, 3)
    np.testing.assert_allclose(total, np.tile(COLLIDER.p_total, (len(p), 1)), atol=3e-5)
    np.testing.assert_allclose(invariant_mass(_p4(p, 2) + _p4(p, 3)), 2.5, rtol=1e-4)
    np.testing.assert_allclose(invariant_mass(_p4(p, 1)), 0.8, rtol=1e-3)
    inv = ak.to_numpy(p.is_invisible)
    np.testing.assert_array_equal(inv, np.tile([False, True, False, False], (len(p), 1)))
    assert ak.all(p.mother[:, 2:] == 0) and ak.all(~p.is_final[:, 0])


def test_isr_cross_section_and_conservation():
    model = DarkHiggs(m_dark_higgs=0.3, m_aprime=1.0, epsilon=1e-3, alpha_dark=0.1)
    s = generate_aprime_dark_higgs(model, COLLIDER, 20_000, np.random.default_rng(42), isr=True)
    p = s.events.particles
    assert ak.all(ak.num(p) == 6)
    total = sum(_p4(p, i) for i in (1, 2, 3, 4, 5))
    np.testing.assert_allclose(total, np.tile(COLLIDER.p_total, (len(total), 1)), atol=5e-5)
    s_min = 1.3**2

    def sigma_hat(v):
        return sigma_hat_aprime_dark_higgs(v, 1.0, 0.3, 1e-3, 0.1)

    br = s.model_parameters["br_aprime_mumu"]
    ref = convolve_isr(sigma_hat, COLLIDER.s, s_min * (1 + 1e-12)) * br
    assert s.cross_section_fb == pytest.approx(ref, rel=1e-10)
    # s_hat spectrum: events above thresholds vs the ISR convolution
    s_hat = invariant_mass(_p4(p, 0) + _p4(p, 1)) ** 2
    cuts = np.array([s_min * 1.0001, 50.0, 100.0, 110.0])
    above = np.array([convolve_isr(sigma_hat, COLLIDER.s, c, n_nodes=32) for c in cuts]) * br
    expected = len(s_hat) * -np.diff(np.append(above, 0.0)) / above[0]
    observed = np.histogram(s_hat, np.append(cuts, np.inf))[0]
    assert _chi2_p(observed, expected) > P_MIN


def test_lab_cut_acceptance(sample):
    model, full = sample
    window = (math.radians(17.0), math.radians(150.0))
    s = generate_aprime_dark_higgs(
        model, COLLIDER, 5000, np.random.default_rng(43), cuts={"theta_mu_lab": window}
    )
    ok = np.ones(full.n_events, dtype=bool)
    for i in (2, 3):
        for smp, mask in ((s, None), (full, ok)):
            q = _p4(smp.events.particles, i)
            theta = np.arccos(q[:, 3] / np.linalg.norm(q[:, 1:], axis=1))
            inside = (theta > window[0] - 1e-5) & (theta < window[1] + 1e-5)
            if mask is None:
                assert inside.all()
            else:
                mask &= inside
    frac = ok.mean()
    err = math.hypot(
        full.cross_section_fb * math.sqrt(frac * (1 - frac) / full.n_events),
        s.cross_section_uncertainty_fb,
    )
    assert abs(s.cross_section_fb - full.cross_section_fb * frac) < 4 * err
    assert s.cross_section_uncertainty_fb > 0


def test_weighted_matches_unweighted():
    model = DarkHiggs(m_dark_higgs=0.5, m_aprime=3.0, epsilon=1e-3, alpha_dark=0.1)
    w_s = generate_aprime_dark_higgs(
        model, COLLIDER, 30_000, np.random.default_rng(44), weighted=True
    )
    w = ak.to_numpy(w_s.events.weight)
    assert w_s.weighted and w.std() > 0.05 * w.mean()
    assert w.sum() == pytest.approx(w_s.cross_section_fb, rel=1e-10)
    aprime = COLLIDER.to_cms(_p4(w_s.events.particles, 0))
    cos = aprime[:, 3] / np.linalg.norm(aprime[:, 1:], axis=1)
    edges = np.linspace(-1, 1, 6)
    sums, _ = np.histogram(cos, edges, weights=w)
    sums2, _ = np.histogram(cos, edges, weights=w * w)
    expected = np.array(
        [
            integrate.quad(
                lambda c: float(d_sigma_aprime_dark_higgs(COLLIDER.s, c, 3.0, 0.5, 1, 1)), a, b
            )[0]
            for a, b in itertools.pairwise(edges)
        ]
    )
    expected *= w_s.cross_section_fb / expected.sum()
    chi2 = float(np.sum((sums - expected) ** 2 / sums2))
    assert stats.chi2.sf(chi2, len(sums) - 1) > P_MIN


def test_same_seed_same_events():
    model = DarkHiggs(m_dark_higgs=0.5, m_aprime=1.5, epsilon=1e-3, alpha_dark=0.1)
    a = generate_aprime_dark_higgs(model, COLLIDER, 500, np.random.default_rng(7), isr=True)
    b = generate_aprime_dark_higgs(model, COLLIDER, 500, np.random.default_rng(7), isr=True)
    c = generate_aprime_dark_higgs(model, COLLIDER, 500, np.random.default_rng(8), isr=True)
    assert ak.array_equal(a.events, b.events)
    assert a.metadata() == b.metadata()
    assert not ak.array_equal(a.events, c.events)


def test_bad_input():
    model = DarkHiggs(m_dark_higgs=0.5, m_aprime=1.5, epsilon=1e-3, alpha_dark=0.1)
    rng = np.random.default_rng(0)
    for n in (0, -3, 1.5):
        with pytest.raises(ConfigError, match="n_events"):
            generate_aprime_dark_higgs(model, COLLIDER, n, rng)
    with pytest.raises(PhysicsDomainError, match="m_dark_higgs") as err:
        generate_aprime_dark_higgs(DarkHiggs(2.0, 1.5, 1e-3, 0.1), COLLIDER, 10, rng)
    assert "\n" not in str(err.value)
    with pytest.raises(PhysicsDomainError, match="m_aprime"):
        generate_aprime_dark_higgs(DarkHiggs(0.05, 0.2, 1e-3, 0.1), COLLIDER, 10, rng)
    with pytest.raises(PhysicsDomainError, match="m_aprime \\+ m_dark_higgs"):
        generate_aprime_dark_higgs(DarkHiggs(5.0, 6.0, 1e-3, 0.1), COLLIDER, 10, rng)
    with pytest.raises(PhysicsDomainError, match="epsilon"):
        generate_aprime_dark_higgs(DarkHiggs(0.5, 1.5, 0.0, 0.1), COLLIDER, 10, rng)
    with pytest.raises(PhysicsDomainError, match="scalar"):
        generate_aprime_dark_higgs(
            DarkHiggs(0.5, np.array([1.5, 2.0]), 1e-3, 0.1), COLLIDER, 10, rng
        )
    with pytest.raises(ConfigError, match="theta_mu_lab"):
        generate_aprime_dark_higgs(model, COLLIDER, 10, rng, cuts={"pt": 1})


# ------------------------------------------------------- ISR photons with eikonal angles
def test_isr_angles_conservation_and_photon_angles():
    # per event in the CM frame: all final-state particles = (sqrt(s), 0, 0, 0) to 1e-9 GeV
    model = DarkHiggs(m_dark_higgs=0.3, m_aprime=1.0, epsilon=1e-3, alpha_dark=0.1)
    sample, col = captured_columns(
        aprime_dark_higgs_module,
        "events_from_arrays",
        lambda: generate_aprime_dark_higgs(
            model, COLLIDER, 30_000, np.random.default_rng(44), isr=True
        ),
    )
    final = np.broadcast_to(col["is_final"], col["p4"].shape[:2])
    total = COLLIDER.to_cms(np.sum(col["p4"] * final[..., None], axis=1))
    np.testing.assert_allclose(total[:, 0], COLLIDER.sqrt_s, rtol=0, atol=1e-9)
    np.testing.assert_allclose(total[:, 1:], 0.0, rtol=0, atol=1e-9)
    assert np.all(col["pdg"][..., 4:] == 22)
    p_value, _ = eikonal_pit_p_value(col["p4"][:, 4:6], COLLIDER)
    assert p_value > P_MIN
    assert sample.generator_settings["isr_photons"] == "ISR photons with eikonal angles"
