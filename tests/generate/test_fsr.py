"""Tests of the exponentiated multi-photon FSR algorithm (darkscan.generate.fsr)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate, stats

from darkscan.constants import ALPHA_EM, M_MU, M_TAU
from darkscan.errors import PhysicsDomainError
from darkscan.generate import fsr

S = 10.58**2


def _born_axes(rng, n):
    """Born l- directions from 1 + c^2 (accept-reject), uniform azimuth."""
    c = np.empty(0)
    while c.size < n:
        x = rng.uniform(-1, 1, 2 * n)
        c = np.concatenate([c, x[rng.random(2 * n) * 2 < 1 + x * x]])
    c = c[:n]
    phi = rng.uniform(0, 2 * math.pi, n)
    st = np.sqrt(1 - c * c)
    return np.stack([st * np.cos(phi), st * np.sin(phi), c], axis=1)


def _eikonal_density_numeric(s, m):
    """(alpha/4 pi^2) int dOmega omega^2 (-J^2) from the four-vector current (no closed form).

    J = q-/(q-.k) - q+/(q+.k) for back-to-back leptons (E, +-p z); per unit ln(omega).
    Yennie-Frautschi-Suura (1961); Peskin-Schroeder eq. 6.17.
    """
    e = math.sqrt(s) / 2
    p = math.sqrt(e * e - m * m)

    def minus_j2(c):
        qm_k, qp_k = e - p * c, e + p * c  # per unit omega
        qm_qp = e * e + p * p
        return 2 * qm_qp / (qm_k * qp_k) - m * m / qm_k**2 - m * m / qp_k**2

    val, _ = integrate.quad(minus_j2, -1, 1, points=[-0.999, 0.999], limit=400, epsabs=0)
    return ALPHA_EM / (4 * math.pi**2) * 2 * math.pi * val


@pytest.mark.parametrize("m", [M_MU, M_TAU, 1.0])
def test_dipole_exponent_vs_numeric_current_integral(m):
    # closed form gamma(beta) vs the direct angular integral of the eikonal current
    beta = math.sqrt(1 - 4 * m * m / S)
    assert fsr.dipole_exponent(beta) == pytest.approx(_eikonal_density_numeric(S, m), rel=1e-8)


def test_dipole_exponent_limits():
    # massless limit: the YFS exponent (2 alpha/pi)(ln(s/m^2) - 1), up to O(m^2/s)
    beta = math.sqrt(1 - 4 * M_MU**2 / S)
    ll = 2 * ALPHA_EM / math.pi * (math.log(S / M_MU**2) - 1)
    assert fsr.dipole_exponent(beta) == pytest.approx(ll, rel=2e-3)
    # slow pair: (2 alpha/pi)(4/3) beta^2 (dipole radiation); series and closed form agree
    for b in (0.5e-3, 2e-3):
        exact = 2 * ALPHA_EM / math.pi * ((1 + b * b) * math.atanh(b) / b - 1)
        assert fsr.dipole_exponent(b) == pytest.approx(exact, rel=1e-6)
    with pytest.raises(PhysicsDomainError):
        fsr.dipole_exponent(1.0)


@pytest.mark.parametrize("beta", [0.9995, 0.6])
def test_dipole_angle_sampler_chi2(beta):
    # sampled cos(photon, l-) vs the analytic dipole density integrated per bin (chi^2)
    n = 400_000
    c = fsr.sample_dipole_cos_theta(np.random.default_rng(1), np.full(n, beta))
    edges = np.linspace(-1, 1, 41)
    h, _ = np.histogram(c, edges)
    expected = np.array(
        [
            integrate.quad(lambda x: float(fsr.dipole_angular_density(x, beta)), a, b)[0]
            for a, b in itertools.pairwise(edges)
        ]
    )
    assert expected.sum() == pytest.approx(1.0, rel=1e-8)
    chi2 = float(np.sum((h - n * expected) ** 2 / (n * expected)))
    assert stats.chi2.sf(chi2, 40) > 1e-3


def test_multiplicity_mean_vs_eikonal_integral():
    # crude (eikonal) multiplicity: Poisson with nu = gamma(beta) ln(omega_max / e_min),
    # gamma from the numeric current integral; 4e5 events, Poisson error sqrt(nu/n)
    n, e_min = 400_000, 0.01
    rng = np.random.default_rng(2)
    s = np.full(n, S)
    ev = fsr.generate_fsr(rng, s, M_MU, _born_axes(rng, n), e_min, matrix_element_correction=False)
    nu = _eikonal_density_numeric(S, M_MU) * math.log(fsr.max_photon_energy(S, M_MU) / e_min)
    assert fsr.mean_photon_multiplicity(S, M_MU, e_min) == pytest.approx(nu, rel=1e-8)
    assert float(ev.n_photons.mean()) == pytest.approx(nu, abs=4 * math.sqrt(nu / n))
    # the multiplicity is Poisson: P(0) = exp(-nu)
    assert float(np.mean(ev.n_photons == 0)) == pytest.approx(math.exp(-nu), abs=3e-3)
    assert ev.info["fsr_efficiency"] > 0.999  # only kinematic vetoes (M_ll < 2 m) redraw


def test_soft_photon_spectrum_vs_analytic_dipole():
    # with the matrix-element correction on, soft photons (1-10 MeV) keep the eikonal law:
    # dN/d ln(omega) = gamma(beta) flat, angle to the l- from the dipole density (chi^2)
    n, e_min = 200_000, 0.001
    rng = np.random.default_rng(3)
    s = np.full(n, S)
    ev = fsr.generate_fsr(rng, s, M_MU, _born_axes(rng, n), e_min)
    k = ev.photons.reshape(-1, 4)
    soft = (k[:, 0] > 0) & (k[:, 0] < 10 * e_min)
    k = k[soft]
    gamma = fsr.dipole_exponent(math.sqrt(1 - 4 * M_MU**2 / S))
    expected_total = n * gamma * math.log(10)
    assert soft.sum() == pytest.approx(expected_total, abs=4 * math.sqrt(expected_total))
    h, _ = np.histogram(np.log(k[:, 0] / e_min), np.linspace(0, math.log(10), 11))
    chi2 = float(np.sum((h - h.sum() / 10) ** 2 / (h.sum() / 10)))
    assert stats.chi2.sf(chi2, 9) > 1e-3
    # angle to the l- direction (hard frame ~ pair frame for soft photons)
    ev_idx = np.repeat(np.arange(n), ev.photons.shape[1])[soft]
    lm = ev.l_minus[ev_idx]
    c = np.sum(k[:, 1:] * lm[:, 1:], axis=1) / (
        np.linalg.norm(k[:, 1:], axis=1) * np.linalg.norm(lm[:, 1:], axis=1)
    )
    beta = math.sqrt(1 - 4 * M_MU**2 / S)
    edges = np.array([-1, -0.9999, -0.999, -0.99, -0.9, -0.5, 0, 0.5, 0.9, 0.99, 0.999, 0.9999, 1])
    h, _ = np.histogram(c, edges)
    p = np.array(
        [
            integrate.quad(lambda x: float(fsr.dipole_angular_density(x, beta)), a, b, limit=200)[0]
            for a, b in itertools.pairwise(edges)
        ]
    )
    chi2 = float(np.sum((h - h.sum() * p) ** 2 / (h.sum() * p)))
    assert stats.chi2.sf(chi2, len(p) - 1) > 1e-3


def test_single_photon_events_follow_exact_matrix_element():
    # events with exactly one photon above 0.5 GeV: photon energy and angle to the beam are
    # distributed as the exact O(alpha) Berends-Kleiss |M|^2, computed independently by the
    # weighted single-photon generator of mumu_gamma (isotropic photons, weight |M|^2 / g)
    from darkscan.generate.processes.mumu_gamma import _propose_fsr

    n, e_min = 600_000, 0.5
    rng = np.random.default_rng(4)
    ev = fsr.generate_fsr(rng, np.full(n, S), M_MU, _born_axes(rng, n), e_min)
    one = ev.n_photons == 1
    k = ev.photons[one, 0]
    m_ref = 600_000
    _, _, k_ref, w_ref = _propose_fsr(np.random.default_rng(5), np.full(m_ref, S), M_MU, e_min)
    for values, values_ref, edges in (
        (k[:, 0], k_ref[:, 0], np.geomspace(e_min, 5.29, 13)),
        (k[:, 3] / k[:, 0], k_ref[:, 3] / k_ref[:, 0], np.linspace(-1, 1, 11)),
    ):
        h, _ = np.histogram(values, edges)
        hw, _ = np.histogram(values_ref, edges, weights=w_ref)
        hw2, _ = np.histogram(values_ref, edges, weights=w_ref**2)
        f, fw = h / h.sum(), hw / hw.sum()
        var = h / h.sum() ** 2 + hw2 / hw.sum() ** 2
        chi2 = float(np.sum((f - fw) ** 2 / var))
        assert stats.chi2.sf(chi2, len(h) - 1) > 1e-3, (chi2, len(h) - 1)


def test_momentum_conservation_and_masses():
    # exact four-momentum conservation per event (1e-9 GeV) and on-shell leptons
    n = 100_000
    rng = np.random.default_rng(6)
    for m in (M_MU, M_TAU):
        s = rng.uniform(4 * m * m * 1.01, S, n)
        ev = fsr.generate_fsr(rng, s, m, _born_axes(rng, n), 0.005)
        total = ev.l_minus + ev.l_plus + ev.photons.sum(axis=1)
        assert np.max(np.abs(total[:, 0] - np.sqrt(s))) < 1e-9
        assert np.max(np.abs(total[:, 1:])) < 1e-9
        for q in (ev.l_minus, ev.l_plus):
            mass2 = q[:, 0] ** 2 - np.sum(q[:, 1:] ** 2, axis=1)
            assert np.max(np.abs(mass2 - m * m)) < 1e-9
        # photons massless, hardest first
        k = ev.photons
        assert np.max(np.abs(k[..., 0] ** 2 - np.sum(k[..., 1:] ** 2, axis=-1))) < 1e-9
        assert np.all(np.diff(k[..., 0], axis=1) <= 0)
        assert ev.info["fsr_n_overweight"] == 0


def test_weight_soft_limit_and_envelope():
    # w -> 1 for soft photons (the exact |M|^2 factorises into eikonal x Born) and w <= the
    # envelope everywhere (muons and taus, s' from near threshold to (10.58 GeV)^2)
    rng = np.random.default_rng(7)
    n = 200_000
    for m in (M_MU, M_TAU):
        s = np.full(n, S)
        axis = _born_axes(rng, n)
        ph, cnt = fsr.sample_fsr_photons(rng, s, m, axis, 1e-6)
        has = cnt > 0
        soft = has & (ph[:, 0, 0] < 1e-5)
        w = fsr.hardest_photon_weight(s[soft], m, axis[soft], ph[soft, 0])
        assert np.max(np.abs(w - 1)) < 1e-3
        s = rng.uniform(4 * m * m * 1.05, S, n)
        ph, cnt = fsr.sample_fsr_photons(rng, s, m, axis, 1e-3)
        has = cnt > 0
        w = fsr.hardest_photon_weight(s[has], m, axis[has], ph[has, 0])
        assert np.all(w <= fsr.FSR_MAX_WEIGHT + 1e-9)
        assert np.all(w > 0)


def test_bad_inputs():
    rng = np.random.default_rng(8)
    axis = np.array([[0.0, 0.0, 1.0]])
    with pytest.raises(PhysicsDomainError):
        fsr.generate_fsr(rng, np.array([S]), M_MU, axis, 0.0)
    with pytest.raises(PhysicsDomainError):
        fsr.generate_fsr(rng, np.array([3.0 * M_MU**2]), M_MU, axis, 0.01)
    with pytest.raises(PhysicsDomainError):
        fsr.mean_photon_multiplicity(S, M_MU, -1.0)
