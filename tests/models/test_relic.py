"""Tests of darkscan.models.relic (thermal freeze-out targets for dark-photon-mediated DM)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import simpson, solve_ivp
from scipy.special import kve

from darkscan.constants import ALPHA_EM, GEV2_TO_FB, M_MU
from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.models import relic
from darkscan.models.relic import (
    GEV2_TO_CM3_PER_S,
    annihilation_cross_section,
    effective_degrees_of_freedom,
    epsilon_for_thermal_target,
    relic_abundance,
    relic_abundance_constant_cross_section,
    thermal_target_y,
    thermally_averaged_cross_section,
)


# ------------------------------------------------------------------ degrees of freedom
def test_gstar_table_values():
    # Borsanyi et al. arXiv:1606.07494, Table S2: g_rho(T = 10 MeV) = 10.76; g_rho(1 GeV) = 73.48
    g, h, _ = effective_degrees_of_freedom(np.array([0.01, 1.0]))
    np.testing.assert_allclose(g, [10.76, 73.48], rtol=1e-6)
    np.testing.assert_allclose(h, [10.76 / 1.00048, 73.48 / 1.01778], rtol=1e-6)


# ------------------------------------------------------------------ cross sections
def test_cross_section_nonrelativistic_limits():
    # sigma v_rel -> 8 pi eps^2 alpha alpha_D m^2 v^2 / (3 (m_A^2 - 4 m^2)^2) for the scalar and
    # 16 pi eps^2 alpha alpha_D m^2 / (m_A^2 - 4 m^2)^2 for the Dirac fermion
    # (Izaguirre, Krnjaic, Schuster, Toro arXiv:1505.00011), e+e- only (m < m_mu), small width.
    m, ma, eps, ad = 0.05, 0.15, 1e-3, 1e-3
    beta = 1e-3
    sqrt_s = 2 * m / math.sqrt(1 - beta**2)
    v_rel = 2 * beta
    be = math.sqrt(1 - 4 * 0.000511**2 / sqrt_s**2)
    lepton = be * (3 - be**2) / 2
    for kind, ref in (
        (
            "complex-scalar",
            8 * math.pi * eps**2 * ALPHA_EM * ad * m**2 * v_rel**2 / (3 * (ma**2 - 4 * m**2) ** 2),
        ),
        ("dirac", 16 * math.pi * eps**2 * ALPHA_EM * ad * m**2 / (ma**2 - 4 * m**2) ** 2),
    ):
        sig = float(annihilation_cross_section(sqrt_s, m, kind, eps, ma, ad)) / GEV2_TO_FB
        assert sig * v_rel == pytest.approx(ref * lepton, rel=2e-3)
    # Majorana (axial coupling) has the same sigma as the complex scalar at fixed couplings
    s_maj = annihilation_cross_section(sqrt_s, m, "majorana", eps, ma, ad)
    s_sca = annihilation_cross_section(sqrt_s, m, "complex-scalar", eps, ma, ad)
    assert float(s_maj) == pytest.approx(float(s_sca), rel=2e-3)  # differ only by the A' width


def test_cross_section_zero_below_threshold_and_muon_channel():
    assert float(annihilation_cross_section(0.19, 0.1, "dirac", 1e-3, 0.3)) == 0.0
    lo = float(annihilation_cross_section(2 * M_MU - 1e-4, 0.1, "dirac", 1e-3, 0.3, 1e-3))
    hi = float(annihilation_cross_section(2 * M_MU + 0.05, 0.1, "dirac", 1e-3, 0.3, 1e-3))
    assert hi > lo  # mu+mu- opens


def _gg_thermal_average(m, x, kind, ratio, alpha_dark, y):
    """Independent evaluation of the Gondolo-Gelmini formula (cm^3/s): Simpson rule in
    E = sqrt(s) on a dense uniform grid (no substitution, point-wise sigma and R)."""
    eps = math.sqrt(y * ratio**4 / alpha_dark)
    t = m / x
    e = np.linspace(2 * m, 2 * m + 60 * t, 20001)[1:]
    sig = annihilation_cross_section(e, m, kind, eps, ratio * m, alpha_dark) / GEV2_TO_FB
    # sigma (s - 4 m^2) sqrt(s) K1(sqrt(s)/T) ds, ds = 2 E dE, K1 scaled by exp(-(E - 2m)/T)
    integrand = sig * (e**2 - 4 * m**2) * e * kve(1, e / t) * np.exp(-(e - 2 * m) / t) * 2 * e
    val = simpson(integrand, x=e)
    return val / (8 * m**4 * t * kve(2, x) ** 2) * GEV2_TO_CM3_PER_S


@pytest.mark.parametrize(
    ("m", "x", "kind"),
    [
        (0.1, 20.0, "complex-scalar"),
        (0.1, 3.0, "dirac"),
        (0.35, 15.0, "majorana"),
        (0.45, 25.0, "complex-scalar"),
    ],
)
def test_thermal_average_matches_independent_quadrature(m, x, kind):
    ours = float(thermally_averaged_cross_section(m, x, kind, 1e-9))
    ref = _gg_thermal_average(m, x, kind, 3.0, 0.5, 1e-9)
    assert ours == pytest.approx(ref, rel=2e-3)


def test_thermal_average_nonrelativistic_limit():
    # x -> infinity: <sigma v> -> (sigma v)_NR with <v_rel^2> = 6/x for p-wave (first
    # relativistic correction O(1/x)); e+e- final state only at m = 50 MeV. The A' width
    # enters the propagator at s = 4 m^2: (m_A^2 - 4m^2)^2 -> (m_A^2 - 4m^2)^2 + m_A^2 Gamma^2
    # with Gamma(A' -> phi phi*) = alpha_D m_A beta^3 / 12 and
    # Gamma(A' -> chi chi-bar) = alpha_D m_A (1 + 2 m^2/m_A^2) beta / 3 (tree level).
    m, x, y, r, ad = 0.05, 2000.0, 1e-11, 3.0, 0.5
    ma = r * m
    eps2ad = y * r**4
    beta = math.sqrt(1 - 4 / r**2)
    d2 = (ma**2 - 4 * m**2) ** 2
    gam_s = ad * ma * beta**3 / 12
    gam_d = ad * ma * (1 + 2 / r**2) * beta / 3
    pwave = 8 * math.pi * ALPHA_EM * eps2ad * m**2 / (3 * (d2 + (ma * gam_s) ** 2)) * 6 / x
    swave = 16 * math.pi * ALPHA_EM * eps2ad * m**2 / (d2 + (ma * gam_d) ** 2)
    got_p = float(thermally_averaged_cross_section(m, x, "complex-scalar", y)) / GEV2_TO_CM3_PER_S
    got_s = float(thermally_averaged_cross_section(m, x, "dirac", y)) / GEV2_TO_CM3_PER_S
    assert got_p == pytest.approx(pwave, rel=5e-3)
    assert got_s == pytest.approx(swave, rel=5e-3)


# ------------------------------------------------------------------ Boltzmann solver
def test_boltzmann_solver_matches_radau():
    m, kind, y = 0.1, "complex-scalar", 1.7e-9
    xg = relic._x_grid()
    per_y, g_eq = relic._sigma_eff_per_y(
        np.array([m]), kind, np.array([3.0]), np.array([0.5]), 0.0, xg
    )
    sig = per_y[0] * y

    def rhs(x, yy):
        _, h, gh = effective_degrees_of_freedom(m / x)
        s_eff = np.exp(np.interp(np.log(x), np.log(xg), np.log(sig)))
        lam = math.sqrt(math.pi / 45) * relic.M_PLANCK * gh * m / x**2 * s_eff
        return -lam * (yy**2 - relic._y_equilibrium(x, 2.0, h) ** 2)

    _, h0, _ = effective_degrees_of_freedom(m / xg[0])
    y0 = float(relic._y_equilibrium(xg[0], 2.0, h0))
    sol = solve_ivp(rhs, (xg[0], xg[-1]), [y0], method="Radau", rtol=1e-9, atol=1e-30)
    ours = relic._solve_yield(np.array([m]), xg, per_y * y, g_eq)[0]
    assert ours == pytest.approx(sol.y[0, -1], rel=1e-3)


def test_s_wave_wimp_benchmark():
    # Steigman, Dasgupta, Beacom arXiv:1204.3622 (abstract): a self-conjugate WIMP with
    # <sigma v> = 2.2e-26 cm^3/s for m > 10 GeV, and 5.2e-26 cm^3/s at m ~ 0.3 GeV, gives
    # their (WMAP-era) Omega h^2 = 0.11. Different g_*(T) (they used older tables; we use the
    # lattice one of arXiv:1606.07494) moves Omega by up to ~10 % (Drees, Hajkarim, Schmitz
    # arXiv:1503.03513). Tolerance: 12 %.
    omega = relic_abundance_constant_cross_section(
        np.array([100.0, 0.3]), np.array([2.2e-26, 5.2e-26])
    )
    np.testing.assert_allclose(omega, 0.11, rtol=0.12)
    # Omega ~ 1 / <sigma v> (up to the logarithm in x_f)
    o1, o2 = relic_abundance_constant_cross_section(100.0, np.array([2e-26, 4e-26]))
    assert o1 / o2 == pytest.approx(2.0, rel=0.05)
    # a Dirac WIMP (g = 4, n counts both) with twice the chi chi-bar cross section is
    # equivalent up to the ln 2 shift of x_f (~ 1/x_f ~ 4 %)
    od = relic_abundance_constant_cross_section(100.0, 4.4e-26, g_chi=4.0, self_conjugate=False)
    assert float(od) == pytest.approx(float(omega[0]), rel=0.05)


# ------------------------------------------------------------------ thermal targets
MASSES = np.geomspace(0.01, 3.0, 50)


def test_target_curve_runtime_and_monotonic():
    import time

    t0 = time.perf_counter()
    y = thermal_target_y(MASSES, "complex-scalar")
    assert time.perf_counter() - t0 < 5.0
    assert y.shape == MASSES.shape
    # y grows with m_chi (sigma v ~ y / m^2 at fixed x_f) away from thresholds/resonances:
    # below the mu+mu- threshold and between the phi and the J/psi; dips at the mu mu
    # threshold, rho/omega, phi and J/psi (2 m_chi ~ M_V) are physical (resonant annihilation).
    below_mu = MASSES < 0.09
    continuum = (MASSES > 0.75) & (MASSES < 1.3)
    assert np.all(np.diff(y[below_mu]) > 0)
    assert np.all(np.diff(y[continuum]) > 0)
    # at fixed x_f, y / m^2 is nearly constant below the muon threshold (within 40 %)
    ratio = y[below_mu] / MASSES[below_mu] ** 2
    assert ratio.max() / ratio.min() < 1.4
    # and gives Omega h^2 = 0.120 when fed back
    np.testing.assert_allclose(
        relic_abundance(MASSES[::10], y[::10], "complex-scalar"), 0.120, rtol=1e-4
    )


def test_target_ordering_of_kinds():
    m = np.array([0.02, 0.2, 2.0])
    ys = thermal_target_y(m, "complex-scalar")
    ym = thermal_target_y(m, "majorana")
    yp = thermal_target_y(m, "pseudo-dirac")
    # same sigma(s) for scalar and Majorana, but self-conjugate Majorana annihilates twice as
    # often per particle pair: y_M ~ y_S / 2 (the A' widths differ slightly)
    np.testing.assert_allclose(ym / ys, 0.5, rtol=0.05)
    # s-wave pseudo-Dirac needs a much smaller coupling (factor ~10-30)
    assert np.all(yp < ys / 10)


def test_pseudo_dirac_s_wave_target_semi_analytic():
    # For s-wave annihilation the target is the y for which the NR cross section equals the
    # constant <sigma v> that gives Omega h^2 = 0.120 (solved with the same Boltzmann code);
    # Dirac / pseudo-Dirac at m = 50 MeV (e+e- only), relativistic corrections < 2 %.
    m, r = 0.05, 3.0
    y = float(thermal_target_y(m, "pseudo-dirac", ratio=r))
    # constant cross section giving 0.120 for g = 4, non-self-conjugate: find by scaling
    sv = 6e-26
    for _ in range(6):
        sv *= (
            float(relic_abundance_constant_cross_section(m, sv, g_chi=4.0, self_conjugate=False))
            / 0.120
        )
    y_analytic = sv / GEV2_TO_CM3_PER_S * (r**2 - 4) ** 2 * m**2 / (16 * math.pi * ALPHA_EM * r**4)
    assert y == pytest.approx(y_analytic, rel=0.03)


def test_pseudo_dirac_splitting_raises_target():
    y0 = float(thermal_target_y(0.1, "pseudo-dirac", splitting=0.0))
    y1 = float(thermal_target_y(0.1, "pseudo-dirac", splitting=0.1))
    # co-annihilation switches off as chi_2 becomes Boltzmann suppressed: larger y needed
    assert y1 > 1.5 * y0
    # zero splitting is the Dirac fermion
    assert y0 == pytest.approx(float(thermal_target_y(0.1, "dirac")), rel=1e-6)


def test_epsilon_for_thermal_target_consistent():
    eps = epsilon_for_thermal_target(np.array([0.05, 0.5]), np.array([0.15, 1.5]), 0.5, "majorana")
    y = thermal_target_y(np.array([0.05, 0.5]), "majorana", ratio=3.0, alpha_dark=0.5)
    np.testing.assert_allclose(eps**2 * 0.5 / 3.0**4, y, rtol=1e-6)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((-0.1, "complex-scalar"), {}),
        ((0.001, "complex-scalar"), {}),
        ((20.0, "complex-scalar"), {}),
        ((float("nan"), "majorana"), {}),
        ((0.1, "majorana"), {"ratio": 1.5}),
        ((0.1, "majorana"), {"alpha_dark": -0.5}),
        ((0.1, "pseudo-dirac"), {"splitting": -0.1}),
    ],
)
def test_bad_input_raises(args, kwargs):
    with pytest.raises(PhysicsDomainError):
        thermal_target_y(*args, **kwargs)


def test_bad_kind_and_cross_section_input():
    with pytest.raises(ConfigError):
        thermal_target_y(0.1, "wimp")
    with pytest.raises(PhysicsDomainError):
        annihilation_cross_section(0.3, 0.1, "dirac", float("inf"), 0.3)
    with pytest.raises(PhysicsDomainError):
        relic_abundance_constant_cross_section(100.0, -1e-26)
