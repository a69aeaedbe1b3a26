"""Tests of the hadronic R ratio parametrisation (darkscan.models.hadronic_r)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from darkscan.constants import ALPHA_EM, M_PI, M_Z
from darkscan.errors import PhysicsDomainError
from darkscan.models import hadronic_r as hr

# ---------------------------------------------------------------------------------------
# Comparison with measurements / the PDG compilation


def test_r_at_10p52_gev_matches_cleo():
    # CLEO, Ammar et al., PRD 57 (1998) 1350, hep-ex/9707018 (abstract):
    # R(10.52 GeV) = 3.56 +- 0.01 (stat) +- 0.07 (syst).
    assert hr.r_ratio(10.52) == pytest.approx(3.56, abs=0.07)


@pytest.mark.parametrize("sqrt_s", [2.0, 2.5, 3.0, 3.5])
def test_r_between_2_and_3p5_gev(sqrt_s):
    # PDG review "Plots of cross sections and related quantities", R(s) compilation:
    # R ~ 2.2 between 2 and 3.5 GeV (BES, KEDR points; read off the plot, +-0.2 covers the
    # spread of the data points and the reading).
    assert hr.r_ratio(sqrt_s) == pytest.approx(2.2, abs=0.2)


def test_r_at_5_gev_above_open_charm():
    # PDG R(s) compilation: 3.6-3.9 at 5 GeV (read off the plot); we accept the band.
    assert 3.55 <= hr.r_ratio(5.0) <= 3.9


def test_alpha_s_inputs_and_cleo_extraction():
    # Input of the running: alpha_s(M_Z) = 0.118 (PDG 2022 world average 0.1179(9)).
    assert hr.alpha_s(M_Z) == pytest.approx(0.118, abs=1e-5)
    # CLEO hep-ex/9707018: alpha_s(10.52 GeV) = 0.20 +- 0.01 +- 0.06 (from R).
    assert hr.alpha_s(10.52) == pytest.approx(0.20, abs=0.061)


# ---------------------------------------------------------------------------------------
# Analytic properties


@pytest.mark.parametrize("mu", [1.0, 3.0, 6.0, 20.0])
def test_alpha_s_solves_two_loop_rge(mu):
    # PDG QCD review eq. (9.3): mu^2 d alpha/d mu^2 = -(b0 a^2 + b1 a^3), nf = 3, 4, 5.
    nf = 3 + (mu > 1.27) + (mu > 4.18)
    b0 = (33 - 2 * nf) / (12 * math.pi)
    b1 = (153 - 19 * nf) / (24 * math.pi**2)
    h = 1e-3
    a = hr.alpha_s(mu)
    deriv = (hr.alpha_s(mu * math.exp(h)) - hr.alpha_s(mu * math.exp(-h))) / (4 * h)
    assert deriv == pytest.approx(-(b0 * a**2 + b1 * a**3), rel=2e-3)


@pytest.mark.parametrize("res", hr.NARROW_RESONANCES[:5], ids=lambda v: v.name)
def test_narrow_resonance_integral(res):
    # Narrow-width result int sigma_had d sqrt(s) = 6 pi^2 Gamma_ee B_had / M^2 (integral of
    # a Breit-Wigner: ds = 2M d sqrt(s), int ds/((s-M^2)^2 + M^2 G^2) = pi/(M G)).
    expected = 6 * math.pi**2 * res.gamma_ee * res.b_had / res.mass**2
    half = res.width / 2

    def integrand(phi):  # sqrt(s) = M + (Gamma/2) tan(phi): flattens the peak
        e = res.mass + half * math.tan(phi)
        return hr.resonance_cross_section(e, res) * half / math.cos(phi) ** 2

    lo = math.atan((0.5 * res.mass - res.mass) / half)
    hi = math.atan((1.5 * res.mass - res.mass) / half)
    value, _err = quad(integrand, lo, hi, epsabs=0, epsrel=1e-10, limit=200)
    # Tails beyond +-M/2 carry a fraction ~ Gamma/(pi M/2) < 2e-5.
    assert value == pytest.approx(expected, rel=1e-3)


def test_r_ratio_contains_the_narrow_peak():
    # At the J/psi mass the Breit-Wigner peak adds sigma_peak/sigma_pt = 9 B_ee B_had/alpha^2
    # (12 pi B_ee B_had/M^2 divided by 4 pi alpha^2/(3 M^2)) on top of the continuum.
    jpsi = hr.NARROW_RESONANCES[0]
    b_ee = jpsi.gamma_ee / jpsi.width
    peak = 9 * b_ee * jpsi.b_had / ALPHA_EM**2
    assert hr.r_ratio(jpsi.mass) == pytest.approx(peak + hr.r_perturbative(jpsi.mass), rel=1e-3)


def test_phi_peak():
    # At M_phi the phi adds 9 B_ee (1 - B_ee - B_mumu)/alpha^2 (PDG 2022: B_ee = 2.974e-4,
    # B_mumu = 2.86e-4, everything else hadronic) on top of the pi+pi- continuum
    # beta^3 |F_pi|^2 / 4; the omega tail there is < 1e-2.
    m_phi = hr._M_PHI
    b_ee = 2.974e-4
    phi_part = 9 * b_ee * (1 - b_ee - 2.86e-4) / ALPHA_EM**2
    beta2 = 1 - 4 * M_PI**2 / m_phi**2
    pipi = beta2**1.5 * abs(hr.pion_form_factor(m_phi)) ** 2 / 4
    # Channels not in the model (B(phi -> other hadrons) = 0.4%) set the tolerance.
    assert hr.r_vector_meson_dominance(m_phi) == pytest.approx(phi_part + pipi, rel=6e-3)


def test_two_pion_region_is_the_pion_form_factor():
    # Between 2 m_pi and 3 m_pi: sigma(pi+pi-) = pi alpha^2 beta^3 |F_pi|^2 / (3 s), the
    # lowest-order scalar-QED pair cross section times |F_pi|^2 (analytic), i.e.
    # R = beta^3 |F|^2/4; the omega -> pi0 gamma tail is < 1e-4 of it.
    e = np.array([0.30, 0.35, 0.40])
    beta3 = (1 - 4 * M_PI**2 / e**2) ** 1.5
    expected = beta3 * np.abs(hr.pion_form_factor(e)) ** 2 / 4
    np.testing.assert_allclose(hr.r_vector_meson_dominance(e), expected, rtol=1e-3)


def test_below_two_pions_only_radiative_tails():
    # Below 2 m_pi only omega -> pi0 gamma (threshold 0.135 GeV) and far resonance tails.
    e = np.linspace(0.01, 2 * M_PI * 0.999, 50)
    r = hr.r_ratio(e)
    assert np.all(r >= 0)
    assert np.all(r < 1e-5)


def test_heavy_quark_factor_limits():
    a = 0.2 / math.pi
    # Massless limit (beta -> 1): f -> 1 (the O(alpha_s) term becomes the massless a).
    assert hr._heavy_quark_factor(np.array(1000.0), 1e-3, a) == pytest.approx(1.0, abs=1e-9)
    # Threshold (Coulomb term fully on): f (1 + a)/v - 1 -> (4/3) alpha_s pi/(2 beta),
    # the Sommerfeld factor expanded to O(alpha_s).
    thr = 1.0e5
    e = np.array(thr + hr.COULOMB_TURN_ON + 1e-6)
    beta = math.sqrt(1 - thr**2 / e**2)
    v = beta * (3 - beta**2) / 2
    corr = hr._heavy_quark_factor(e, thr, a) * (1 + a) / v - 1
    assert corr * beta == pytest.approx(4 / 3 * 0.2 * math.pi / 2, rel=5e-3)


@pytest.mark.parametrize("edge", [hr.TRANSITION[0], hr.TRANSITION[1], 2 * hr._M_D0, 2 * hr._M_B0])
def test_r_is_continuous_at_the_seams(edge):
    d = 1e-7
    lo, hi = hr.r_ratio(edge - d), hr.r_ratio(edge + d)
    # sqrt(beta) rise at open flavour: |dR| ~ (4/3) * 1.5 * sqrt(2 d / edge) < 1e-2
    assert abs(hi - lo) < 1e-2


def test_r_positive_finite_and_vectorised():
    rng = np.random.default_rng(7)
    e = rng.uniform(0.05, 12.0, size=(40, 5))
    r = hr.r_ratio(e)
    assert r.shape == e.shape
    assert np.all(np.isfinite(r)) and np.all(r >= 0)
    scalar = np.array([hr.r_ratio(float(x)) for x in e.ravel()]).reshape(e.shape)
    np.testing.assert_allclose(r, scalar, rtol=1e-12)


# ---------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize("bad", [-1.0, 0.0, math.nan, math.inf, 41.0])
def test_bad_sqrt_s(bad):
    with pytest.raises(PhysicsDomainError, match="sqrt_s"):
        hr.r_ratio(bad)


def test_bad_alpha_s_scale():
    with pytest.raises(PhysicsDomainError, match="mu"):
        hr.alpha_s(0.5)


def test_gounaris_sakurai_real_part_has_unit_slope_at_the_pole():
    # GS construction (PRL 21 (1968) 244): 1/BW = (M^2 - s + f(s) - i M Gamma(s)) / C with
    # f(M^2) = 0 and f'(M^2) = 0. Hence Re(1/BW) vanishes at M^2 with slope -1/C, where
    # C = -M Gamma / Im(1/BW(M^2)). The slope tests the analytic h'(M^2) used in f.
    m, w = hr._M_RHO, hr._W_RHO

    def inverse(s):
        return 1 / hr._gs_propagator(np.array(s), m, w)

    c = -m * w / inverse(m**2).imag
    ds = 1e-6
    slope = (inverse(m**2 + ds).real - inverse(m**2 - ds).real) / (2 * ds)
    assert abs(inverse(m**2).real) < 1e-12
    assert slope * c == pytest.approx(-1.0, rel=1e-6)
