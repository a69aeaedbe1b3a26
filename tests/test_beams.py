"""Tests of darkscan.beams: collider kinematics, CM <-> lab transformations, luminosity."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from darkscan.beams import (
    COLLIDERS,
    Collider,
    babar,
    belle2,
    get_collider,
    integrated_luminosity_per_day,
    kloe,
    padme,
    superkekb_luminosity,
    symmetric,
)
from darkscan.constants import M_E, pdg_mass
from darkscan.errors import ConfigError, PhysicsDomainError

ALL = [belle2(), babar(), kloe(), padme(), symmetric(3.0, half_crossing_angle=0.02)]
IDS = ["belle2", "babar", "kloe", "padme", "symmetric"]


def minkowski_mass2(p):
    p = np.asarray(p, dtype=float)
    return p[..., 0] ** 2 - np.sum(p[..., 1:] ** 2, axis=-1)


# ----------------------------------------------------------------------------- sqrt(s)
def test_belle2_sqrt_s_head_on_and_with_crossing_angle():
    b = belle2()
    # Head-on, massless: sqrt(s) = 2 sqrt(E1 E2) = 2 sqrt(28) = 10.583 GeV
    # (Belle II TDR arXiv:1011.0352: 7 GeV e- x 4 GeV e+ at the Upsilon(4S)).
    head_on = Collider("head-on", 7.0, 4.0)
    assert head_on.sqrt_s == pytest.approx(2.0 * math.sqrt(28.0), rel=1e-7)
    assert round(2.0 * math.sqrt(28.0), 3) == 10.583
    # Exact analytic value with alpha = 41.5 mrad, each beam at alpha to z:
    # s = 2 m^2 + 2 (E1 E2 + p1 p2 cos(2 alpha)).
    alpha = 0.0415
    p1, p2 = math.sqrt(49.0 - M_E**2), math.sqrt(16.0 - M_E**2)
    expected = math.sqrt(2 * M_E**2 + 2 * (28.0 + p1 * p2 * math.cos(2 * alpha)))
    assert b.sqrt_s == pytest.approx(expected, rel=1e-12)
    # massless limit 2 sqrt(E1 E2) cos(alpha) = 10.5739 GeV
    assert b.sqrt_s == pytest.approx(2.0 * math.sqrt(28.0) * math.cos(alpha), rel=1e-7)
    assert 10.57 < b.sqrt_s < 10.58
    assert b.s == pytest.approx(b.sqrt_s**2, rel=1e-14)


def test_belle2_beta_gamma():
    # Belle II Physics Book, arXiv:1808.10567: beta*gamma = 0.28 (rounded, boost
    # along the beam axis); here the full |p|/sqrt(s) with the crossing angle: 0.287.
    b = belle2()
    assert b.beta_gamma == pytest.approx(0.28, abs=0.01)
    # independent: p_total from the beam momenta, each at 41.5 mrad to z, both towards +x
    alpha = 0.0415
    p1, p2 = math.sqrt(49.0 - M_E**2), math.sqrt(16.0 - M_E**2)
    px, pz = (p1 + p2) * math.sin(alpha), (p1 - p2) * math.cos(alpha)
    assert b.beta_gamma == pytest.approx(math.hypot(px, pz) / b.sqrt_s, rel=1e-12)
    np.testing.assert_allclose(b.boost_vector, [px / 11.0, 0.0, pz / 11.0], rtol=1e-12)
    assert b.gamma**2 - b.beta_gamma**2 == pytest.approx(1.0, rel=1e-12)


def test_babar_kinematics():
    # BaBar NIM A 479 (2002) 1, arXiv:hep-ex/0105044: 9.0 GeV e- on 3.1 GeV e+,
    # beta*gamma = 0.56. Analytic: sqrt(s) = 2 sqrt(27.9), beta*gamma = 5.9 / sqrt(s).
    b = babar()
    assert b.sqrt_s == pytest.approx(2 * math.sqrt(27.9), rel=1e-7)
    assert b.beta_gamma == pytest.approx(5.9 / (2 * math.sqrt(27.9)), rel=1e-6)
    assert b.beta_gamma == pytest.approx(0.56, abs=0.005)


def test_kloe_kinematics():
    k = kloe()
    assert k.sqrt_s == pytest.approx(pdg_mass(333), rel=1e-12)
    assert k.sqrt_s == pytest.approx(1.019, abs=1e-3)  # phi mass, PDG
    # Branchini (KLOE), Nucl. Phys. A 752 (2005) 175c: 25 mrad crossing, p_phi ~ 13 MeV/c
    assert k.p_total[1] == pytest.approx(0.013, abs=0.001)
    assert abs(k.p_total[3]) < 1e-12


@pytest.mark.parametrize(
    ("beam_energy", "paper_sqrt_s"),
    # PADME, arXiv:2505.24797 abstract: E_beam 262-296 MeV <-> sqrt(s) 16.4-17.4 MeV
    [(0.262, 0.0164), (0.296, 0.0174)],
)
def test_padme_sqrt_s(beam_energy, paper_sqrt_s):
    c = padme(beam_energy)
    analytic = math.sqrt(2 * M_E * (beam_energy + M_E))
    assert c.sqrt_s == pytest.approx(analytic, rel=1e-12)
    assert c.sqrt_s == pytest.approx(paper_sqrt_s, abs=0.05e-3)  # paper rounds to 0.1 MeV


def test_symmetric_hits_requested_sqrt_s_with_crossing_angle():
    for angle in (0.0, 0.0125, 0.3):
        c = symmetric(10.58, half_crossing_angle=angle)
        assert c.sqrt_s == pytest.approx(10.58, rel=1e-13)
    assert symmetric(10.58).beta_gamma == pytest.approx(0.0, abs=1e-15)


# ----------------------------------------------------------------------------- frames
@pytest.mark.parametrize("collider", ALL, ids=IDS)
def test_beams_in_cms_are_back_to_back_with_e_minus_along_plus_z(collider):
    half = collider.sqrt_s / 2.0
    p_minus = collider.to_cms(collider.p_e_minus)
    p_plus = collider.to_cms(collider.p_e_plus)
    p_cm = math.sqrt(half**2 - M_E**2)
    np.testing.assert_allclose(p_minus, [half, 0.0, 0.0, p_cm], rtol=0, atol=1e-12 * half)
    np.testing.assert_allclose(p_plus, [half, 0.0, 0.0, -p_cm], rtol=0, atol=1e-12 * half)
    np.testing.assert_allclose(
        collider.to_cms(collider.p_total), [collider.sqrt_s, 0, 0, 0], atol=1e-12 * half
    )


@pytest.mark.parametrize("collider", ALL, ids=IDS)
def test_particle_at_rest_in_cms_moves_with_the_boost(collider):
    m = 2.5
    p_lab = collider.to_lab(np.array([m, 0.0, 0.0, 0.0]))
    expected = m * np.concatenate([[collider.gamma], collider.gamma * collider.boost_vector])
    np.testing.assert_allclose(p_lab, expected, rtol=1e-12, atol=1e-12 * m * collider.gamma)


four_vectors = st.tuples(
    st.floats(0.0, 10.0),  # mass
    st.floats(-20.0, 20.0),
    st.floats(-20.0, 20.0),
    st.floats(-20.0, 20.0),
).map(lambda t: np.array([math.sqrt(t[0] ** 2 + t[1] ** 2 + t[2] ** 2 + t[3] ** 2), *t[1:]]))


@settings(max_examples=200, deadline=None)
@given(p=four_vectors, which=st.sampled_from(range(len(ALL))))
def test_round_trip_and_invariant_mass(p, which):
    c = ALL[which]
    scale = max(1.0, p[0]) * max(1.0, c.gamma) ** 2
    np.testing.assert_allclose(c.to_lab(c.to_cms(p)), p, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(c.to_cms(c.to_lab(p)), p, rtol=0, atol=1e-12 * scale)
    m2 = minkowski_mass2(p)
    assert minkowski_mass2(c.to_cms(p)) == pytest.approx(m2, abs=1e-10 * scale**2)
    assert minkowski_mass2(c.to_lab(p)) == pytest.approx(m2, abs=1e-10 * scale**2)


def test_vectorised_shapes_and_dtypes():
    rng = np.random.default_rng(1)
    c = belle2()
    p3 = rng.normal(size=(2, 3, 3))
    p = np.concatenate([np.sqrt(np.sum(p3**2, axis=-1, keepdims=True) + 0.1), p3], axis=-1)
    out = c.to_lab(p)
    assert out.shape == (2, 3, 4) and out.dtype == np.float64
    # element by element equals the single-vector transformation
    np.testing.assert_allclose(out[1, 2], c.to_lab(p[1, 2]), rtol=1e-15)
    out32 = c.to_lab(p.astype(np.float32))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, out, rtol=1e-6, atol=1e-6)
    assert c.to_cms([[1, 0, 0, 0]]).dtype == np.float64


# ----------------------------------------------------------------------------- spread
def test_sqrt_s_spread_analytic_and_sampled():
    b = belle2()
    # basf2 beamparameters.py "SuperKEKB": sigma(E_HER) = 5.13 MeV, sigma(E_LER) = 2.375 MeV
    # massless analytic: sigma/sqrt(s) = 1/2 sqrt((s1/E1)^2 + (s2/E2)^2), angle-independent
    rel = 0.5 * math.hypot(5.13e-3 / 7.0, 2.375e-3 / 4.0)
    assert b.sqrt_s_spread == pytest.approx(rel * b.sqrt_s, rel=1e-6)
    assert b.sqrt_s_spread == pytest.approx(4.99e-3, abs=0.01e-3)
    rng = np.random.default_rng(20261126)
    sample = b.sample_sqrt_s(rng, 200_000)
    assert sample.shape == (200_000,)
    # statistical precision of the rms: 1/sqrt(2N) = 0.16 %; of the mean: 0.011 MeV
    assert np.std(sample) == pytest.approx(b.sqrt_s_spread, rel=0.01)
    assert np.mean(sample) == pytest.approx(b.sqrt_s, abs=5e-5)
    assert np.all(babar().sample_sqrt_s(rng, 10) == babar().sqrt_s)  # no spread


def test_sample_is_reproducible():
    a = belle2().sample_sqrt_s(np.random.default_rng(7), 5)
    b = belle2().sample_sqrt_s(np.random.default_rng(7), 5)
    np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- luminosity
def test_events_luminosity_round_trip():
    c = belle2()
    sigma = np.array([1.0, 1.148e6, 0.25e3])  # fb
    lumi = 362.0  # fb^-1
    n = c.events(sigma, lumi)
    np.testing.assert_allclose(n, sigma * lumi, rtol=1e-15)
    np.testing.assert_allclose(c.luminosity(n, sigma), lumi, rtol=1e-15)
    assert c.events(0.0, 10.0) == 0.0


def test_superkekb_formula_units():
    # Independent evaluation: gamma/(2 e r_e) * I xi / beta with CODATA e and r_e
    e_charge, r_e = 1.602176634e-19, 2.8179403262e-13  # C, cm (CODATA 2018)
    gamma = 4.0 / M_E
    expected = gamma / (2 * e_charge * r_e) * (1 + 0.005) * 3.6 * 0.09 / 0.027 * 0.8
    got = superkekb_luminosity(
        4.0, 3.6, 0.09, 0.027, sigma_y_over_sigma_x=0.005, reduction_ratio=0.8
    )
    assert got == pytest.approx(expected, rel=1e-6)
    # vectorised over currents
    lum = superkekb_luminosity(4.0, np.array([1.8, 3.6]), 0.09, 0.027)
    assert lum.shape == (2,) and lum[1] == pytest.approx(2 * lum[0], rel=1e-14)


def test_superkekb_design_luminosity():
    # Design L = 8e35 cm^-2 s^-1 (Ohnishi, arXiv:1904.10236, Sec. 1). Design parameters
    # LER (e+) / HER (e-), Y. Ohnishi et al., PTEP 2013 03A011, Table 1:
    # E = 4.000 / 7.007 GeV, I = 3.6 / 2.6 A, xi_y = 0.0881 / 0.0807,
    # beta_y* = 0.27 / 0.30 mm (also D. Zhou et al., arXiv:2306.02692, Sec. 1),
    # sigma_x* = 10.1 / 10.7 um, sigma_y* = 48 / 62 nm.
    # Citation audit 2026-11: L = 8e35 (arXiv:1904.10236 intro), beta_y* = 0.27 / 0.3 mm and the
    # 83 mrad full crossing angle (arXiv:2306.02692 intro) checked; the PTEP Table 1 values of
    # E, I, xi_y and sigma* (and its table number) could not be re-checked.
    ler = superkekb_luminosity(4.000, 3.6, 0.0881, 0.027, sigma_y_over_sigma_x=48e-9 / 10.1e-6)
    her = superkekb_luminosity(7.007, 2.6, 0.0807, 0.030, sigma_y_over_sigma_x=62e-9 / 10.7e-6)
    # Without reduction factors both rings give 1.02-1.07e36; the hourglass/crossing-angle
    # reduction R_L/R_xi_y (< 1) brings them to the design 8e35: implied ratio 0.75-0.78.
    for lum in (ler, her):
        assert 8e35 < lum < 1.1e36
        assert 8e35 / lum == pytest.approx(0.77, abs=0.03)
    assert ler == pytest.approx(her, rel=0.06)  # balanced design: both rings agree


def test_integrated_luminosity_per_day():
    # 8e35 cm^-2 s^-1 * 86400 s = 6.912e40 cm^-2 = 69.12 fb^-1 (1 fb^-1 = 1e39 cm^-2)
    assert integrated_luminosity_per_day(8e35) == pytest.approx(69.12, rel=1e-12)
    assert integrated_luminosity_per_day(8e35, live_fraction=0.5) == pytest.approx(34.56)


# ----------------------------------------------------------------------------- errors
def one_line(excinfo):
    msg = str(excinfo.value)
    assert "\n" not in msg and msg
    return msg


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [
        ({"e_minus_energy": -7.0}, PhysicsDomainError, "e_minus_energy"),
        ({"e_plus_energy": float("nan")}, PhysicsDomainError, "e_plus_energy"),
        ({"e_plus_energy": 1e-4}, PhysicsDomainError, "e_plus_energy"),
        ({"half_crossing_angle": 0.8}, PhysicsDomainError, "half_crossing_angle"),
        ({"half_crossing_angle": -0.01}, PhysicsDomainError, "half_crossing_angle"),
        ({"e_minus_energy_spread": -1e-3}, PhysicsDomainError, "e_minus_energy_spread"),
        ({"name": ""}, ConfigError, "name"),
        ({"fixed_target": True}, ConfigError, "fixed-target"),
    ],
)
def test_bad_collider_inputs(kwargs, error, fragment):
    args = {"name": "x", "e_minus_energy": 7.0, "e_plus_energy": 4.0} | kwargs
    with pytest.raises(error) as excinfo:
        Collider(**args)
    assert fragment in one_line(excinfo)


def test_bad_inputs_elsewhere():
    with pytest.raises(ConfigError) as excinfo:
        get_collider("lep")
    msg = one_line(excinfo)
    assert all(name in msg for name in COLLIDERS)
    with pytest.raises(ConfigError) as excinfo:
        belle2().to_cms(np.zeros((5, 3)))
    assert "(5, 3)" in one_line(excinfo)
    with pytest.raises(ConfigError):
        belle2().sample_sqrt_s(np.random.default_rng(0), -1)
    with pytest.raises(PhysicsDomainError) as excinfo:
        belle2().events(-1.0, 10.0)
    assert "cross_section" in one_line(excinfo)
    with pytest.raises(PhysicsDomainError):
        belle2().luminosity(10, 0.0)
    with pytest.raises(PhysicsDomainError):
        padme(0.0001)
    with pytest.raises(PhysicsDomainError):
        superkekb_luminosity(4.0, 3.6, 0.09, 0.0)
    with pytest.raises(PhysicsDomainError):
        integrated_luminosity_per_day(8e35, live_fraction=1.5)


def test_registry():
    for name, factory in COLLIDERS.items():
        assert get_collider(name) == factory()
    assert get_collider("padme").fixed_target
