"""Tests of darkscan.generate.processes.pipi_gamma (e+e- -> pi+ pi- (gamma))."""

from __future__ import annotations

import math

import awkward as ak
import numpy as np
import pytest
from scipy import integrate, stats

from darkscan.beams import belle2
from darkscan.constants import ALPHA_EM, GEV2_TO_FB, M_PI
from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.generate.isr import (
    hard_isr_photon_angle_cdf,
    isr_beta,
    isr_photon_angle_cdf,
)
from darkscan.generate.processes.pipi_gamma import (
    _kinematics,
    _Proposal,
    born_cross_section,
    d_sigma_born,
    generate_pipi_gamma,
    sample_cos_sin2,
)
from darkscan.models.hadronic_r import pion_form_factor


def test_born_angular_integral_equals_total():
    # analytic: int_{-1}^{1} (1 - c^2) dc = 4/3, so sigma = (4/3) dsigma/dc(c = 0)
    for e in (0.5, 0.775, 1.02, 10.58):
        num, _ = integrate.quad(lambda c, e=e: float(d_sigma_born(e, c)), -1.0, 1.0)
        assert num == pytest.approx(born_cross_section(e), rel=1e-10)


def test_born_ratio_to_point_like_muon_pair():
    # textbook: sigma(pi pi) / sigma_point(mu mu, m_mu -> 0) = beta^3 |F_pi|^2 / 4 with
    # sigma_point = 4 pi alpha^2 / (3 s) (Peskin & Schroeder eq. 5.13, problem 5.2)
    for e in (0.4, 0.775, 3.0):
        s = e * e
        point = 4.0 * math.pi * ALPHA_EM**2 / (3.0 * s) * GEV2_TO_FB
        beta = math.sqrt(1.0 - 4.0 * M_PI**2 / s)
        expected = beta**3 * abs(pion_form_factor(e)) ** 2 / 4.0
        assert born_cross_section(e) / point == pytest.approx(expected, rel=1e-12)
    assert born_cross_section(2.0 * M_PI * 0.999) == 0.0


def test_sample_cos_sin2_moments():
    c = sample_cos_sin2(np.random.default_rng(11), 400_000)
    assert c.min() >= -1.0 and c.max() <= 1.0
    # <c^2> of (3/4)(1 - c^2) is 1/5, variance of c^2 is <c^4> - 1/25 = 3/35 - 1/25
    err = math.sqrt((3 / 35 - 1 / 25) / c.size)
    assert abs(np.mean(c * c) - 0.2) < 5 * err
    assert abs(np.mean(c)) < 5 * math.sqrt(0.2 / c.size)


def test_no_isr_cross_section_and_angle():
    col = belle2()
    smp = generate_pipi_gamma(col, 20_000, np.random.default_rng(3), isr=False, n_pilot=2000)
    # without ISR every weight is the Born cross section at the nominal sqrt(s) (analytic)
    assert smp.cross_section_fb == pytest.approx(born_cross_section(col.sqrt_s), rel=1e-12)
    p = smp.events.particles
    lab = np.stack([ak.to_numpy(p[f][:, 0]) for f in ("E", "px", "py", "pz")], axis=-1)
    cms = col.to_cms(lab.astype(float))
    c = cms[:, 3] / np.linalg.norm(cms[:, 1:], axis=1)
    err = math.sqrt((3 / 35 - 1 / 25) / c.size)
    assert abs(np.mean(c * c) - 0.2) < 5 * err  # sin^2(theta): <cos^2> = 1/5


def _d(x, beta):
    b = beta / 2.0
    return b * (1.0 - x) ** (b - 1.0) * (1.0 + 3.0 * beta / 8.0) - beta / 4.0 * (1.0 + x)


def _isr_integral(s, mask=None, n_low=1200, n_t=40):
    """Independent nested quadrature of int dx1 dx2 D D sigma_Born(x1 x2 s) (vectorised).

    Each x integral is split at x = 0.95: [0.95, 1] in t = (1 - x)^(beta/2) (removes the
    singularity of D), the lower part in ln(x) with composite Gauss-Legendre (resolves rho).
    """
    beta = isr_beta(s)
    b = beta / 2.0
    s_min = 4.0 * M_PI**2 * (1 + 1e-9)
    gx, gw = np.polynomial.legendre.leggauss(8)

    def nodes(lo):  # nodes and weights of int_lo^1 D(x) f(x) dx
        lo = np.asarray(lo, dtype=float)[..., None]
        xs = np.maximum(lo, 0.95)
        t_hi = (1.0 - xs) ** b
        tg, tw = np.polynomial.legendre.leggauss(n_t)
        t = 0.5 * t_hi * (tg + 1.0)
        x_t = 1.0 - t ** (1.0 / b)
        w_t = (
            0.5 * t_hi * tw * ((1 + 3 * beta / 8) - beta / 4 * (1 + x_t) * (1 - x_t) ** (1 - b) / b)
        )
        edges = np.linspace(0.0, 1.0, n_low // 8 + 1)
        a = edges[:-1, None] + 0.5 * (edges[1:] - edges[:-1])[:, None] * (gx + 1.0)
        wa = (0.5 * (edges[1:] - edges[:-1])[:, None] * gw).ravel()
        u = a.ravel()  # in [0, 1] -> ln x from ln lo to ln xs
        llo, lhi = np.log(lo), np.log(xs)
        x_l = np.exp(llo + u * (lhi - llo))
        w_l = wa * (lhi - llo) * x_l * _d(np.minimum(x_l, 1 - 1e-15), beta)
        return np.concatenate([x_l, x_t], axis=-1), np.concatenate([w_l, w_t], axis=-1)

    x1, w1 = (a.reshape(-1) for a in nodes(np.array(s_min / s)))
    x2, w2 = nodes(s_min / (x1 * s))
    sp = x1[:, None] * x2 * s
    vals = np.where(sp > s_min, born_cross_section(np.sqrt(np.maximum(sp, s_min))), 0.0)
    if mask is not None:
        vals = vals * mask(np.sqrt(sp))
    return float(np.sum(w1[:, None] * w2 * vals))


@pytest.fixture(scope="module")
def isr_sample():
    return generate_pipi_gamma(belle2(), 60_000, np.random.default_rng(5), n_pilot=50_000)


@pytest.fixture(scope="module")
def quad_total():
    return _isr_integral(belle2().sqrt_s ** 2)


def test_isr_cross_section_against_quadrature(isr_sample, quad_total):
    ref = quad_total  # independent numerical integration (this file)
    mc = isr_sample.cross_section_fb
    assert mc == pytest.approx(ref, rel=max(0.01, 4 * isr_sample.cross_section_uncertainty_fb / mc))
    assert isr_sample.generator_settings["n_overweight"] == 0


def test_rho_region_fraction_against_quadrature(isr_sample, quad_total):
    s = belle2().sqrt_s ** 2

    def in_rho(m):
        return (m > 0.6) & (m < 0.9)

    expected = _isr_integral(s, mask=in_rho) / quad_total
    p = isr_sample.events.particles
    e = ak.to_numpy(p.E[:, 0] + p.E[:, 1]).astype(float)
    px = ak.to_numpy(p.px[:, 0] + p.px[:, 1]).astype(float)
    py = ak.to_numpy(p.py[:, 0] + p.py[:, 1]).astype(float)
    pz = ak.to_numpy(p.pz[:, 0] + p.pz[:, 1]).astype(float)
    m = np.sqrt(np.clip(e * e - px * px - py * py - pz * pz, 0.0, None))
    frac = np.mean(in_rho(m))
    assert expected > 0.5  # radiative return: the rho dominates
    assert frac == pytest.approx(
        expected, abs=5 * math.sqrt(expected * (1 - expected) / m.size) + 0.005
    )


def _theta_lab(p, j):
    return np.arctan2(
        np.hypot(ak.to_numpy(p.px[:, j]), ak.to_numpy(p.py[:, j])), ak.to_numpy(p.pz[:, j])
    )


def test_theta_cut_and_record(isr_sample):
    lo, hi = math.radians(35.0), math.radians(140.0)
    smp = generate_pipi_gamma(
        belle2(), 2000, np.random.default_rng(8), cuts={"theta_pi_lab": (lo, hi)}, n_pilot=50_000
    )
    p = smp.events.particles
    assert ak.all(np.abs(p.pdg[:, :2]) == 211)
    for j in (0, 1):
        th = _theta_lab(p, j)
        assert th.min() >= lo - 1e-6 and th.max() <= hi + 1e-6
    # independent: the share of the uncut sample with both pions in [lo, hi] (binomial error)
    q = isr_sample.events.particles
    inside = np.ones(len(q), dtype=bool)
    for j in (0, 1):
        th = _theta_lab(q, j)
        inside &= (th >= lo) & (th <= hi)
    frac = float(np.mean(inside))
    # large-angle ISR: the rho recoils against a photon in the detector (was 1.6 % collinear)
    assert 0.04 < frac < 0.2
    ratio = smp.cross_section_fb / isr_sample.cross_section_fb
    err = math.hypot(
        math.sqrt(frac * (1 - frac) / inside.size),
        frac * smp.cross_section_uncertainty_fb / smp.cross_section_fb,
    )
    assert ratio == pytest.approx(frac, abs=5 * err)


def test_bad_input():
    rng = np.random.default_rng(1)
    with pytest.raises(PhysicsDomainError, match="sqrt_s"):
        born_cross_section(-1.0)
    with pytest.raises(PhysicsDomainError, match="hard_fraction"):
        generate_pipi_gamma(belle2(), 10, rng, hard_fraction=1.5)
    with pytest.raises(ConfigError, match="n_events"):
        generate_pipi_gamma(belle2(), 0, rng)
    with pytest.raises(ConfigError, match="unknown generator cut"):
        generate_pipi_gamma(belle2(), 10, rng, cuts={"theta_mu_lab": (0.5, 2.0)})


# --------------------------------------------------------------------- ISR photons with angles
def test_momentum_conservation_per_event_cms():
    # sum of pi-, pi+ and the photons = (sqrt(s), 0, 0, 0) in the CM frame, float64 kinematics
    root = belle2().sqrt_s
    s = root * root
    rng = np.random.default_rng(17)
    prop = _Proposal(s, 4.0 * M_PI**2 * (1 + 1e-9), 0.3, 0.3)
    x1, x2 = prop.draw(rng, 50_000)
    ok = x1 * x2 * s > 4.0 * M_PI**2 * (1 + 1e-9)
    x1, x2 = x1[ok], x2[ok]
    e_hat = np.sqrt(x1 * x2 * s)
    pim, pip, photons, w = _kinematics(rng, x1, x2, e_hat, root)
    total = pim + pip + photons.sum(axis=1)
    np.testing.assert_allclose(total[:, 0], root, rtol=0, atol=1e-9)
    np.testing.assert_allclose(total[:, 1:], 0.0, rtol=0, atol=1e-9)
    # the pi pi system keeps its mass sqrt(x1 x2 s) and has transverse momentum (large-angle ISR)
    pp = pim + pip
    m = np.sqrt(pp[:, 0] ** 2 - np.sum(pp[:, 1:] ** 2, axis=1))
    np.testing.assert_allclose(m, e_hat, rtol=1e-9)
    assert np.mean(np.hypot(pp[:, 1], pp[:, 2]) > 1.0) > 0.05
    assert np.all(w > 0.25) and np.all(w < 1.12)  # analytic bounds, two photons


def test_record_momentum_conservation_lab(isr_sample):
    # lab frame: the record (float32) sums to the beams' total four-momentum
    col = belle2()
    p = isr_sample.events.particles
    tot = np.stack([ak.to_numpy(ak.sum(p[f], axis=1)) for f in ("E", "px", "py", "pz")], axis=-1)
    np.testing.assert_allclose(tot, np.broadcast_to(col.p_total, tot.shape), rtol=0, atol=2e-5)
    assert "eikonal angles" in isr_sample.generator_settings["isr_photons"]


def _photon_cms(sample):
    """CM four-momenta (n, 2, 4) of the two ISR photon slots (zero where absent)."""
    col = belle2()
    p = sample.events.particles
    out = np.zeros((len(p), 2, 4))
    n_ph = ak.to_numpy(ak.num(p.pdg)) - 2
    for j in (0, 1):
        has = n_ph > j
        sel = p[has]
        lab = np.stack([ak.to_numpy(sel[f][:, 2 + j]) for f in ("E", "px", "py", "pz")], -1)
        out[has, j] = col.to_cms(lab.astype(float))
    return out


def _pit_chi2(u, n_bins=10):
    counts, _ = np.histogram(u, bins=n_bins, range=(0.0, 1.0))
    expected = u.size / n_bins
    return float(np.sum((counts - expected) ** 2 / expected))


def test_photon_angles_follow_isr_cdfs(isr_sample):
    # Probability-integral transform of |cos theta| (CM) inside |cos| < 0.99 (large-angle
    # photons; float32 precision is irrelevant there) must be uniform.
    root = belle2().sqrt_s
    ph = _photon_cms(isr_sample)
    e = ph[..., 0]
    c = np.abs(np.divide(ph[..., 3], e, out=np.zeros_like(e), where=e > 0))
    y = 2.0 * e / root
    c_max = 0.99
    crit = stats.chi2.ppf(0.999, 9)  # 10 bins
    # soft photons: the eikonal law (isr_photon_angle_cdf; hard-law corrections x^2 < 1e-3)
    soft = (y > 0) & (y < 0.03) & (c < c_max)
    f0, f1 = isr_photon_angle_cdf(0.0, root), isr_photon_angle_cdf(c_max, root)
    u = (isr_photon_angle_cdf(c[soft], root) - f0) / (f1 - f0)
    assert soft.sum() > 3000
    assert _pit_chi2(u) < crit
    # hard photons alone in their event (other photon < 1e-3 E_beam: y known to 1e-3)
    other = y[:, ::-1]
    hard = (y > 0.5) & (other < 1e-3) & (c < c_max)
    assert hard.sum() > 3000
    yh, ch = np.minimum(y[hard], 1.0), c[hard]
    g0 = hard_isr_photon_angle_cdf(0.0, yh, root)
    g1 = hard_isr_photon_angle_cdf(c_max, yh, root)
    u = (hard_isr_photon_angle_cdf(ch, yh, root) - g0) / (g1 - g0)
    assert _pit_chi2(u) < crit
    # power: the eikonal law is rejected for these hard photons
    u_eik = (isr_photon_angle_cdf(ch, root) - f0) / (f1 - f0)
    assert _pit_chi2(u_eik) > 5 * crit
    # share of photons at large angle, all photons with y > 0.5 alone in their event:
    # P(|c| < 0.99 | y) from the hard CDF, averaged over the sample's y (binomial error)
    allh = (y > 0.5) & (other < 1e-3)
    ya = np.minimum(y[allh], 1.0)
    share = (
        hard_isr_photon_angle_cdf(c_max, ya, root) - hard_isr_photon_angle_cdf(0.0, ya, root)
    ) / (hard_isr_photon_angle_cdf(1.0, ya, root) - hard_isr_photon_angle_cdf(0.0, ya, root))
    p = float(np.mean(share))
    assert np.mean(c[allh] < c_max) == pytest.approx(p, abs=5 * math.sqrt(p * (1 - p) / ya.size))
