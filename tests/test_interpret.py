"""Tests of darkscan.interpret: sigma <-> coupling translation per model."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from darkscan import interpret
from darkscan.beams import belle2
from darkscan.constants import M_MU, M_TAU
from darkscan.errors import PhysicsDomainError
from darkscan.models import DarkPhoton, LmuLtauZprime

COLLIDER = belle2()


@settings(max_examples=50, deadline=None)
@given(
    st.floats(1e-6, 1e6),
    st.floats(1e-3, 1e7),
    st.floats(1e-5, 1.0),
    st.sampled_from([1.0, 2.0, 4.0]),
)
def test_round_trip_sigma_coupling_sigma(sigma_ul, sigma_ref, g_ref, power):
    g = interpret.coupling_limit(sigma_ul, sigma_ref, g_ref, power)
    back = interpret.cross_section_at_coupling(g, sigma_ref, g_ref, power)
    assert float(back) == pytest.approx(sigma_ul, rel=1e-12)


def test_scaling_law_and_hand_point():
    sigma_ref = np.array([100.0, 50.0])
    # four times the cross-section limit -> twice the coupling (sigma ~ g^2)
    g1 = interpret.coupling_limit(np.array([1.0, 2.0]), sigma_ref, 0.01)
    g4 = interpret.coupling_limit(np.array([4.0, 8.0]), sigma_ref, 0.01)
    np.testing.assert_allclose(g4 / g1, 2.0, rtol=1e-14)
    # hand: g_ref = 0.01, sigma_ref = 100 fb, sigma_UL = 1 fb -> 0.01 * sqrt(0.01) = 1e-3
    assert g1[0] == pytest.approx(1e-3, rel=1e-14)
    # power 4 (e.g. a rate ~ g^4): (1/100)^(1/4) = 0.316...
    g = interpret.coupling_limit(1.0, 100.0, 1.0, power=4)
    assert float(g) == pytest.approx(100.0**-0.25, rel=1e-14)
    with pytest.raises(PhysicsDomainError):
        interpret.coupling_limit(-1.0, 100.0, 0.01)
    with pytest.raises(PhysicsDomainError):
        interpret.coupling_limit(1.0, 0.0, 0.01)


def test_zprime_below_dimuon_threshold_is_fully_invisible():
    # m < 2 m_mu: only nu nu, BR = 1: g' = g_ref sqrt(sigma_UL / sigma_ref)
    # hand: sigma_ref = 1e5 fb at g' = 1, sigma_UL = 10 fb -> g' = 1e-2
    g = interpret.zprime_g_prime_limit(0.1, 10.0, COLLIDER, sigma_reference=1.0e5)
    assert float(g) == pytest.approx(1e-2, rel=1e-12)


def _br_invisible_by_hand(m):
    """BR(Z' -> nu nu) from the widths g^2 m/(12 pi)(1+2x)sqrt(1-4x) per charged lepton and
    g^2 m/(24 pi) per neutrino flavour (Altmannshofer et al., arXiv:1406.2332)."""

    def lep(ml):
        x = ml**2 / m**2
        return (1 + 2 * x) * math.sqrt(1 - 4 * x) / 12.0 if x < 0.25 else 0.0

    nu = 2 * (1.0 / 24.0)
    return nu / (nu + lep(M_MU) + lep(M_TAU))


def test_zprime_above_tau_threshold_uses_the_invisible_branching_ratio():
    masses = np.array([0.5, 5.0])
    sigma_ref = np.array([2.0e4, 3.0e3])  # fb at g' = 1 (stand-ins for the VEGAS values)
    sigma_ul = np.array([1.0, 2.0])
    g = interpret.zprime_g_prime_limit(masses, sigma_ul, COLLIDER, sigma_reference=sigma_ref)
    br = np.array([_br_invisible_by_hand(m) for m in masses])
    np.testing.assert_allclose(g, np.sqrt(sigma_ul / (sigma_ref * br)), rtol=1e-12)
    # high-mass limit of BR_inv is 1/3 (two neutrinos of half width vs two leptons)
    assert br[1] == pytest.approx(1 / 3, abs=0.02)
    # and the model gives the same BR (independent of g')
    model_br = LmuLtauZprime(m_zprime=masses, g_prime=0.3).invisible_branching_ratio()
    np.testing.assert_allclose(model_br, br, rtol=1e-12)
    # back: the rate at the limit coupling is the limit
    back = interpret.zprime_signal_rate(masses, g, COLLIDER, sigma_reference=sigma_ref)
    np.testing.assert_allclose(back, sigma_ul, rtol=1e-12)


def test_zprime_with_fixed_dark_coupling_round_trip():
    # fixed g_chi: BR_inv depends on g', the quadratic solution must invert the rate exactly
    masses = np.array([0.3, 1.0, 4.0])
    sigma_ref = np.array([5.0e4, 2.0e4, 4.0e3])
    sigma_ul = np.array([0.5, 3.0, 20.0])
    kw = {"sigma_reference": sigma_ref, "m_chi": 0.05, "g_chi": 1e-3}
    g = interpret.zprime_g_prime_limit(masses, sigma_ul, COLLIDER, **kw)
    back = interpret.zprime_signal_rate(masses, g, COLLIDER, **kw)
    np.testing.assert_allclose(back, sigma_ul, rtol=1e-10)
    # independent check with the model's own BR at that g' (g_chi held fixed)
    for m, gi, s_ref, s_ul in zip(masses, g, sigma_ref, sigma_ul, strict=True):
        br = LmuLtauZprime(
            m_zprime=m, g_prime=gi, m_chi=0.05, g_chi=1e-3
        ).invisible_branching_ratio()
        assert s_ref * gi**2 * float(br) == pytest.approx(s_ul, rel=1e-10)
    # g_chi = g' (default): BR independent of g', simple scaling
    g_unit = interpret.zprime_g_prime_limit(
        masses, sigma_ul, COLLIDER, sigma_reference=sigma_ref, m_chi=0.05
    )
    br_unit = LmuLtauZprime(m_zprime=masses, g_prime=1.0, m_chi=0.05).invisible_branching_ratio()
    np.testing.assert_allclose(g_unit, np.sqrt(sigma_ul / (sigma_ref * br_unit)), rtol=1e-12)


def test_zprime_limit_with_vegas_matches_the_model():
    rng_seed = 17
    g = interpret.zprime_g_prime_limit(
        1.0, 10.0, COLLIDER, rng=np.random.default_rng(rng_seed), n_points=2000, n_iterations=3
    )
    sigma, _ = LmuLtauZprime(m_zprime=np.array([1.0]), g_prime=1.0).cross_section_mumu_zprime(
        COLLIDER.sqrt_s, rng=np.random.default_rng(rng_seed), n_points=2000, n_iterations=3
    )
    br = _br_invisible_by_hand(1.0)
    assert float(g) == pytest.approx(math.sqrt(10.0 / (sigma[0] * br)), rel=1e-12)
    # sigma(g' = 1) is O(100 pb) at 1 GeV (doctest of LmuLtauZprime): g'_UL ~ 1e-2 for 10 fb
    assert 3e-3 < float(g) < 3e-2


def test_zprime_errors():
    with pytest.raises(PhysicsDomainError, match="threshold"):
        interpret.zprime_g_prime_limit(10.5, 1.0, COLLIDER, sigma_reference=1.0)
    with pytest.raises(PhysicsDomainError, match="rng"):
        interpret.zprime_g_prime_limit(1.0, 1.0, COLLIDER)
    with pytest.raises(PhysicsDomainError):
        interpret.zprime_g_prime_limit(1.0, np.nan, COLLIDER, sigma_reference=1.0)


def test_dark_photon_epsilon_limit():
    masses = np.array([0.5, 2.0, 6.0])
    sigma_ul = np.array([5.0, 5.0, 5.0])
    eps = interpret.dark_photon_epsilon_limit(masses, sigma_ul, COLLIDER)
    # fully invisible: the model's sigma at eps_UL is the limit
    sigma = DarkPhoton(m_aprime=masses, epsilon=eps).cross_section_gamma_aprime(COLLIDER.sqrt_s)
    np.testing.assert_allclose(sigma, sigma_ul, rtol=1e-12)
    # with chi (alpha_D fixed): sigma(eps) x BR_inv(eps) from the model equals the limit
    eps_chi = interpret.dark_photon_epsilon_limit(masses, sigma_ul, COLLIDER, m_chi=0.1)
    ap = DarkPhoton(m_aprime=masses, epsilon=eps_chi, m_chi=0.1)
    rate = ap.cross_section_gamma_aprime(COLLIDER.sqrt_s) * ap.invisible_branching_ratio()
    np.testing.assert_allclose(rate, sigma_ul, rtol=1e-9)
    # alpha_D >> alpha eps^2: BR ~ 1, nearly the same limit
    np.testing.assert_allclose(eps_chi, eps, rtol=1e-3)
    # a tiny alpha_D caps the invisible rate: a limit above the cap gives no exclusion
    capped = interpret.dark_photon_epsilon_limit(2.0, 1e6, COLLIDER, m_chi=0.1, alpha_dark=1e-12)
    assert np.isinf(capped)


def test_solve_rate_limits():
    # C = 0: simple scaling x = sigma_UL / (sigma_ref A/B)
    x = interpret.solve_rate_for_coupling_squared(2.0, 8.0, 1.0, 4.0, 0.0)
    assert float(x) == pytest.approx(1.0, rel=1e-14)
    # A = 0, C > 0 below saturation: x = sigma_UL C / (sigma_ref C - sigma_UL B) (hand)
    x = interpret.solve_rate_for_coupling_squared(1.0, 10.0, 0.0, 2.0, 4.0)
    assert float(x) == pytest.approx(4.0 / (40.0 - 2.0), rel=1e-14)
    with pytest.raises(PhysicsDomainError):
        interpret.solve_rate_for_coupling_squared(1.0, 1.0, 2.0, 1.0, 0.0)
