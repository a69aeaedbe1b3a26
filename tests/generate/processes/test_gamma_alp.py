"""Tests of the e+e- -> gamma a, a -> gamma gamma generator."""

from __future__ import annotations

import itertools
import math

import awkward as ak
import numpy as np
import pytest
from _isr_helpers import captured_columns, eikonal_pit_p_value
from scipy import integrate, stats

import darkscan.generate.processes.gamma_alp as gamma_alp_module
from darkscan.beams import Collider, belle2
from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.generate.isr import convolve_isr
from darkscan.generate.phasespace import boost_to_rest_frame, invariant_mass
from darkscan.generate.processes.gamma_alp import (
    alp_angular_fraction,
    generate_gamma_alp,
    sigma_hat_gamma_alp,
)
from darkscan.models.alp import AxionLikeParticle

P_MIN = 1e-3


def _p4(particles, i):
    """(n, 4) float64 array of particle i of every event."""
    return np.column_stack(
        [ak.to_numpy(particles[f][:, i]).astype(np.float64) for f in ("E", "px", "py", "pz")]
    )


def _chi2_p(observed, expected):
    chi2 = float(np.sum((observed - expected) ** 2 / expected))
    return stats.chi2.sf(chi2, observed.size - 1)


@pytest.fixture(scope="module")
def sample():
    model = AxionLikeParticle(m_a=0.2, g_agg=1e-4)
    return model, generate_gamma_alp(model, belle2(), 60_000, np.random.default_rng(21))


def test_four_momentum_conservation_and_masses(sample):
    _, s = sample
    p = s.events.particles
    collider = belle2()
    assert ak.to_list(p.pdg[0]) == [22, 54, 22, 22]
    final = np.sum([_p4(p, i) for i in (0, 2, 3)], axis=0)
    # float32 storage: relative precision ~1e-7 of the 11.5 GeV lab energy
    np.testing.assert_allclose(final, np.tile(collider.p_total, (len(p), 1)), atol=2e-5)
    np.testing.assert_allclose(invariant_mass(_p4(p, 2) + _p4(p, 3)), 0.2, rtol=2e-3)
    np.testing.assert_allclose(invariant_mass(_p4(p, 1)), 0.2, rtol=2e-3)
    assert ak.all(p.mother[:, 2:] == 1)
    assert not ak.any(p.is_final[:, 1])


def test_cross_section_matches_model(sample):
    model, s = sample
    sqrt_s = belle2().sqrt_s
    # model total (all angles) times the 1 + cos^2 fraction inside |cos| < 0.95
    frac, _ = integrate.quad(lambda c: model.differential_cross_section(sqrt_s, c), -0.95, 0.95)
    assert s.cross_section_fb == pytest.approx(frac, rel=1e-10)
    assert float(sigma_hat_gamma_alp(sqrt_s**2, 0.2, 1e-4)) == pytest.approx(
        float(model.cross_section(sqrt_s)), rel=1e-12
    )
    assert s.luminosity == pytest.approx(60_000 / s.cross_section_fb, rel=1e-12)
    assert float(ak.sum(s.events.weight)) == pytest.approx(s.cross_section_fb, rel=1e-12)


def test_photon_angle_follows_model(sample):
    model, s = sample
    collider = belle2()
    photon_cms = collider.to_cms(_p4(s.events.particles, 0))
    cos = photon_cms[:, 3] / photon_cms[:, 0]
    assert np.all(np.abs(cos) <= 0.95 + 1e-5)
    edges = np.linspace(-0.95, 0.95, 20)
    observed, _ = np.histogram(cos, edges)
    per_bin = np.array(
        [
            integrate.quad(lambda c: model.differential_cross_section(collider.sqrt_s, c), a, b)[0]
            for a, b in itertools.pairwise(edges)
        ]
    )
    assert _chi2_p(observed, len(cos) * per_bin / per_bin.sum()) > P_MIN


def _levi_civita():
    eps = np.zeros((4, 4, 4, 4))
    for perm in itertools.permutations(range(4)):
        eps[perm] = np.linalg.det(np.eye(4)[list(perm)])
    return eps


def test_one_plus_cos2_from_independent_tensor_contraction():
    """L_{mu nu} H^{mu nu} for e+e- -> gamma* -> gamma a with the a F Fdual vertex."""
    g = np.diag([1.0, -1.0, -1.0, -1.0])
    eps = _levi_civita()
    e_beam, m_a = 5.0, 1.3
    p1 = np.array([e_beam, 0, 0, e_beam])
    p2 = np.array([e_beam, 0, 0, -e_beam])
    q = p1 + p2
    k0 = (4 * e_beam**2 - m_a**2) / (4 * e_beam)
    ratios = []
    for c in np.linspace(-0.9, 0.9, 7):
        k = k0 * np.array([1.0, math.sqrt(1 - c * c), 0.0, c])
        # V^{mu}_{gamma} = eps^{mu a b d} q_a k_b g_{d gamma}
        v = np.einsum("mabd,a,b,dg->mg", eps, g @ q, g @ k, g)
        h = -np.einsum("mg,nh,gh->mn", v, v, g)  # photon polarisation sum -g
        lep = 4 * (np.outer(p2, p1) + np.outer(p1, p2) - g * (p1 @ g @ p2))  # Tr[p2 g p1 g]
        ratios.append(np.einsum("mn,ma,nb,ab->", lep, g, g, h) / (1 + c * c))
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-12)
    assert alp_angular_fraction(-1.0, 1.0) == pytest.approx(1.0, rel=1e-14)


def test_decay_is_isotropic_in_alp_rest_frame(sample):
    _, s = sample
    p = s.events.particles
    alp = _p4(p, 1)
    g1 = boost_to_rest_frame(_p4(p, 2), alp)
    direction = alp[:, 1:] / np.linalg.norm(alp[:, 1:], axis=1, keepdims=True)
    cos = np.sum(g1[:, 1:] * direction, axis=1) / np.linalg.norm(g1[:, 1:], axis=1)
    observed, _ = np.histogram(cos, np.linspace(-1, 1, 21))
    assert _chi2_p(observed, np.full(20, len(cos) / 20)) > P_MIN


def test_decay_length_matches_model(sample):
    model, s = sample
    p = s.events.particles
    alp = _p4(p, 1)
    p_lab = np.linalg.norm(alp[:, 1:], axis=1)
    mean_length = model.decay_length(p_lab)  # beta gamma c tau per event
    vertex = np.column_stack([ak.to_numpy(p[f][:, 2]) for f in ("vx", "vy", "vz")])
    distance = np.linalg.norm(vertex, axis=1)
    # exponential: variance of the sample mean = sum L_i^2 / n^2
    err = math.sqrt(np.sum(mean_length**2)) / len(distance)
    assert abs(distance.mean() - mean_length.mean()) < 5 * err
    assert 0.5 < mean_length.mean() < 5.0  # cm: a displaced vertex for this coupling
    # vertex along the ALP direction
    cos = np.sum(vertex * alp[:, 1:], axis=1) / (distance * p_lab)
    assert np.all(cos[distance > 1e-3] > 0.9999)


def test_lab_momentum_matches_model_for_head_on_beams():
    model = AxionLikeParticle(m_a=1.0, g_agg=1e-3)
    collider = Collider("head-on 7x4", 7.0, 4.0)
    s = generate_gamma_alp(model, collider, 2000, np.random.default_rng(22))
    alp = _p4(s.events.particles, 1)
    cms = collider.to_cms(alp)
    cos_cms = cms[:, 3] / np.linalg.norm(cms[:, 1:], axis=1)
    p_model, theta_model = model.lab_momentum(collider.sqrt_s, collider.beta_gamma, cos_cms)
    np.testing.assert_allclose(np.linalg.norm(alp[:, 1:], axis=1), p_model, rtol=1e-5)
    np.testing.assert_allclose(
        np.arccos(alp[:, 3] / np.linalg.norm(alp[:, 1:], axis=1)), theta_model, atol=1e-4
    )


def test_isr_spectrum_matches_convolution():
    model = AxionLikeParticle(m_a=2.0, g_agg=1e-3)
    collider = belle2()
    n = 40_000
    s = generate_gamma_alp(model, collider, n, np.random.default_rng(23), isr=True)
    p = s.events.particles
    assert ak.to_list(p.pdg[0]) == [22, 54, 22, 22, 22, 22]
    # conservation including the two ISR photons
    final = np.sum([_p4(p, i) for i in (0, 2, 3, 4, 5)], axis=0)
    np.testing.assert_allclose(final, np.tile(collider.p_total, (n, 1)), atol=2e-5)
    s_hat = invariant_mass(_p4(p, 0) + _p4(p, 1)) ** 2
    sqrt_s = collider.sqrt_s
    frac = alp_angular_fraction(-0.95, 0.95)

    def sigma_hat(v):
        return sigma_hat_gamma_alp(v, 2.0, 1e-3) * frac

    s_min = (0.05 + math.sqrt(0.05**2 + 4.0)) ** 2
    assert s.cross_section_fb == pytest.approx(convolve_isr(sigma_hat, sqrt_s**2, s_min))
    # fraction above each threshold = convolution with the raised threshold
    thresholds = np.array([s_min, 40.0, 80.0, 100.0, 108.0, 111.0, 111.7])
    above = np.array([convolve_isr(sigma_hat, sqrt_s**2, t) for t in thresholds])
    expected = n * -np.diff(np.append(above, 0.0)) / above[0]
    observed = np.histogram(s_hat, np.append(thresholds, np.inf))[0]
    assert _chi2_p(observed, expected) > P_MIN
    # ISR lowers the cross section slightly (radiative return suppressed by (1 - m^2/s)^3)
    assert 0.95 < s.cross_section_fb / (float(model.cross_section(sqrt_s)) * frac) < 1.0


def test_same_seed_same_events():
    model = AxionLikeParticle(m_a=0.5, g_agg=1e-3)
    a = generate_gamma_alp(model, belle2(), 500, np.random.default_rng(7), isr=True)
    b = generate_gamma_alp(model, belle2(), 500, np.random.default_rng(7), isr=True)
    c = generate_gamma_alp(model, belle2(), 500, np.random.default_rng(8), isr=True)
    assert ak.array_equal(a.events, b.events)
    assert a.metadata() == b.metadata()
    assert not ak.array_equal(a.events, c.events)


def test_weighted_mode_reproduces_angular_distribution():
    model = AxionLikeParticle(m_a=0.5, g_agg=1e-3)
    collider = belle2()
    s = generate_gamma_alp(model, collider, 40_000, np.random.default_rng(24), weighted=True)
    w = ak.to_numpy(s.events.weight)
    assert s.weighted and w.std() > 0
    assert w.sum() == pytest.approx(s.cross_section_fb, rel=1e-12)
    photon = collider.to_cms(_p4(s.events.particles, 0))
    cos = photon[:, 3] / photon[:, 0]
    edges = np.linspace(-0.95, 0.95, 11)
    sums, _ = np.histogram(cos, edges, weights=w)
    sums2, _ = np.histogram(cos, edges, weights=w * w)
    cdf = edges + edges**3 / 3
    expected = s.cross_section_fb * np.diff(cdf) / (cdf[-1] - cdf[0])
    chi2 = float(np.sum((sums - expected) ** 2 / sums2))
    assert stats.chi2.sf(chi2, 9) > P_MIN


def test_bad_input():
    model = AxionLikeParticle(m_a=0.5, g_agg=1e-3)
    rng = np.random.default_rng(0)
    for n in (0, -5, 1.5, True):
        with pytest.raises(ConfigError, match="n_events"):
            generate_gamma_alp(model, belle2(), n, rng)
    with pytest.raises(PhysicsDomainError, match="m_a = 11") as err:
        generate_gamma_alp(AxionLikeParticle(m_a=11.0, g_agg=1e-3), belle2(), 10, rng)
    assert "\n" not in str(err.value)
    with pytest.raises(PhysicsDomainError, match="scalar"):
        generate_gamma_alp(
            AxionLikeParticle(m_a=np.array([0.1, 0.2]), g_agg=1e-3), belle2(), 10, rng
        )
    with pytest.raises(PhysicsDomainError, match="cos_theta_range"):
        generate_gamma_alp(model, belle2(), 10, rng, cos_theta_range=(-1.0, 0.5))


# ------------------------------------------------------- ISR photons with eikonal angles
def test_isr_angles_conservation_and_photon_angles():
    # per event in the CM frame: all final-state particles = (sqrt(s), 0, 0, 0) to 1e-9 GeV
    model = AxionLikeParticle(m_a=2.0, g_agg=1e-3)
    collider = belle2()
    sample, col = captured_columns(
        gamma_alp_module,
        "events_from_arrays",
        lambda: generate_gamma_alp(model, collider, 30_000, np.random.default_rng(29), isr=True),
    )
    final = np.broadcast_to(col["is_final"], col["p4"].shape[:2])
    total = collider.to_cms(np.sum(col["p4"] * final[..., None], axis=1))
    np.testing.assert_allclose(total[:, 0], collider.sqrt_s, rtol=0, atol=1e-9)
    np.testing.assert_allclose(total[:, 1:], 0.0, rtol=0, atol=1e-9)
    assert np.all(col["pdg"][..., 4:] == 22)
    p_value, _ = eikonal_pit_p_value(col["p4"][:, 4:6], collider)
    assert p_value > P_MIN
    assert sample.generator_settings["isr_photons"] == "ISR photons with eikonal angles"
