"""Tests of the one-loop Delta a_mu of vector, scalar and pseudoscalar mediators."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from darkscan.constants import ALPHA_EM, M_MU
from darkscan.errors import PhysicsDomainError
from darkscan.models.g_minus_2 import (
    DELTA_A_MU_2021,
    DELTA_A_MU_2025,
    coupling_for_delta_a_mu,
    delta_a_mu_pseudoscalar,
    delta_a_mu_scalar,
    delta_a_mu_vector,
    lmu_ltau_g_minus_2_band,
)

FUNCTIONS = {
    "vector": delta_a_mu_vector,
    "scalar": delta_a_mu_scalar,
    "pseudoscalar": delta_a_mu_pseudoscalar,
}


def test_vector_light_limit_is_dark_photon_alpha_over_two_pi():
    # m_V << m_mu with g = eps e: Delta a = (alpha/2pi) eps^2 (Pospelov arXiv:0811.1030;
    # Schwinger term with e -> eps e). Leading correction is -pi r/2 / (1/2), r = m_V/m_mu.
    eps = 1e-3
    e = math.sqrt(4 * math.pi * ALPHA_EM)
    value = float(delta_a_mu_vector(1e-7, eps * e))
    assert value == pytest.approx(ALPHA_EM / (2 * math.pi) * eps**2, rel=1e-5)


def test_light_limits_scalar_pseudoscalar():
    # m << m_mu: scalar 3 g^2/(16 pi^2), pseudoscalar -g^2/(16 pi^2)
    # (Jegerlehner & Nyffeler arXiv:0902.3360; Leveille 1978)
    g = 2e-3
    assert float(delta_a_mu_scalar(1e-8, g)) == pytest.approx(
        3 * g**2 / (16 * math.pi**2), rel=1e-6
    )
    assert float(delta_a_mu_pseudoscalar(1e-8, g)) == pytest.approx(
        -(g**2) / (16 * math.pi**2), rel=1e-6
    )


def test_heavy_limits():
    # m >> m_mu: vector g^2 m_mu^2/(12 pi^2 M^2);
    # scalar g^2 m_mu^2/(8 pi^2 M^2) [ln(M^2/m_mu^2) - 7/6];
    # pseudoscalar -g^2 m_mu^2/(8 pi^2 M^2) [ln(M^2/m_mu^2) - 11/6]
    # (Jegerlehner & Nyffeler arXiv:0902.3360; Leveille 1978). Corrections are
    # O(m_mu^2/M^2 ln) ~ 1e-7 at M = 1 TeV.
    big = 1000.0
    ratio = M_MU**2 / big**2
    log = math.log(big**2 / M_MU**2)
    g = 0.5
    assert float(delta_a_mu_vector(big, g)) == pytest.approx(
        g**2 * ratio / (12 * math.pi**2), rel=1e-6
    )
    assert float(delta_a_mu_scalar(big, g)) == pytest.approx(
        g**2 * ratio / (8 * math.pi**2) * (log - 7 / 6), rel=1e-6
    )
    assert float(delta_a_mu_pseudoscalar(big, g)) == pytest.approx(
        -(g**2) * ratio / (8 * math.pi**2) * (log - 11 / 6), rel=1e-6
    )


@pytest.mark.parametrize("kind", ["vector", "scalar", "pseudoscalar"])
def test_against_adaptive_quadrature(kind):
    # independent integration with scipy.integrate.quad at intermediate masses
    numerators = {
        "vector": (lambda z: z * (1 - z) ** 2, 1 / (4 * math.pi**2)),
        "scalar": (lambda z: (1 - z) ** 2 * (1 + z), 1 / (8 * math.pi**2)),
        "pseudoscalar": (lambda z: -((1 - z) ** 3), 1 / (8 * math.pi**2)),
    }
    num, pref = numerators[kind]
    masses = np.array([0.02, 0.1, 0.3, 1.0, 5.0])
    values = FUNCTIONS[kind](masses, 1.0)
    for m, v in zip(masses, values, strict=True):
        r2 = (m / M_MU) ** 2

        def integrand(z, r2=r2):
            return num(z) / ((1 - z) ** 2 + z * r2)

        ref = pref * quad(integrand, 0, 1, epsabs=0, epsrel=1e-12, limit=200)[0]
        assert v == pytest.approx(ref, rel=1e-9)


def test_vectorised_and_monotonic():
    masses = np.geomspace(1e-3, 100.0, 50)
    v = delta_a_mu_vector(masses, 1e-3)
    assert v.shape == (50,)
    assert np.all(np.diff(v) < 0)
    assert np.all(np.diff(delta_a_mu_pseudoscalar(masses, 1e-3)) > 0)


@pytest.mark.parametrize("kind", ["vector", "scalar", "pseudoscalar"])
def test_coupling_inversion_round_trip(kind):
    masses = np.array([0.005, 0.2, 3.0])
    g = np.array([1e-4, 3e-3, 0.2])
    delta = FUNCTIONS[kind](masses, g)
    np.testing.assert_allclose(coupling_for_delta_a_mu(kind, masses, delta), g, rtol=1e-12)


def test_bad_input_raises():
    with pytest.raises(PhysicsDomainError, match="wrong sign"):
        coupling_for_delta_a_mu("pseudoscalar", 0.1, 1e-9)
    with pytest.raises(PhysicsDomainError, match="wrong sign"):
        coupling_for_delta_a_mu("vector", 0.1, -1e-9)
    with pytest.raises(PhysicsDomainError, match="kind"):
        coupling_for_delta_a_mu("tensor", 0.1, 1e-9)
    with pytest.raises(PhysicsDomainError, match="mass"):
        delta_a_mu_vector(-0.1, 1e-3)
    with pytest.raises(PhysicsDomainError, match="coupling"):
        delta_a_mu_scalar(0.1, float("nan"))


def test_shipped_delta_a_mu_values():
    # 2021: a_mu(exp) = 116 592 061(41)e-11 (Muon g-2, PRL 126, 141801 (2021));
    #       a_mu(SM)  = 116 591 810(43)e-11 (White Paper 2020, Phys. Rept. 887 (2020) 1)
    #       (both numbers checked against the PRL abstract in the 2026-11 citation audit)
    assert DELTA_A_MU_2021[0] == pytest.approx((116592061 - 116591810) * 1e-11, abs=0.5e-11)
    assert DELTA_A_MU_2021[1] == pytest.approx(math.hypot(41, 43) * 1e-11, abs=0.5e-11)
    # 2025: world average 116 592 071.5(14.5)e-11 (Muon g-2 final, arXiv:2506.03069);
    #       a_mu(SM) = 116 592 033(62)e-11 (White Paper 2025, arXiv:2505.21476, abstract), quoted
    #       38(63); unrounded 38.5(63.7)
    assert DELTA_A_MU_2025[0] == pytest.approx((116592071.5 - 116592033) * 1e-11, abs=0.6e-11)
    assert DELTA_A_MU_2025[1] == pytest.approx(math.hypot(14.5, 62) * 1e-11, abs=1e-11)


def test_lmu_ltau_band():
    # light Z' (m << m_mu): Delta a = g'^2/(8 pi^2) -> g' = sqrt(8 pi^2 Delta a)
    lo, mid, hi = lmu_ltau_g_minus_2_band(1e-8)
    central, sigma = DELTA_A_MU_2021
    assert float(mid) == pytest.approx(math.sqrt(8 * math.pi**2 * central), rel=1e-5)
    assert float(lo) == pytest.approx(math.sqrt(8 * math.pi**2 * (central - 2 * sigma)), rel=1e-5)
    assert float(hi) == pytest.approx(math.sqrt(8 * math.pi**2 * (central + 2 * sigma)), rel=1e-5)
    # 2025 value: the 2 sigma band reaches Delta a = 0, so the lower edge is g' = 0
    lo25, _, hi25 = lmu_ltau_g_minus_2_band(np.array([0.01, 0.1]), delta_a_mu=DELTA_A_MU_2025)
    assert np.all(lo25 == 0.0) and np.all(hi25 > 0)
