import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import integrate

from darkscan.constants import ALPHA_EM, GEV2_TO_FB, HBARC_GEV_CM, M_E
from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.models.x17 import (
    X17,
    beam_energy_for_sqrt_s,
    bhabha_cross_section,
    bhabha_differential_cross_section,
    sqrt_s_fixed_target,
    vector_decay_acceptance,
)

BELLE2 = SimpleNamespace(sqrt_s=10.58, beta_gamma=0.28)


def test_fixed_target_kinematics_padme_range():
    # PADME Run III, arXiv:2505.24797 (abstract): E_beam 262-296 MeV <-> sqrt(s) 16.4-17.4 MeV
    np.testing.assert_allclose(sqrt_s_fixed_target([0.262, 0.296]), [0.0164, 0.0174], atol=5e-5)
    e = np.array([0.262, 0.280, 0.296])
    np.testing.assert_allclose(beam_energy_for_sqrt_s(sqrt_s_fixed_target(e)), e, rtol=1e-13)


def test_width_hand_value():
    # g^2 m / (12 pi) = 2.5e-7 * 0.0169 / 37.6991 = 1.120716e-10 GeV;
    # r = (m_e/m)^2 = 9.1425e-4, (1 + 2r) sqrt(1 - 4r) = 0.999995 -> 1.120710e-10 GeV
    x = X17(0.0169, 5e-4)
    assert float(x.width_ee()) == pytest.approx(1.120710e-10, rel=1e-6)
    assert float(x.ctau()) == pytest.approx(HBARC_GEV_CM / 1.120710e-10, rel=1e-6)
    # dark-photon form: g = eps e gives Gamma = alpha eps^2 m / 3 (1 + 2r) sqrt(1 - 4r)
    eps = 5e-4 / math.sqrt(4 * math.pi * ALPHA_EM)
    assert float(x.width_ee()) == pytest.approx(ALPHA_EM * eps**2 * 0.0169 / 3 * 0.999995, rel=1e-6)


def test_peak_and_unsmeared_line_shape():
    x = X17(0.017, 5e-4)
    k2 = 0.017**2 / 4 - M_E**2
    assert float(x.peak_cross_section()) == pytest.approx(3 * math.pi / k2 * GEV2_TO_FB, rel=1e-12)
    assert float(x.cross_section(0.017)) == pytest.approx(float(x.peak_cross_section()), rel=1e-12)
    half = float(x.width_ee()) / 2
    assert float(x.cross_section(0.017 + half)) == pytest.approx(
        0.5 * 3 * math.pi / (((0.017 + half) ** 2) / 4 - M_E**2) * GEV2_TO_FB, rel=1e-6
    )


def test_narrow_width_integral_matches_numerical_integration_unsmeared():
    # integrate the exact Breit-Wigner (as a function of E_beam) numerically over +-N half-widths
    # (broad coupling so that the line can be resolved); the Lorentzian weight inside is
    # (2/pi) atan(N) (analytic)
    x = X17(0.017, 0.05)
    e_res = float(x.resonance_beam_energy())
    hwhm = float(x.width_ee()) * 0.017 / (2 * M_E)
    n = 1000.0

    def f(e):
        return float(x.cross_section(sqrt_s_fixed_target(e)))

    pts = [e_res + k * hwhm for k in (-100, -10, -1, 0, 1, 10, 100)]
    val, _ = integrate.quad(
        f, e_res - n * hwhm, e_res + n * hwhm, points=pts, limit=500, epsrel=1e-10
    )
    inside = 2 / math.pi * math.atan(n)
    assert val == pytest.approx(float(x.integrated_cross_section()) * inside, rel=2e-4)


def test_integral_massless_limit_nardi():
    # Nardi et al. arXiv:1802.04756: sigma_res = pi g^2 / (2 m_e) delta(E - E_res) for m_e << m_x;
    # exact tree level: times (1 + 2r) / sqrt(1 - 4r), r = m_e^2 / m_x^2
    for m in (0.0164, 0.017, 0.0174):
        x = X17(m, 7e-4)
        r = M_E**2 / m**2
        nardi = math.pi * 49e-8 / (2 * M_E) * GEV2_TO_FB
        ratio = float(x.integrated_cross_section()) / nardi
        assert ratio == pytest.approx((1 + 2 * r) / math.sqrt(1 - 4 * r), rel=1e-12)
        assert ratio == pytest.approx(1.0, abs=5e-3)


def test_smeared_cross_section_integral_and_peak():
    x = X17(0.0169, 5e-4)
    e_res = float(x.resonance_beam_energy())
    spread = 0.0025 * e_res  # 0.25% beam-energy spread (PADME beam, arXiv:2405.07203)
    val, _ = integrate.quad(
        lambda e: float(x.cross_section_smeared(e, spread)),
        e_res - 12 * spread,
        e_res + 12 * spread,
        points=[e_res],
        epsrel=1e-10,
    )
    assert val == pytest.approx(float(x.integrated_cross_section()), rel=1e-6)
    # Gamma << spread: the peak is the Gaussian height times the narrow-width integral
    peak = float(x.cross_section_smeared(e_res, spread))
    assert peak == pytest.approx(
        float(x.integrated_cross_section()) / (math.sqrt(2 * math.pi) * spread), rel=1e-5
    )
    # one sigma off the peak: exp(-1/2)
    assert float(x.cross_section_smeared(e_res + spread, spread)) == pytest.approx(
        peak * math.exp(-0.5), rel=1e-5
    )


def test_bhabha_matches_mandelstam_form():
    # independent form: dsigma/dt = 2 pi alpha^2 / s^2 [(s^2+u^2)/t^2 + 2u^2/(st) + (t^2+u^2)/s^2]
    # (Peskin & Schroeder, Problem 5.2), dt = s/2 dcos
    rs = 0.017
    s = rs**2

    def mandelstam(c):
        t = -s * (1 - c) / 2
        u = -s * (1 + c) / 2
        dsdt = (
            2
            * math.pi
            * ALPHA_EM**2
            / s**2
            * ((s**2 + u**2) / t**2 + 2 * u**2 / (s * t) + (t**2 + u**2) / s**2)
        )
        return dsdt * s / 2 * GEV2_TO_FB

    rng = np.random.default_rng(5)
    cs = rng.uniform(-1, 0.99, 20)
    np.testing.assert_allclose(
        bhabha_differential_cross_section(rs, cs), [mandelstam(c) for c in cs], rtol=1e-12
    )
    for lo, hi in ((-0.5, 0.5), (-0.9, 0.99), (0.2, 0.95)):
        ref, _ = integrate.quad(mandelstam, lo, hi, epsrel=1e-12)
        assert float(bhabha_cross_section(rs, lo, hi)) == pytest.approx(ref, rel=1e-9)
    # scales as 1/s
    assert float(bhabha_cross_section(2 * rs, -0.5, 0.5)) == pytest.approx(
        float(bhabha_cross_section(rs, -0.5, 0.5)) / 4, rel=1e-12
    )


def test_vector_decay_acceptance():
    assert float(vector_decay_acceptance(-1, 1)) == pytest.approx(1.0, abs=1e-15)
    # 2 * 3/8 * (0.5 + 0.125/3) = 0.40625
    assert float(vector_decay_acceptance(-0.5, 0.5)) == pytest.approx(0.40625, rel=1e-14)


def test_normalised_yield():
    x = X17(0.0169, 5e-4)
    e_res = float(x.resonance_beam_energy())
    spread = 0.0025 * e_res
    acc = (-0.5, 0.5)
    g_r = float(x.normalised_yield(e_res, spread, cos_theta_cms=acc))
    bkg = float(bhabha_cross_section(sqrt_s_fixed_target(e_res), *acc))
    expected = 1 + float(x.cross_section_smeared(e_res, spread)) * 0.40625 / bkg
    assert g_r == pytest.approx(expected, rel=1e-12)
    assert g_r > 1.0
    # caller-supplied acceptance and background
    assert float(x.normalised_yield(e_res, spread, signal_acceptance=0.1, background=1e12)) == (
        pytest.approx(1 + float(x.cross_section_smeared(e_res, spread)) * 0.1 / 1e12, rel=1e-12)
    )
    # no coupling, or far from the resonance: g_R = 1
    assert float(X17(0.0169, 0.0).normalised_yield(e_res, spread, cos_theta_cms=acc)) == 1.0
    assert float(
        x.normalised_yield(e_res + 20 * spread, spread, cos_theta_cms=acc)
    ) == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ConfigError, match="cos_theta_cms"):
        x.normalised_yield(e_res, spread)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"m_x": 1e-3, "g_ve": 1e-4}, "m_x"), ({"m_x": 0.017, "g_ve": -1e-4}, "g_ve")],
)
def test_bad_parameters_raise(kwargs, name):
    with pytest.raises(PhysicsDomainError, match=name):
        X17(**kwargs)


def test_vectorised_over_mass_and_summary():
    masses = np.array([0.0165, 0.017, 0.0173])
    x = X17(masses, 5e-4)
    assert x.width_ee().shape == (3,)
    assert x.cross_section_smeared(0.28, 7e-4).shape == (3,)
    rows = {q.name: q for q in X17(0.017, 5e-4).summary(BELLE2)}
    assert rows["E_beam(resonance)"].value == pytest.approx(
        (0.017**2 - 2 * M_E**2) / (2 * M_E), rel=1e-12
    )
