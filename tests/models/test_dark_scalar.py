"""Tests of darkscan.models.dark_scalar (Higgs-mixed light scalar)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from darkscan.constants import (
    G_FERMI,
    HBAR_GEV_NS,
    HBARC_GEV_CM,
    M_B,
    M_E,
    M_K,
    M_MU,
    M_PI,
    M_PI0,
    V_EV,
)
from darkscan.errors import PhysicsDomainError
from darkscan.models.dark_scalar import TAU_B_PLUS, DarkScalar

BELLE2 = SimpleNamespace(sqrt_s=10.58, beta_gamma=0.28)


def test_lepton_width_absolute_value():
    # Higgs Hunter's Guide, Ch. 2: Gamma(S -> mu mu) = sin^2 m_mu^2 m_S beta^3 / (8 pi v^2),
    # written with v = (sqrt2 G_F)^-1/2 instead of G_F (independent arrangement).
    m, st = 0.7, 2e-3
    beta = math.sqrt(1 - 4 * M_MU**2 / m**2)
    expected = st**2 * M_MU**2 * m * beta**3 / (8 * math.pi * V_EV**2)
    got = float(DarkScalar(m_s=m, sin_theta=st).partial_widths()["mu"])
    assert got == pytest.approx(expected, rel=1e-10)


def test_lepton_width_ratio_and_heavy_limit():
    m = np.array([0.3, 0.5, 1.0, 3.0])
    w = DarkScalar(m_s=m, sin_theta=1e-3).partial_widths()
    beta3 = (1 - 4 * M_MU**2 / m**2) ** 1.5 / (1 - 4 * M_E**2 / m**2) ** 1.5
    np.testing.assert_allclose(w["mu"] / w["e"], (M_MU / M_E) ** 2 * beta3, rtol=1e-12)
    # far above threshold beta -> 1: ratio -> (m_mu/m_e)^2 within 0.5 % at 5 GeV
    w5 = DarkScalar(m_s=5.0, sin_theta=1e-3).partial_widths()
    assert float(w5["mu"] / w5["e"]) == pytest.approx((M_MU / M_E) ** 2, rel=5e-3)
    # below threshold the width vanishes
    assert float(DarkScalar(m_s=0.2, sin_theta=1.0).partial_widths()["mu"]) == 0.0


def test_br_mumu_is_one_between_dimuon_and_dipion_thresholds():
    m = np.linspace(2 * M_MU + 0.01, 2 * M_PI0 - 1e-3, 5)
    br = DarkScalar(m_s=m, sin_theta=1e-4).branching_ratios()
    # only e e and gamma gamma compete: (m_e/m_mu)^2 / beta^3 < 1e-3 here
    np.testing.assert_allclose(br["mu"], 1.0, atol=2e-3)
    total = sum(br.values())
    np.testing.assert_allclose(total, 1.0, rtol=1e-12)


def test_pipi_dominates_just_above_threshold():
    m = np.array([0.30, 0.40, 0.60, 0.9])
    br = DarkScalar(m_s=m, sin_theta=1e-4).branching_ratios()
    assert np.all(br["pi pi"] > br["mu"])
    assert np.all(br["pi pi"] > 0.5)


def test_pipi_chiral_formula_independent():
    # Gamma(pi+pi-) = |A|^2 beta/(16 pi m), A = sin (m^2/v)(2/9 + 11/9 m_pi^2/m^2);
    # Gamma(pi0 pi0) has an extra 1/2 (identical particles): Voloshin 1986; arXiv:0912.0390.
    m, st = 0.45, 1e-3

    def two_body(mm, sym):
        amp = st * m**2 / V_EV * (2 / 9 + 11 / 9 * mm**2 / m**2)
        return sym * amp**2 * math.sqrt(1 - 4 * mm**2 / m**2) / (16 * math.pi * m)

    expected = two_body(M_PI, 1.0) + two_body(M_PI0, 0.5)
    got = float(DarkScalar(m_s=m, sin_theta=st).partial_widths()["pi pi"])
    assert got == pytest.approx(expected, rel=1e-10)


def test_branching_ratios_positive_and_sum_to_one():
    m = np.geomspace(0.01, 10.0, 60)
    br = DarkScalar(m_s=m, sin_theta=3e-4).branching_ratios()
    for v in br.values():
        assert np.all(v >= 0.0)
    np.testing.assert_allclose(sum(br.values()), 1.0, rtol=1e-12)


def test_hadronic_width_continuous_at_matching_points():
    for edge in (1.0, 2.0):
        lo, hi = DarkScalar(m_s=np.array([edge - 1e-6, edge + 1e-6]), sin_theta=1.0).total_width()
        assert hi == pytest.approx(lo, rel=1e-3)


def test_ctau_point_computed_independently():
    # m_S = 0.25 GeV: only e e, mu mu and gamma gamma; gamma gamma < 1e-5 of the total.
    m, st = 0.25, 1e-4
    gam = sum(
        st**2 * G_FERMI * ml**2 * m * (1 - 4 * ml**2 / m**2) ** 1.5 / (4 * math.sqrt(2) * math.pi)
        for ml in (M_E, M_MU)
    )
    expected_ctau = HBARC_GEV_CM / gam
    got = float(DarkScalar(m_s=m, sin_theta=st).ctau())
    assert got == pytest.approx(expected_ctau, rel=1e-4)
    # and the boosted decay length at p = 1 GeV is p/m * ctau
    assert float(DarkScalar(m_s=m, sin_theta=st).decay_length(1.0)) == pytest.approx(
        expected_ctau / m, rel=1e-4
    )


def test_b_to_k_s_light_limit_independent_and_endpoint():
    # independent evaluation of the effective-coupling formula at m_S = 1e-3 GeV
    g = (
        3
        * math.sqrt(2)
        * G_FERMI
        * 172.69**2
        * 0.999118
        * 0.04110
        * 4.18
        / (16 * math.pi**2 * V_EV)
    )
    amp = g / 2 * (M_B**2 - M_K**2) / (4.18 - 0.0934) * 0.330  # <K|s P_R b|B> = 1/2 <K|s b|B>
    p = (M_B**2 - M_K**2) / (2 * M_B)
    width = amp**2 * p / (8 * math.pi * M_B**2)
    expected = width / (HBAR_GEV_NS / TAU_B_PLUS)
    got = float(DarkScalar(m_s=1e-3, sin_theta=1.0).branching_ratio_b_to_k_s())
    assert got == pytest.approx(expected, rel=1e-4)
    # Cross-check against the implementation of Boiarska et al., arXiv:1904.10447 (Sec. 3.1,
    # same effective Lagrangian and the same Ball-Zwicky f_0) in the public code
    # JLTastet/scalar_portal, test/test_production.py: Gamma(B -> S K)/theta^2 = 1.8603e-13 GeV
    # at m_S = 0. That code sets m_b/(m_b - m_s) = 1 (we keep m_s: +4.6 % in the rate) and uses
    # slightly different m_t, CKM inputs (+1.5 %); allow 8 %.
    width_ref = 1.8602870173762396e-13
    ours = (
        float(DarkScalar(m_s=1e-6, sin_theta=1.0).branching_ratio_b_to_k_s())
        * HBAR_GEV_NS
        / TAU_B_PLUS
    )
    assert ours == pytest.approx(width_ref, rel=0.08)
    # kinematic endpoint m_S -> m_B - m_K: rate vanishes like the momentum
    end = M_B - M_K
    br = DarkScalar(
        m_s=np.array([end - 1e-4, end - 1e-2, end + 1e-3]), sin_theta=1.0
    ).branching_ratio_b_to_k_s()
    assert br[2] == 0.0
    assert 0.0 < br[0] < br[1]
    ps = DarkScalar(m_s=np.array([end - 1e-4, end - 1e-2]), sin_theta=1.0).momentum_in_b_frame()
    assert br[0] / br[1] == pytest.approx(ps[0] / ps[1], rel=0.02)


def test_sin_theta_scaling_and_broadcast():
    m = np.array([0.3, 1.5, 3.0])
    w1 = DarkScalar(m_s=m, sin_theta=1e-3).total_width()
    w2 = DarkScalar(m_s=m, sin_theta=2e-3).total_width()
    np.testing.assert_allclose(w2 / w1, 4.0, rtol=1e-12)
    assert w1.shape == (3,)


def test_summary_quantities():
    q = {x.name: x for x in DarkScalar(m_s=1.0, sin_theta=1e-3).summary(BELLE2)}
    s = DarkScalar(m_s=1.0, sin_theta=1e-3)
    assert q["c tau"].value == pytest.approx(float(s.ctau()), rel=1e-12)
    p_star = float(s.momentum_in_b_frame())
    e_star = math.hypot(p_star, 1.0)
    p_lab = math.sqrt(p_star**2 + 0.28**2 * (p_star**2 / 3 + e_star**2))
    assert q["p_S (lab, rms, B -> K S)"].value == pytest.approx(p_lab, rel=1e-12)
    assert q["decay length (lab)"].value == pytest.approx(p_lab / 1.0 * float(s.ctau()), rel=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"m_s": -0.1, "sin_theta": 1e-3},
        {"m_s": 0.0, "sin_theta": 1e-3},
        {"m_s": 12.0, "sin_theta": 1e-3},
        {"m_s": float("nan"), "sin_theta": 1e-3},
        {"m_s": 1.0, "sin_theta": float("inf")},
        {"m_s": 1.0, "sin_theta": 1.5},
        {"m_s": np.array([0.5, -1.0]), "sin_theta": 1e-3},
    ],
)
def test_bad_input_raises(kwargs):
    with pytest.raises(PhysicsDomainError):
        DarkScalar(**kwargs)


def test_summary_rejects_arrays():
    with pytest.raises(PhysicsDomainError):
        DarkScalar(m_s=np.array([0.5, 1.0]), sin_theta=1e-3).summary(BELLE2)


def test_loop_functions_against_higgs_diphoton_values():
    # SM Higgs (m_h = 125 GeV): A_1(tau_W) = -8.32 and N_c Q_t^2 A_1/2(tau_t) = 1.84
    # (Carena, Low, Wagner, arXiv:1206.1082, Sec. 2); exact values A_1/2(1) = 2,
    # A_1(1) = -(5 + 3 pi^2/4) from the closed forms at threshold (f(1) = pi^2/4).
    from darkscan.models.dark_scalar import M_TOP, M_W, _a_half, _a_one

    assert float(_a_one(125.0**2 / (4 * M_W**2)).real) == pytest.approx(-8.32, rel=0.01)
    assert 3 * 4 / 9 * float(_a_half(125.0**2 / (4 * M_TOP**2)).real) == pytest.approx(
        1.84, rel=0.01
    )
    assert float(_a_half(1.0).real) == pytest.approx(2.0, rel=1e-12)
    assert float(_a_one(1.0).real) == pytest.approx(-(5 + 3 * math.pi**2 / 4), rel=1e-12)
    # heavy-loop limits 4/3 and -7, continuous across the series/closed-form switch
    assert float(_a_half(1e-9).real) == pytest.approx(4 / 3, rel=1e-8)
    assert float(_a_one(1e-9).real) == pytest.approx(-7.0, rel=1e-8)
    lo, hi = _a_one(np.array([0.999e-4, 1.001e-4])).real
    assert hi == pytest.approx(lo, rel=1e-6)


def test_invisible_width_to_dark_fermions():
    m, st, g, mx = 1.0, 1e-4, 1e-3, 0.2
    s = DarkScalar(m_s=m, sin_theta=st, g_chi=g, m_chi=mx)
    beta = math.sqrt(1 - 4 * mx**2 / m**2)
    expected = (1 - st**2) * g**2 * m * beta**3 / (8 * math.pi)
    assert float(s.partial_widths()["chi chi"]) == pytest.approx(expected, rel=1e-12)
    brs = s.branching_ratios()
    np.testing.assert_allclose(sum(brs.values()), 1.0, rtol=1e-12)
    assert float(s.invisible_branching_ratio()) == pytest.approx(float(brs["chi chi"]), rel=1e-12)
    assert float(brs["chi chi"]) > 0.99  # g_chi >> sin_theta * m_f / v: mostly invisible
    # closed below threshold and absent by default
    assert (
        float(DarkScalar(m_s=0.3, sin_theta=st, g_chi=g, m_chi=0.2).partial_widths()["chi chi"])
        == 0.0
    )
    assert float(DarkScalar(m_s=m, sin_theta=st).invisible_branching_ratio()) == 0.0
    with pytest.raises(PhysicsDomainError):
        DarkScalar(m_s=m, sin_theta=st, g_chi=-1.0)
