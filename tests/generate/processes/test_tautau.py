"""Tests of the e+e- -> tau+ tau-(gamma) generator."""

from __future__ import annotations

import math

import awkward as ak
import numpy as np
import pytest

from darkscan.beams import belle2
from darkscan.constants import M_TAU
from darkscan.errors import ConfigError
from darkscan.generate.isr import convolve_isr
from darkscan.generate.processes import mumu_gamma as mg
from darkscan.generate.processes.tautau import TAU_CTAU, generate_tautau, pair_frame
from darkscan.models.sm_cross_sections import born_mumu_cross_section, sm_cross_section

COLLIDER = belle2()


@pytest.fixture(scope="module")
def sample():
    return generate_tautau(COLLIDER, 30_000, np.random.default_rng(21))


def _cols(particles):
    return np.stack(
        [ak.to_numpy(particles[f]).astype(np.float64) for f in ("E", "px", "py", "pz")], -1
    )


def test_cross_section_vs_born_and_physics_book():
    # Born with the tau mass: darkscan.models.sm_cross_sections (independent implementation)
    born = mg.sigma_dilepton_isr(
        COLLIDER.sqrt_s,
        M_TAU,
        isr=False,
        fsr=False,
        vacuum_polarisation=False,
        z_interference=False,
    )[0]
    assert born == pytest.approx(born_mumu_cross_section(COLLIDER.sqrt_s, M_TAU), rel=1e-12)
    # ISR only: Kuraev-Fadin convolution of the Born cross section (quadrature with an
    # independent node count); the radiative-return tail is cut by the tau threshold, so
    # ISR changes sigma much less than for muons
    isr_only = mg.sigma_dilepton_isr(
        COLLIDER.sqrt_s, M_TAU, fsr=False, vacuum_polarisation=False, z_interference=False
    )[0]
    ref = convolve_isr(
        lambda sp: born_mumu_cross_section(np.sqrt(sp), M_TAU),
        COLLIDER.s,
        4 * M_TAU**2,
        n_nodes=200,
    )
    assert isr_only == pytest.approx(ref, rel=1e-4)
    assert 1.0 < isr_only / born < 1.1
    # full: Belle II Physics Book (arXiv:1808.10567) tau+tau-(gamma) 0.919 nb (KKMC): 2 %
    full = mg.sigma_dilepton_isr(COLLIDER.sqrt_s, M_TAU)[0]
    assert full == pytest.approx(sm_cross_section("tautau"), rel=0.02)


def test_four_momentum_conservation(sample):
    p = sample.events.particles
    fin = p[p.is_final]
    total = np.stack([ak.to_numpy(ak.sum(fin[f], axis=1)) for f in ("E", "px", "py", "pz")], -1)
    assert np.max(np.abs(total - COLLIDER.p_total)) < 1e-4
    # daughters of each tau add up to the tau, and the tau is on shell
    for m in (0, 1):
        d = p[p.mother == m]
        summed = np.stack([ak.to_numpy(ak.sum(d[f], axis=1)) for f in ("E", "px", "py", "pz")], -1)
        tau = _cols(p[:, m])
        assert np.max(np.abs(summed - tau)) < 1e-4
        mass = np.sqrt(tau[:, 0] ** 2 - np.sum(tau[:, 1:] ** 2, axis=1))
        assert np.median(np.abs(mass - M_TAU)) < 1e-4
    assert ak.all(p.pdg[:, 0] == 15) and ak.all(p.pdg[:, 1] == -15)


def test_neutrinos_invisible_and_dimuon_fraction(sample):
    p = sample.events.particles
    nu = np.isin(np.abs(ak.to_numpy(ak.flatten(p.pdg))), [12, 14, 16])
    assert np.array_equal(nu, ak.to_numpy(ak.flatten(p.is_invisible)))
    # tau+ tau- -> mu nu nu mu nu nu: B(mu)^2 = 0.1739^2 = 3.02 % (PDG 2022), binomial 4 sigma
    n_mu = ak.to_numpy(ak.sum(np.abs(p.pdg) == 13, axis=1))
    frac = float(np.mean(n_mu == 2))
    b2 = 0.1739**2
    assert frac == pytest.approx(b2, abs=4 * math.sqrt(b2 * (1 - b2) / sample.n_events))


def test_decay_length_matches_lifetime(sample):
    # mean flight distance = <|p|/m> c tau along the tau momentum (exponential decay law)
    p = sample.events.particles
    tau = _cols(p[:, 0])
    d = p[p.mother == 0][:, 0]
    dist = np.sqrt(ak.to_numpy(d.vx) ** 2 + ak.to_numpy(d.vy) ** 2 + ak.to_numpy(d.vz) ** 2)
    bg = np.linalg.norm(tau[:, 1:], axis=1) / M_TAU
    expected = float(np.mean(bg)) * TAU_CTAU
    assert float(np.mean(dist)) == pytest.approx(expected, rel=4 / math.sqrt(sample.n_events))
    assert TAU_CTAU == pytest.approx(87.03e-4, rel=1e-3)  # PDG: c tau = 87.03 um


def test_production_angle_distribution():
    # tau- angle in the pair frame follows 1 + c^2 + (1 - beta^2) s^2 (no ISR/FSR):
    # <c^2> = (2/3 + 2/5 ... ) computed by quadrature of the Born formula
    ev = mg.generate_dilepton_kinematics(
        np.random.default_rng(22), 200_000, COLLIDER, M_TAU, isr=False, fsr=False
    )
    _, _, cos_t, beta = pair_frame(ev.l_minus, ev.l_plus)
    b2 = float(np.mean(beta)) ** 2
    c = np.linspace(-1, 1, 200_001)
    f = 1 + c**2 + (1 - b2) * (1 - c**2)
    expected = float(np.sum(c**2 * f) / np.sum(f))
    assert float(np.mean(cos_t**2)) == pytest.approx(expected, abs=4 * 0.3 / math.sqrt(2e5))
    assert np.allclose(beta, math.sqrt(1 - 4 * M_TAU**2 / COLLIDER.s), rtol=1e-9)


def test_errors_and_reproducibility():
    with pytest.raises(ConfigError):
        generate_tautau(COLLIDER, -1, np.random.default_rng(1))
    a = generate_tautau(COLLIDER, 300, np.random.default_rng(5))
    b = generate_tautau(COLLIDER, 300, np.random.default_rng(5))
    assert ak.all(a.events.particles.px == b.events.particles.px)
    assert float(np.sum(a.events.weight)) == pytest.approx(a.cross_section_fb, rel=1e-9)


def test_pi0_from_tau_decays_become_photons(sample):
    # tau -> rho nu (25.5 %) and tau -> pi 2pi0 nu (9.3 %) give pi0 in about half of the
    # events (PDG); every pi0 must reach the detector as two photons (c tau = 25 nm).
    p = sample.events.particles
    pi0 = p[p.pdg == 111]
    assert not ak.any(pi0.is_final)
    assert ak.mean(ak.num(pi0) > 0) > 0.3
    photons_from_pi0 = p[(p.pdg == 22) & (p[p.mother].pdg == 111)]
    assert ak.sum(ak.num(photons_from_pi0)) == 2 * ak.sum(ak.num(pi0))


def test_soft_fsr_photons_follow_massive_tau_dipole():
    # multi-photon FSR off the taus (darkscan.generate.fsr): soft photons (1-10 MeV, hard
    # frame = CM without ISR) number gamma(beta_tau) ln(10) per event, the eikonal exponent
    # of the massive dipole (2 alpha/pi)[(1 + b^2)/(2 b) ln((1+b)/(1-b)) - 1] (YFS 1961),
    # 0.0117 at 10.58 GeV (b = 0.94), a third of the muons' 0.038
    from darkscan.constants import ALPHA_EM

    n = 200_000
    ev = mg.generate_dilepton_kinematics(
        np.random.default_rng(31), n, COLLIDER, M_TAU, isr=False, min_photon_energy=0.001
    )
    k = ev.fsr_photons[..., 0]
    n_soft = int(np.sum((k > 0) & (k < 0.01)))
    b = math.sqrt(1 - 4 * M_TAU**2 / COLLIDER.s)
    gamma = 2 * ALPHA_EM / math.pi * ((1 + b * b) / (2 * b) * math.log((1 + b) / (1 - b)) - 1)
    expected = n * gamma * math.log(10)
    assert n_soft == pytest.approx(expected, abs=4 * math.sqrt(expected))
    assert gamma == pytest.approx(0.01168, rel=1e-3)
    # exact momentum conservation of taus + FSR photons in the CM frame (no ISR)
    total = ev.l_minus + ev.l_plus + ev.fsr_photons.sum(axis=1)
    assert np.max(np.abs(total - [COLLIDER.sqrt_s, 0, 0, 0])) < 1e-9


def test_decay_channel_subset_books_f_squared():
    # both taus forced into {mu}: sigma x B(tau -> mu nu nu)^2 (PDG 2024: 17.39 %), weights
    # summing to it, only muons as charged daughters, and the same production as without
    # the subset (same seed: identical tau momenta)
    rng_a, rng_b = np.random.default_rng(31), np.random.default_rng(31)
    full = generate_tautau(COLLIDER, 2000, rng_a)
    mu = generate_tautau(COLLIDER, 2000, rng_b, decay_channels=["mu"])
    assert mu.cross_section_fb == pytest.approx(full.cross_section_fb * 0.1739**2, rel=1e-12)
    assert float(np.sum(mu.events.weight)) == pytest.approx(mu.cross_section_fb, rel=1e-9)
    assert mu.generator_cuts["tau_decay_channels"] == ["mu"]
    d = mu.events.particles[mu.events.particles.mother >= 0]
    charged = ak.flatten(d.pdg)[np.isin(np.abs(ak.flatten(d.pdg)), [11, 13, 211, 321])]
    assert set(np.abs(ak.to_numpy(charged)).tolist()) == {13}
    taus = lambda s: _cols(s.events.particles[:, :2])  # noqa: E731
    np.testing.assert_array_equal(taus(mu), taus(full))
    with pytest.raises(ConfigError, match="unknown"):
        generate_tautau(COLLIDER, 10, np.random.default_rng(1), decay_channels=["tau3mu"])
