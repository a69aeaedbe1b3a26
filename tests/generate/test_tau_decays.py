"""Tests of the tau decays with spin correlations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate, stats

from darkscan.constants import M_E, M_MU, M_PI, M_PI0, M_TAU
from darkscan.errors import PhysicsDomainError
from darkscan.generate import tau_decays as td

CHANNELS = td.TAU_DECAY_CHANNELS
NAMES = [c.name for c in CHANNELS]
MASS = {11: M_E, 13: M_MU, 211: M_PI, 111: M_PI0, 321: 0.493677, 12: 0.0, 14: 0.0, 16: 0.0}


@pytest.fixture(scope="module")
def decays():
    return td.sample_tau_decays(np.random.default_rng(1), 200_000)


def test_branching_fractions_reproduced(decays):
    # PDG 2022 values (module table); binomial tolerance 4 sigma
    n = decays.channel.size
    for i, ch in enumerate(CHANNELS):
        frac = float(np.mean(decays.channel == i))
        tol = 4 * math.sqrt(ch.branching_ratio * (1 - ch.branching_ratio) / n)
        assert frac == pytest.approx(ch.branching_ratio, abs=tol), ch.name
    # PDG 2022: B(tau -> mu nu nu) = 17.39 %, B(tau -> e nu nu) = 17.82 %
    assert CHANNELS[NAMES.index("mu")].branching_ratio == 0.1739
    assert CHANNELS[NAMES.index("e")].branching_ratio == 0.1782


def test_momentum_and_mass_conservation(decays):
    total = decays.p4.sum(axis=1)
    assert np.allclose(total, [M_TAU, 0.0, 0.0, 0.0], atol=1e-9)
    present = decays.pdg != 0
    m2 = decays.p4[..., 0] ** 2 - np.sum(decays.p4[..., 1:] ** 2, axis=-1)
    expected = np.vectorize(lambda c: MASS.get(abs(int(c)), 0.0))(decays.pdg) ** 2
    assert np.allclose(m2[present], expected[present], atol=1e-8)


def test_polarimeter_length_at_most_one(decays):
    assert np.max(np.linalg.norm(decays.polarimeter, axis=1)) <= 1.0 + 1e-12
    pi = decays.channel == NAMES.index("pi")
    assert np.allclose(np.linalg.norm(decays.polarimeter[pi], axis=1), 1.0)


@pytest.mark.parametrize("name, mass", [("mu", M_MU), ("e", M_E)])
def test_michel_spectrum_chi2(decays, name, mass):
    # x = E_l / W histogram vs the integral of the massive Michel density (PDG "Muon decay
    # parameters" F_IS with rho = 3/4, eta = 0); chi^2 p-value > 1e-3
    sel = decays.channel == NAMES.index(name)
    w = (M_TAU**2 + mass**2) / (2 * M_TAU)
    x = decays.p4[sel, 0, 0] / w
    edges = np.linspace(mass / w, 1.0, 31)
    counts, _ = np.histogram(x, edges)
    dens = [
        integrate.quad(lambda t: float(td.michel_density(t, 0.0, mass)), a, b)[0]
        for a, b in itertools.pairwise(edges)
    ]
    expected = np.array(dens) / np.sum(dens) * counts.sum()
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    assert stats.chi2.sf(chi2, counts.size - 1) > 1e-3


def test_michel_polarised_term_via_polarimeter(decays):
    # a tau- fully polarised along z: reweight by (1 + h_z); <cos theta_l> must equal
    # int c (F_IS - c F_AS) / int F_IS = -(1/3) int F_AS / int F_IS (sqrt factors included)
    sel = decays.channel == NAMES.index("mu")
    p = decays.p4[sel, 0]
    cos_l = p[:, 3] / np.linalg.norm(p[:, 1:], axis=1)
    wgt = 1 + decays.polarimeter[sel, 2]
    measured = float(np.sum(wgt * cos_l) / np.sum(wgt))
    w = (M_TAU**2 + M_MU**2) / (2 * M_TAU)
    x0 = M_MU / w

    def f(c_pol, c):
        return integrate.quad(lambda x: float(td.michel_density(x, c, M_MU, c_pol)), x0, 1)[0]

    num = integrate.quad(lambda c: c * f(1.0, c), -1, 1)[0]
    den = integrate.quad(lambda c: f(1.0, c), -1, 1)[0]
    expected = num / den
    assert expected < -0.05  # tau- emits its lepton against the spin on average
    err = 4 * float(np.std(wgt * cos_l)) / math.sqrt(sel.sum())
    assert measured == pytest.approx(expected, abs=err)


def test_michel_density_massless_limit():
    # x^2 [(3 - 2x) - P cos (2x - 1)] / 6 for tau- (PDG Muon decay parameters, rho = delta = 3/4)
    x = np.linspace(0.1, 1.0, 7)
    got = td.michel_density(x, 0.5, 0.0, polarisation=1.0)
    assert np.allclose(got, x**2 * ((3 - 2 * x) - 0.5 * (2 * x - 1)) / 6, rtol=1e-12)
    with pytest.raises(PhysicsDomainError):
        td.michel_density(0.5, 0.0, 0.0, polarisation=1.5)


def test_rho_polarimeter_analysing_power(decays):
    # <h . n_rho> = <(M^2 - 2 Q^2)/(M^2 + 2 Q^2)> (Bullock-Hagiwara-Martin; exact for the
    # V - A current), independent of the full polarimeter formula used by the generator
    sel = decays.channel == NAMES.index("rho")
    rho = decays.p4[sel, 0] + decays.p4[sel, 1]
    q2 = rho[:, 0] ** 2 - np.sum(rho[:, 1:] ** 2, axis=1)
    n_rho = rho[:, 1:] / np.linalg.norm(rho[:, 1:], axis=1, keepdims=True)
    proj = np.sum(decays.polarimeter[sel] * n_rho, axis=1)
    alpha = (M_TAU**2 - 2 * q2) / (M_TAU**2 + 2 * q2)
    assert np.mean(proj) == pytest.approx(
        np.mean(alpha), abs=4 * np.std(proj) / math.sqrt(sel.sum())
    )
    # rho line shape: median m(pi pi0) near the rho mass
    assert np.median(np.sqrt(q2)) == pytest.approx(0.775, abs=0.03)


def test_spin_correlation_matrix_limits():
    c = np.linspace(-0.9, 0.9, 7)
    # threshold: C = b b^T with b = (-sin, 0, cos) (pair spin +-1 along the beam)
    thr = td.spin_correlation_matrix(c, 0.0)
    b = np.stack([-np.sqrt(1 - c**2), np.zeros_like(c), c], axis=1)
    assert np.allclose(thr, b[:, :, None] * b[:, None, :], atol=1e-12)
    # beta -> 1: helicity conservation, C_zz = 1, C_xx = -C_yy = sin^2/(1 + cos^2)
    hi = td.spin_correlation_matrix(c, 1.0)
    assert np.allclose(hi[:, 2, 2], 1.0)
    assert np.allclose(hi[:, 0, 0], (1 - c**2) / (1 + c**2))
    assert np.allclose(hi[:, 1, 1], -(1 - c**2) / (1 + c**2))
    assert np.allclose(np.trace(td.spin_correlation_matrix(c, 0.6), axis1=1, axis2=2), 1.0)


def _born_cos(rng, n, beta):
    c = rng.uniform(-1, 1, 3 * n)
    keep = rng.random(3 * n) * 2 < 1 + c**2 + (1 - beta**2) * (1 - c**2)
    return c[keep][:n]


def test_pion_pion_energy_correlation():
    # tau+ tau- -> pi+ nu pi- nu: the pion energies in the pair frame are affine in the
    # rest-frame cos theta*, so corr(E+, E-) = <C_zz>/3 = (2 - 1/gamma^2)/(2 + 1/gamma^2)/3
    # (positive: opposite helicities make both pions hard or both soft; Tsai, PRD 4 (1971)
    # 2821; Jadach-Kuhn-Was, CPC 64 (1991) 275); ~0.297 at sqrt(s) = 10.58 GeV
    rng = np.random.default_rng(3)
    beta = math.sqrt(1 - 4 * M_TAU**2 / 10.58**2)
    gamma = 1 / math.sqrt(1 - beta**2)
    n = 200_000
    cos_t = _born_cos(rng, n, beta)
    expected = (2 - 1 / gamma**2) / (2 + 1 / gamma**2) / 3
    ipi = NAMES.index("pi")
    for spin, target in ((True, expected), (False, 0.0)):
        minus, plus, info = td.sample_tau_pair_decays(rng, cos_t, beta, spin_correlations=spin)
        sel = (minus.channel == ipi) & (plus.channel == ipi)
        e_minus = gamma * (minus.p4[sel, 0, 0] + beta * minus.p4[sel, 0, 3])
        e_plus = gamma * (plus.p4[sel, 0, 0] - beta * plus.p4[sel, 0, 3])
        r = float(np.corrcoef(e_minus, e_plus)[0, 1])
        assert r == pytest.approx(target, abs=4 / math.sqrt(sel.sum()))
    assert 0.25 < expected < 0.35
    assert info["spin_efficiency"] == 1.0


def test_spin_correlation_keeps_channel_fractions():
    # <1 + h C h> = 1 per channel pair: branching fractions unchanged by the correlation
    rng = np.random.default_rng(4)
    n = 100_000
    minus, plus, _ = td.sample_tau_pair_decays(rng, _born_cos(rng, n, 0.94), 0.94)
    imu = NAMES.index("mu")
    b = CHANNELS[imu].branching_ratio
    for d in (minus, plus):
        assert np.mean(d.channel == imu) == pytest.approx(b, abs=4 * math.sqrt(b * (1 - b) / n))
    # tau+ daughters are the charge conjugates: a mu+ (-13) for the muonic channel
    assert np.all(plus.pdg[plus.channel == imu, 0] == -13)
