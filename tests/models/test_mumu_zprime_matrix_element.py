"""Tests of the e+e- -> mu+ mu- Z' matrix element, phase space and cross section."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from darkscan.constants import ALPHA_EM, GEV2_TO_FB, M_E, M_MU
from darkscan.errors import PhysicsDomainError
from darkscan.models import _mumu_zprime as mz

SQRT_S = 10.58
KEYS = ("p_electron", "p_positron", "p_mu_minus", "p_mu_plus", "p_zprime")


def _events(m_zprime, n, seed, **masses):
    ev = mz.sample_phase_space(
        SQRT_S, m_zprime, np.random.default_rng(seed).random((n, 5)), **masses
    )
    return ev, [ev[k] for k in KEYS]


def _slash(p):
    return np.einsum("nm,mij->nij", (p * np.diag(mz.METRIC)).astype(complex), mz.GAMMA)


def _trace_matrix_element_squared(p1, p2, k1, k2, q, g_prime=1.0, m=M_MU, m_e=M_E):
    """Independent |M|^2 from Dirac traces (no spinors): (1/4) L_{mu nu} H^{mu nu}."""
    eye = np.eye(4)
    d = mz.minkowski_dot
    q2 = d(q, q)
    s1 = (_slash(k1 + q) + m * eye) / (2 * d(k1, q) + q2)[:, None, None]
    s2 = (-_slash(k2 + q) + m * eye) / (2 * d(k2, q) + q2)[:, None, None]
    g = mz.GAMMA
    # Gamma^{mu rho} = gamma^rho S1 gamma^mu + gamma^mu S2 gamma^rho (rho = Z' index)
    big = np.einsum("rij,njk,mkl->nmril", g, s1, g) + np.einsum("mij,njk,rkl->nmril", g, s2, g)
    # conjugate vertex gamma^0 Gamma^dagger gamma^0 = gamma^mu S1 gamma^rho + gamma^rho S2 gamma^mu
    big_bar = np.einsum("mij,njk,rkl->nmril", g, s1, g) + np.einsum("rij,njk,mkl->nmril", g, s2, g)
    a = _slash(k1) + m * eye
    b = _slash(k2) - m * eye
    h = np.einsum("nij,nmrjk,nkl,nvsli->nmrvs", a, big, b, big_bar)  # H^{mu rho, nu sigma}
    metric = np.diag(mz.METRIC)
    pol = (
        -np.diag(metric)[None] + np.einsum("nr,ns->nrs", q * metric, q * metric) / q2[:, None, None]
    )
    h_mn = np.einsum("nmrvs,nrs->nmv", h, pol)
    lep = np.einsum(
        "nij,mjk,nkl,vli->nmv", _slash(p2) - m_e * eye, g, _slash(p1) + m_e * eye, g
    )  # L^{mu nu}
    lm = lep * metric[None, :, None] * metric[None, None, :]
    s = d(p1 + p2, p1 + p2)
    coupling = (4 * np.pi * ALPHA_EM) ** 2 * g_prime**2 / s**2
    return 0.25 * coupling * np.einsum("nmv,nmv->n", lm, h_mn).real


def test_spinor_completeness():
    # sum_s u ubar = pslash + m, sum_s v vbar = pslash - m (Peskin & Schroeder sec. 3.4)
    _, p = _events(1.0, 20, 1)
    k = p[2]
    u = mz.dirac_u(k, M_MU)
    v = mz.dirac_v(k, M_MU)
    ubar = np.conj(u) @ mz.GAMMA[0]
    vbar = np.conj(v) @ mz.GAMMA[0]
    eye = np.eye(4)
    assert np.abs(np.einsum("nsi,nsj->nij", u, ubar) - (_slash(k) + M_MU * eye)).max() < 1e-12
    assert np.abs(np.einsum("nsi,nsj->nij", v, vbar) - (_slash(k) - M_MU * eye)).max() < 1e-12


@pytest.mark.parametrize("m_zprime", [0.01, 1.0, 8.0])
def test_gauge_invariance_polarisation_replaced_by_momentum(m_zprime):
    # current conservation of the muon vector current: q_rho A^rho = 0 (Ward identity)
    _, p = _events(m_zprime, 200, 2)
    # relative to |A| * |q|: a generic polarisation-like vector of the same size
    scale = np.abs(mz.amplitude_tensor(*p)).max() * np.abs(p[4]).max()
    amp = mz.helicity_amplitudes(*p, p[4])
    assert np.abs(amp).max() < 1e-13 * scale


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    x=st.lists(st.floats(0.001, 0.999), min_size=5, max_size=5),
    m_zprime=st.floats(0.001, 10.0),
)
def test_gauge_invariance_property(x, m_zprime):
    ev = mz.sample_phase_space(SQRT_S, m_zprime, np.array([x]))
    p = [ev[k] for k in KEYS]
    scale = np.abs(mz.amplitude_tensor(*p)).max() * np.abs(p[4]).max()
    assert np.abs(mz.helicity_amplitudes(*p, p[4])).max() <= 1e-12 * scale


def test_lorentz_invariance_under_random_boosts():
    _, p = _events(1.5, 50, 3)
    m2 = mz.matrix_element_squared(*p)
    rng = np.random.default_rng(4)
    direction = rng.normal(size=(50, 3))
    beta = (
        direction
        / np.linalg.norm(direction, axis=1, keepdims=True)
        * rng.uniform(0.1, 0.9, (50, 1))
    )
    boosted = [mz.boost(v, beta) for v in p]
    np.testing.assert_allclose(mz.matrix_element_squared(*boosted), m2, rtol=1e-8)


def test_matches_independent_trace_computation():
    # exact agreement with a Dirac-trace evaluation of the same diagrams (all masses kept)
    for m_zprime in (0.05, 3.0):
        _, p = _events(m_zprime, 6, 5)
        np.testing.assert_allclose(
            mz.matrix_element_squared(*p, g_prime=0.3),
            _trace_matrix_element_squared(*p, g_prime=0.3),
            rtol=1e-10,
        )


def test_explicit_polarisation_sum():
    # sum over two transverse and one longitudinal polarisation = -g + q q / M^2 result
    m_zprime = 2.0
    _, p = _events(m_zprime, 30, 6)
    q = p[4]
    k = q[:, 1:]
    k_abs = np.linalg.norm(k, axis=1)
    n = k / k_abs[:, None]
    e1, e2 = mz._orthonormal_frame(n)
    pols = [
        np.concatenate([np.zeros((30, 1)), e1], axis=1),
        np.concatenate([np.zeros((30, 1)), e2], axis=1),
        np.concatenate([k_abs[:, None], q[:, :1] * n], axis=1) / m_zprime,
    ]
    total = sum(
        np.sum(np.abs(mz.helicity_amplitudes(*p, eps)) ** 2, axis=(1, 2, 3, 4)) for eps in pols
    )
    np.testing.assert_allclose(0.25 * total, mz.matrix_element_squared(*p), rtol=1e-10)


def test_light_zprime_limit_equals_fsr_of_mumu_gamma():
    # Massless limit: FSR part of e+e- -> mu+mu- gamma, spin-averaged,
    #   |M|^2 = e^4 g'^2 (t^2 + t'^2 + u^2 + u'^2) / (s (q+.k)(q-.k)),
    # F. A. Berends, R. Kleiss et al., Phys. Lett. 103B (1981) 124 (CALKUL "single
    # bremsstrahlung"), with the photon coupling e -> g' on the muon line; its normalisation
    # agrees with the soft-photon factor e^2 * 2 q+.q- / ((q+.k)(q-.k)) times
    # |M_0|^2 = 2 e^4 (t^2 + u^2) / s^2 (Peskin & Schroeder sec. 5.1, massless limit).
    masses = {"m_mu": 1e-4, "m_e": 1e-6}
    _, p = _events(1e-5, 2000, 7, **masses)
    g_prime = 0.7
    m2 = mz.matrix_element_squared(*p, g_prime=g_prime, **masses)
    pm, pp, qm, qp, k = p
    d = mz.minkowski_dot
    s = d(pm + pp, pm + pp)
    t, tp = d(pp - qp, pp - qp), d(pm - qm, pm - qm)
    u, up = d(pp - qm, pp - qm), d(pm - qp, pm - qp)
    e2 = 4 * np.pi * ALPHA_EM
    fsr = e2**2 * g_prime**2 * (t**2 + tp**2 + u**2 + up**2) / (s * d(qp, k) * d(qm, k))
    np.testing.assert_allclose(m2, fsr, rtol=1e-4)


def test_phase_space_volume_massless_limit():
    # massless three-body phase space volume: Phi_3 = s / (256 pi^3) (PDG Kinematics review)
    masses = {"m_mu": 1e-3, "m_e": 1e-6}
    x = np.random.default_rng(8).random((400_000, 5))
    ev = mz.sample_phase_space(SQRT_S, 1e-3, x, **masses)
    total = ev["p_mu_minus"] + ev["p_mu_plus"] + ev["p_zprime"]
    np.testing.assert_allclose(total, np.tile([SQRT_S, 0, 0, 0], (400_000, 1)), atol=1e-9)
    np.testing.assert_allclose(
        mz.minkowski_dot(ev["p_mu_minus"], ev["p_mu_minus"]), 1e-6, rtol=1e-6
    )
    assert ev["weight"].mean() == pytest.approx(SQRT_S**2 / (256 * np.pi**3), rel=0.03)


def test_cross_section_vegas_agrees_with_plain_monte_carlo():
    # independent integration: unweighted uniform sampling of the same integrand
    m_zprime = 5.0
    sigma, err = mz.cross_section(
        SQRT_S, m_zprime, rng=np.random.default_rng(9), n_points=10_000, n_iterations=5
    )
    chunks = []
    for seed in range(10, 15):
        ev, p = _events(m_zprime, 20_000, seed)
        chunks.append(mz.matrix_element_squared(*p) * ev["weight"] / (2 * SQRT_S**2) * GEV2_TO_FB)
    values = np.concatenate(chunks)
    plain, plain_err = values.mean(), values.std() / np.sqrt(values.size)
    assert abs(sigma - plain) < 4 * np.hypot(err, plain_err)
    assert err / sigma < 2e-3


def test_cross_section_scales_with_g_prime_squared():
    a = mz.cross_section(
        SQRT_S, 2.0, rng=np.random.default_rng(11), g_prime=1.0, n_points=4000, n_iterations=4
    )
    b = mz.cross_section(
        SQRT_S, 2.0, rng=np.random.default_rng(11), g_prime=0.05, n_points=4000, n_iterations=4
    )
    assert b[0] == pytest.approx(0.05**2 * a[0], rel=1e-12)
    _, p = _events(2.0, 10, 12)
    np.testing.assert_allclose(
        mz.matrix_element_squared(*p, g_prime=0.05),
        0.05**2 * mz.matrix_element_squared(*p),
        rtol=1e-12,
    )


def test_cross_section_vanishes_at_threshold_and_raises_above():
    threshold = SQRT_S - 2 * M_MU
    near, _ = mz.cross_section(
        SQRT_S, threshold - 0.005, rng=np.random.default_rng(13), n_points=4000, n_iterations=4
    )
    mid, _ = mz.cross_section(
        SQRT_S, 5.0, rng=np.random.default_rng(13), n_points=4000, n_iterations=4
    )
    assert 0 < near < 1e-4 * mid
    with pytest.raises(PhysicsDomainError, match="m_zprime"):
        mz.cross_section(SQRT_S, threshold + 0.01, rng=np.random.default_rng(0))
    with pytest.raises(PhysicsDomainError, match="m_zprime"):
        mz.sample_phase_space(SQRT_S, -1.0, np.full((1, 5), 0.5))


def test_soft_emission_factorises():
    # Soft, non-collinear-regulated emission (m_Z' << omega << sqrt(s)):
    #   d sigma = sigma_0 (alpha'/pi) [(1+b^2)/b ln((1+b)/(1-b)) - 2] d omega / omega,
    # the eikonal (soft-photon) factor for a back-to-back pair of velocity b (Peskin &
    # Schroeder sec. 6.1, soft bremsstrahlung; -> (2 alpha/pi)(ln(s/m^2) - 1) for b -> 1), and
    # sigma_0 = 4 pi alpha^2/(3 s) b (3 - b^2)/2 (Peskin & Schroeder sec. 5.1, muon mass kept).
    s = SQRT_S**2
    b = np.sqrt(1 - 4 * M_MU**2 / s)
    sigma0 = 4 * np.pi * ALPHA_EM**2 / (3 * s) * b * (3 - b * b) / 2 * GEV2_TO_FB
    w1, w2 = 0.01, 0.02
    soft = 1 / (4 * np.pi**2) * ((1 + b * b) / b * np.log((1 + b) / (1 - b)) - 2) * np.log(w2 / w1)

    def window(ev):
        return (ev["p_zprime"][:, 0] > w1) & (ev["p_zprime"][:, 0] < w2)

    sigma, _ = mz.cross_section(
        SQRT_S, 1e-4, rng=np.random.default_rng(14), cuts=window, n_points=10_000, n_iterations=5
    )
    assert sigma / (sigma0 * soft) == pytest.approx(1.0, abs=0.03)


def test_two_body_momentum_against_quadrature():
    # phase-space weight integrated over angles equals int dM^2/(2pi) Phi_2 Phi_2,
    # Phi_2 = beta/(8 pi), by one-dimensional scipy quadrature (independent of the mapping)
    m_zprime = 3.0

    def lam(a, b, c):
        return a * a + b * b + c * c - 2 * a * b - 2 * a * c - 2 * b * c

    def integrand(m2):
        s = SQRT_S**2
        phi_prod = np.sqrt(lam(s, m_zprime**2, m2)) / s / (8 * np.pi)
        phi_dec = np.sqrt(lam(m2, M_MU**2, M_MU**2)) / m2 / (8 * np.pi)
        return phi_prod * phi_dec / (2 * np.pi)

    expected = quad(integrand, 4 * M_MU**2, (SQRT_S - m_zprime) ** 2, epsrel=1e-10)[0]
    x = np.random.default_rng(15).random((200_000, 5))
    x[:, 1:] = 0.5  # angles do not enter the weight
    weight = mz.sample_phase_space(SQRT_S, m_zprime, x)["weight"]
    assert weight.mean() == pytest.approx(expected, rel=5e-3)


def test_weighted_events_sum_to_cross_section():
    # events drawn from the trained VEGAS map: sum of weights estimates sigma; the weighted
    # mean Z' energy agrees with that of uniform sampling reweighted by |M|^2 dPhi_3
    kwargs = {"g_prime": 0.1, "n_points": 5000, "n_iterations": 5}
    ev = mz.weighted_events(SQRT_S, 1.0, 50_000, rng=np.random.default_rng(30), **kwargs)
    w = ev["weight"]
    sigma, err = mz.cross_section(SQRT_S, 1.0, rng=np.random.default_rng(31), **kwargs)
    assert abs(w.sum() - sigma) < 4 * np.hypot(err, w.std() * np.sqrt(w.size))
    assert w.max() / w.mean() < 20  # well-adapted map: bounded weights for unweighting
    plain, p = _events(1.0, 50_000, 32)
    v = mz.matrix_element_squared(*p) * plain["weight"]
    e_plain = (v * p[4][:, 0]).sum() / v.sum()
    e_weighted = (w * ev["p_zprime"][:, 0]).sum() / w.sum()
    assert e_weighted == pytest.approx(e_plain, rel=0.01)
