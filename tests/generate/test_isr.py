"""Tests of the electron structure function, its sampler and the ISR convolution."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from darkscan.constants import ALPHA_EM, M_E
from darkscan.errors import PhysicsDomainError
from darkscan.generate.isr import (
    convolve_isr,
    hard_isr_photon_angle_cdf,
    hard_isr_photon_factor,
    isr_beta,
    isr_photon_angle_cdf,
    isr_photons,
    isr_photons_with_angles,
    sample_energy_fraction,
    sample_hard_isr_photon_cos_theta,
    sample_isr_fractions,
    sample_isr_photon_cos_theta,
    structure_function,
    structure_function_cdf,
)
from darkscan.generate.phasespace import boost, invariant_mass

S = 10.58**2
BETA = 2.0 * ALPHA_EM / math.pi * (math.log(S / M_E**2) - 1.0)  # Kuraev-Fadin exponent


def test_beta_value():
    assert isr_beta(S) == pytest.approx(BETA, rel=1e-14)
    assert 0.087 < isr_beta(S) < 0.088  # 2 alpha/pi (ln(s/m_e^2) - 1) at 10.58 GeV


def _d_regular(x):
    """D(x) / (1-x)^(beta/2 - 1): the smooth part, for quad's algebraic weight."""
    b = BETA / 2
    return b * (1 + 3 * BETA / 8) - BETA / 4 * (1 + x) * (1 - x) ** (1 - b)


def test_normalisation_by_independent_quadrature():
    # int_0^1 D dx = 1 exactly at the order kept; quad integrates the x -> 1 singularity
    # with the algebraic weight (1-x)^(beta/2 - 1)
    val, _ = integrate.quad(_d_regular, 0, 1, weight="alg", wvar=(0.0, BETA / 2 - 1))
    assert val == pytest.approx(1.0, abs=1e-7)  # a wrong O(beta) term would give ~1e-2
    for x in (0.1, 0.5, 0.9, 0.999):
        part, _ = integrate.quad(lambda v: structure_function(v, S), 0, x, epsabs=1e-13, limit=200)
        assert structure_function_cdf(x, S) == pytest.approx(part, rel=1e-7)


def test_structure_function_positive_and_matches_formula():
    x = np.linspace(0, 0.999999, 1001)
    d = structure_function(x, S)
    assert np.all(d > 0)
    b = BETA / 2
    expected = b * (1 - x) ** (b - 1) * (1 + 3 * BETA / 8) - BETA / 4 * (1 + x)
    np.testing.assert_allclose(d, expected, rtol=1e-14)


def test_sampler_matches_analytic_distribution():
    rng = np.random.default_rng(11)
    n = 400_000
    x = sample_energy_fraction(rng, n, S)
    assert np.all((x >= 0) & (x <= 1))
    y = 1.0 - x
    # logarithmic bins in the radiated fraction y = 1 - x, plus the y < 1e-12 bin
    edges_y = np.concatenate([[0.0], np.logspace(-12, 0, 25)])
    observed, _ = np.histogram(y, edges_y)
    cdf_y = 1.0 - structure_function_cdf(1.0 - edges_y, S)  # P(1 - x < y)
    expected = n * np.diff(cdf_y)
    chi2 = float(np.sum((observed - expected) ** 2 / expected))
    assert stats.chi2.sf(chi2, observed.size - 1) > 1e-3
    # mean radiated fraction: <1-x> = (1 + 3b/8) b'/(1 + b') - (beta/4)(2/3), b' = beta/2
    b = BETA / 2
    mean_y = (1 + 3 * BETA / 8) * b / (1 + b) - BETA / 4 * 2 / 3
    assert y.mean() == pytest.approx(mean_y, abs=5 * y.std() / math.sqrt(n))


def test_same_seed_same_fractions():
    a = sample_isr_fractions(np.random.default_rng(5), 1000, S)
    b = sample_isr_fractions(np.random.default_rng(5), 1000, S)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_convolution_constant_and_threshold():
    assert convolve_isr(lambda sp: np.ones_like(sp), S) == pytest.approx(1.0, abs=1e-10)
    # with s' > z s: int_z^1 dx1 D(x1) [1 - F(z / x1)], independent 1-d quadrature
    z = 0.3

    def inner(x1):
        return structure_function(x1, S) * (1.0 - structure_function_cdf(z / x1, S))

    ref = integrate.quad(inner, z, 0.999, limit=200, epsabs=1e-13)[0]
    ref += integrate.quad(
        lambda x1: _d_regular(x1) * (1.0 - structure_function_cdf(z / x1, S)),
        0.999,
        1.0,
        weight="alg",
        wvar=(0.0, BETA / 2 - 1),
    )[0]
    got = convolve_isr(lambda sp: np.ones_like(sp), S, z * S)
    assert got == pytest.approx(ref, rel=1e-7)


def test_convolution_against_monte_carlo():
    rng = np.random.default_rng(12)
    x1, x2 = sample_isr_fractions(rng, 2_000_000, S)
    sp = x1 * x2 * S
    m2 = 1.0
    s_min = 1.2
    # smooth 1/s' and a 1/(s' - m^2) rise towards threshold (soft recoil photon)
    for func, pole in ((lambda v: S / v, None), (lambda v: 1.0 / (v - m2), m2)):
        values = np.where(sp >= s_min, func(np.maximum(sp, s_min)), 0.0)
        mc, err = values.mean(), values.std() / math.sqrt(values.size)
        quad = convolve_isr(func, S, s_min, s_hat_pole=pole)
        assert abs(quad - mc) < 4 * err
        assert err / mc < 0.01
    # pole mode converges: 48 vs 96 nodes agree to 1e-5
    f = lambda v: 1.0 / (v - m2)  # noqa: E731
    a = convolve_isr(f, S, s_min, s_hat_pole=m2)
    b = convolve_isr(f, S, s_min, s_hat_pole=m2, n_nodes=48)
    assert a == pytest.approx(b, rel=1e-5)


def test_isr_photons_conserve_momentum():
    rng = np.random.default_rng(13)
    x1, x2 = sample_isr_fractions(rng, 1000, S)
    photons, beta_z = isr_photons(x1, x2, math.sqrt(S))
    root = np.sqrt(x1 * x2 * S)
    system = boost(
        np.column_stack([root, np.zeros((1000, 3))]),
        np.column_stack([np.zeros(1000), np.zeros(1000), beta_z]),
    )
    total = system + photons.sum(axis=1)
    np.testing.assert_allclose(total, np.tile([math.sqrt(S), 0, 0, 0], (1000, 1)), atol=1e-10)
    np.testing.assert_allclose(invariant_mass(photons[:, 0]), 0.0, atol=1e-6)


def test_bad_input():
    with pytest.raises(PhysicsDomainError, match="x = "):
        structure_function(1.0, S)
    with pytest.raises(PhysicsDomainError, match="s = "):
        isr_beta(-1.0)
    with pytest.raises(PhysicsDomainError, match="s_min"):
        convolve_isr(lambda v: v, S, 2 * S)
    with pytest.raises(PhysicsDomainError, match="s_hat_pole"):
        convolve_isr(lambda v: v, S, 1.0, s_hat_pole=2.0)


# ------------------------------------------------------------- ISR photon angles (eikonal law)
def test_photon_angle_cdf_normalisation_matches_structure_function_exponent():
    # Independent quadrature of f(c) = (1 - c^2)/(1 - b^2 c^2)^2 (Peskin-Schroeder eq. 6.17
    # for back-to-back beams); 2 alpha/pi times its integral is the Kuraev-Fadin exponent
    # 2 alpha/pi (ln(s/m_e^2) - 1) up to O(m_e^2/s).
    root = math.sqrt(S)
    b = math.sqrt(1 - 4 * M_E**2 / S)
    f = lambda c: (1 - c * c) / (1 - b * b * c * c) ** 2  # noqa: E731
    pts = [1 - 10.0**-k for k in range(1, 9)]
    val = 2 * integrate.quad(f, 0, 1, points=pts, limit=500, epsabs=0, epsrel=1e-11)[0]
    total = isr_photon_angle_cdf(1.0, root) - isr_photon_angle_cdf(-1.0, root)
    assert total == pytest.approx(val, rel=1e-8)
    assert 2 * ALPHA_EM / math.pi * total == pytest.approx(isr_beta(S), rel=1e-6)


def test_photon_angle_sampler_chi2_against_cdf():
    rng = np.random.default_rng(5)
    n = 400_000
    c = sample_isr_photon_cos_theta(rng, n, math.sqrt(S))
    # bins uniform in log10(1 - |c|) from the collinear peak (1 - c ~ m_e^2/2E^2 ~ 5e-9) out to
    # 90 degrees, where dN/dtheta ~ 1/theta spreads photons over all decades
    edges_u = np.concatenate([[0.0], np.logspace(-10, 0, 21)])
    cdf_pos = isr_photon_angle_cdf(1.0 - edges_u, math.sqrt(S))
    total = isr_photon_angle_cdf(1.0, math.sqrt(S)) - isr_photon_angle_cdf(-1.0, math.sqrt(S))
    expected = 2 * n * -np.diff(cdf_pos) / total  # both signs fold onto |c|
    observed = np.histogram(1.0 - np.abs(c), bins=edges_u)[0]
    keep = expected > 20
    chi2 = np.sum((observed[keep] - expected[keep]) ** 2 / expected[keep])
    ndf = int(keep.sum()) - 1
    assert chi2 / ndf < 2.0  # p ~ 1e-3 for ndf ~ 18
    assert abs(np.mean(c > 0) - 0.5) < 0.005  # symmetric law
    # A sizeable share of photons is at large angle: the fraction beyond 17 degrees of its
    # beam equals the analytic CDF value; away from the peak f ~ 1/(1 - c^2), so the share is
    # about 2 artanh(cos 17 deg)/(ln(s/m_e^2) - 1) = 0.201.
    c17 = math.cos(math.radians(17))
    frac = 2 * (isr_photon_angle_cdf(c17, math.sqrt(S)) - isr_photon_angle_cdf(0.0, math.sqrt(S)))
    frac /= total
    assert np.mean(np.abs(c) < c17) == pytest.approx(frac, abs=5 * math.sqrt(frac / n))
    lead_log = 2 * math.atanh(c17) / (math.log(S / M_E**2) - 1)
    assert frac == pytest.approx(lead_log, rel=0.01)


def test_isr_photons_with_angles_conserve_momentum_and_hard_mass():
    rng = np.random.default_rng(21)
    n = 20_000
    x1, x2 = sample_isr_fractions(rng, n, S)
    root = math.sqrt(S)
    photons, beta = isr_photons_with_angles(rng, x1, x2, root)
    m_hat = np.sqrt(x1 * x2 * S)
    system = boost(np.column_stack([m_hat, np.zeros((n, 3))]), beta)
    total = system + photons.sum(axis=1)
    np.testing.assert_allclose(total, np.tile([root, 0, 0, 0], (n, 1)), atol=1e-9)
    np.testing.assert_allclose(invariant_mass(photons[:, 0]), 0.0, atol=1e-6)
    assert np.all(photons[:, 0, 3] >= 0) and np.all(photons[:, 1, 3] <= 0)  # hemispheres
    # energies are scaled by one factor lambda <= 1; lambda = 1 when one beam radiates
    lam = photons[:, 0, 0] / np.where(x1 < 1, (1 - x1) * root / 2, np.nan)
    assert np.nanmax(lam) <= 1 + 1e-12 and np.nanmedian(lam) > 0.999999
    ph1, _ = isr_photons_with_angles(rng, x1, np.ones(n), root)
    np.testing.assert_allclose(ph1[:, 0, 0], (1 - x1) * root / 2, rtol=1e-12)
    assert not np.any(ph1[:, 1, 0])


def test_isr_photons_with_angles_collinear_limit_reproduces_isr_photons():
    # with every photon within ~m_e/E of its beam the general velocity approaches the
    # collinear (x1 - x2)/(x1 + x2) of isr_photons
    rng = np.random.default_rng(8)
    x1, x2 = sample_isr_fractions(rng, 50_000, S)
    _, beta = isr_photons_with_angles(rng, x1, x2, math.sqrt(S))
    _, beta_z = isr_photons(x1, x2, math.sqrt(S))
    close = np.median(np.abs(beta[:, 2] - beta_z))
    assert close < 1e-6


# ------------------------------------------------ hard ISR photons: the O(alpha) angular law
def test_hard_angle_law_reproduces_binner_kuehn_melnikov():
    # Binner, Kuehn, Melnikov, hep-ph/9902399, eq. 2 integrated over |cos| < c0 (massless):
    # int dc [(s^2+Q^4)/(s(s-Q^2)) / (1-c^2) - (s-Q^2)/(2s)] = P ln((1+c0)/(1-c0)) - x c0,
    # P = (1 + (1-x)^2)/x; our density is 2x times it (mass terms ~ m_e^2/s: < 1e-6)
    root = 10.58
    for deg in (17.0, 35.0, 60.0):
        c0 = math.cos(math.radians(deg))
        for x in (0.05, 0.5, 0.95, 1.0):
            ours = hard_isr_photon_angle_cdf(c0, x, root) - hard_isr_photon_angle_cdf(-c0, x, root)
            bkm = (1 + (1 - x) ** 2) / x * math.log((1 + c0) / (1 - c0)) - x * c0
            assert ours == pytest.approx(2 * x * bkm, rel=1e-6)


def test_hard_angle_law_soft_limit_and_density():
    root = 10.58
    c = np.linspace(-0.99, 0.99, 41)
    # soft limit: 4 x the eikonal CDF (analytic, x -> 0 of (2-x)^2 + x^2 b^2 c^2)
    np.testing.assert_allclose(
        hard_isr_photon_angle_cdf(c, 0.0, root), 4 * isr_photon_angle_cdf(c, root), rtol=1e-12
    )
    # the CDF's derivative is the stated density (central differences, independent check)
    x, h = 0.8, 1e-6
    num = (
        hard_isr_photon_angle_cdf(c + h, x, root) - hard_isr_photon_angle_cdf(c - h, x, root)
    ) / (2 * h)
    dens = ((2 - x) ** 2 + x * x * c * c) / (1 - c * c)  # b = 1 up to 1e-8 off c = +-1
    np.testing.assert_allclose(num, dens, rtol=1e-6)


def test_hard_angle_law_is_the_gamma_gamma_star_matrix_element():
    # massless e+e- -> gamma gamma*(Q^2): |M|^2 ~ u/t + t/u + 2 s Q^2/(u t) with
    # t = -s x (1 - c)/2, u = -s x (1 + c)/2, Q^2 = s (1 - x) (independent algebra);
    # x^2 |M|^2 / 2 must equal the bracket of our density, [(2 - x)^2 + x^2 c^2]/(1 - c^2)
    s = 10.58**2
    c = np.linspace(-0.95, 0.95, 39)
    for x in (0.1, 0.5, 0.9, 1.0):
        t, u, q2 = -s * x * (1 - c) / 2, -s * x * (1 + c) / 2, s * (1 - x)
        me = u / t + t / u + 2 * s * q2 / (u * t)
        np.testing.assert_allclose(
            x * x * me / 2, ((2 - x) ** 2 + x * x * c * c) / (1 - c * c), rtol=1e-12
        )


def test_hard_law_sampler_follows_its_cdf_and_factor_bounds():
    # sample_hard_isr_photon_cos_theta against hard_isr_photon_angle_cdf at fixed x (PIT
    # chi2 over |c| < 0.99), and the accept factor between 1/2 and 1 (analytic bounds)
    rng = np.random.default_rng(4)
    root = math.sqrt(S)
    for x in (0.3, 0.9):
        c = np.abs(sample_hard_isr_photon_cos_theta(rng, np.full(200_000, x), root))
        c = c[c < 0.99]
        g0, g1 = hard_isr_photon_angle_cdf(0.0, x, root), hard_isr_photon_angle_cdf(0.99, x, root)
        u = (hard_isr_photon_angle_cdf(c, x, root) - g0) / (g1 - g0)
        obs = np.histogram(u, bins=10, range=(0, 1))[0]
        chi2 = np.sum((obs - u.size / 10) ** 2 / (u.size / 10))
        assert chi2 < stats.chi2.ppf(0.999, 9)
    r = hard_isr_photon_factor(np.array([0.0, 1.0, 1.0, 0.5]), np.array([0.0, 0.0, 1.0, 0.3]), root)
    assert r[0] == 1.0 and r[1] == pytest.approx(0.5, abs=1e-12)
    assert r[2] == pytest.approx(1.0, abs=1e-8) and 0.5 < r[3] < 1.0
    # the photons of isr_photons_with_angles(hard_law=True) follow the same law
    x1 = np.full(100_000, 0.1)
    ph, _ = isr_photons_with_angles(rng, x1, np.ones(100_000), root, hard_law=True)
    c1 = ph[:, 0, 3] / ph[:, 0, 0]
    frac = np.mean(c1 < 0.5)
    g = hard_isr_photon_angle_cdf
    p = (g(0.5, 0.9, root) - g(0.0, 0.9, root)) / (g(1.0, 0.9, root) - g(0.0, 0.9, root))
    assert frac == pytest.approx(p, abs=5 * math.sqrt(p * (1 - p) / x1.size))
