"""Tests of darkscan.select.kinematics: recoil mass, signed sqrt, CM variables, clusters."""

from __future__ import annotations

import math

import awkward as ak
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from darkscan.beams import belle2, symmetric
from darkscan.constants import M_MU
from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.select import kinematics as kin

METRIC = np.diag([1.0, -1.0, -1.0, -1.0])


def _muon(p3) -> np.ndarray:
    p3 = np.asarray(p3, dtype=float)
    return np.concatenate([[math.sqrt(p3 @ p3 + M_MU**2)], p3])


def _explicit_square(p4) -> float:
    """p.p with an explicit metric tensor (independent of the module's implementation)."""
    p4 = np.asarray(p4, dtype=float)
    return float(p4 @ METRIC @ p4)


def test_recoil_mass_squared_matches_explicit_four_vectors():
    collider = belle2()
    rng = np.random.default_rng(11)
    p3 = rng.normal(0.0, 2.0, size=(50, 2, 3))
    p_plus = np.array([_muon(v) for v in p3[:, 0]])
    p_minus = np.array([_muon(v) for v in p3[:, 1]])
    beams = collider.p_e_minus + collider.p_e_plus
    expected = np.array(
        [_explicit_square(beams - a - b) for a, b in zip(p_plus, p_minus, strict=True)]
    )
    got = kin.recoil_mass_squared(p_plus, p_minus, collider)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)


def test_cms_formula_equals_lab_formula_on_hand_built_events():
    # s + M^2 - 2 sqrt(s)(E1* + E2*) (PRL 124, 141801) vs (P_beams - p1 - p2)^2 in the lab
    collider = belle2()
    rng = np.random.default_rng(3)
    p3 = rng.normal(0.0, 1.5, size=(40, 2, 3))
    p_plus = np.array([_muon(v) for v in p3[:, 0]])
    p_minus = np.array([_muon(v) for v in p3[:, 1]])
    lab = kin.recoil_mass_squared(p_plus, p_minus, collider)
    cms = kin.recoil_mass_squared_cms(
        collider.to_cms(p_plus), collider.to_cms(p_minus), collider.sqrt_s
    )
    np.testing.assert_allclose(cms, lab, rtol=0, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-4.0, 4.0, allow_nan=False), min_size=6, max_size=6),
)
def test_lorentz_invariance_of_recoil_mass(components):
    # CM-frame muons boosted to the lab: the lab formula with the full beam four-momentum
    # must equal the CM formula (Lorentz invariance of (P - p1 - p2)^2).
    collider = belle2()
    p_plus_cms = _muon(components[:3])
    p_minus_cms = _muon(components[3:])
    cms = kin.recoil_mass_squared_cms(p_plus_cms, p_minus_cms, collider.sqrt_s)
    lab = kin.recoil_mass_squared(
        collider.to_lab(p_plus_cms), collider.to_lab(p_minus_cms), collider
    )
    assert abs(float(lab) - float(cms)) < 1e-9 * max(1.0, collider.s)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-4.0, 4.0, allow_nan=False), min_size=6, max_size=6))
def test_lorentz_invariance_of_invariant_mass(components):
    collider = belle2()
    a, b = _muon(components[:3]), _muon(components[3:])
    m_cms = kin.invariant_mass_squared(a, b)
    m_lab = kin.invariant_mass_squared(collider.to_lab(a), collider.to_lab(b))
    assert abs(float(m_lab) - float(m_cms)) < 1e-10 * max(1.0, float(abs(m_cms)))


def test_known_point_back_to_back_muons_with_half_beam_energy_give_zero():
    # E1* = E2* = sqrt(s)/2 back to back: M_mumu = sqrt(s) exactly, so M_rec^2 = s + s - 2 s = 0
    collider = belle2()
    e = collider.sqrt_s / 2.0
    p = math.sqrt(e * e - M_MU**2)
    n = np.array([0.3, -0.4, math.sqrt(1 - 0.25)])
    p_plus = np.concatenate([[e], p * n])
    p_minus = np.concatenate([[e], -p * n])
    m2 = kin.recoil_mass_squared(collider.to_lab(p_plus), collider.to_lab(p_minus), collider)
    assert abs(float(m2)) < 1e-9
    m2_cms = kin.recoil_mass_squared_cms(p_plus, p_minus, collider.sqrt_s)
    assert abs(float(m2_cms)) < 1e-12


def test_known_point_back_to_back_muons_with_half_beam_momentum():
    # |p*| = sqrt(s)/2 each: E* = sqrt(s/4 + m^2), M_mumu = 2E*, so
    # M_rec^2 = (2E* - sqrt(s))^2 and M_rec = sqrt(s + 4 m_mu^2) - sqrt(s) > 0 (analytic).
    collider = belle2()
    sqrt_s = collider.sqrt_s
    p = sqrt_s / 2.0
    p_plus = _muon([0.0, 0.0, p])
    p_minus = _muon([0.0, 0.0, -p])
    expected = math.sqrt(sqrt_s**2 + 4 * M_MU**2) - sqrt_s  # = 2.11e-3 GeV
    got = kin.recoil_mass(collider.to_lab(p_plus), collider.to_lab(p_minus), collider)
    assert expected == pytest.approx(2.111e-3, rel=1e-3)
    # M_rec^2 ~ 4.5e-6 GeV^2 from a difference of O(100) GeV^2 terms: absolute error ~1e-12
    assert float(got) ** 2 == pytest.approx(expected**2, abs=1e-10)


def test_signed_sqrt_convention_for_negative_recoil_mass_squared():
    # E1* = E2* = sqrt(s)/2 at 90 degrees: M_rec^2 = -2 p^2 (1 + cos 90deg) = -2 p^2 (analytic)
    collider = symmetric(10.0)
    e = 5.0
    p = math.sqrt(e * e - M_MU**2)
    p_plus = np.array([e, p, 0.0, 0.0])
    p_minus = np.array([e, 0.0, p, 0.0])
    m2 = float(kin.recoil_mass_squared(p_plus, p_minus, collider))
    assert m2 == pytest.approx(-2.0 * p * p, rel=1e-12)
    m = float(kin.recoil_mass(p_plus, p_minus, collider))
    assert m == pytest.approx(-math.sqrt(2.0) * p, rel=1e-12)
    np.testing.assert_array_equal(kin.signed_sqrt([4.0, -4.0, 0.0]), [2.0, -2.0, 0.0])


def test_recoil_four_momentum_cms_is_minus_dimuon_momentum():
    collider = belle2()
    a, b = _muon([1.0, 0.5, 2.0]), _muon([-0.3, -1.0, 0.7])
    rec = kin.recoil_four_momentum(collider.to_lab(a), collider.to_lab(b), collider, frame="cms")
    np.testing.assert_allclose(rec[1:], -(a + b)[1:], atol=1e-12)
    assert rec[0] == pytest.approx(collider.sqrt_s - a[0] - b[0], abs=1e-12)
    with pytest.raises(ConfigError):
        kin.recoil_four_momentum(a, b, collider, frame="breit")


def test_angles_and_transverse_momentum():
    p = np.array([2.0, 1.0, 1.0, math.sqrt(2.0)])  # theta = 45 deg
    assert float(kin.polar_angle(p)) == pytest.approx(math.pi / 4, abs=1e-14)
    assert float(kin.cos_theta(p)) == pytest.approx(math.sqrt(0.5), abs=1e-14)
    assert float(kin.transverse_momentum(p)) == pytest.approx(math.sqrt(2.0), abs=1e-14)
    a = np.array([1.0, 1.0, 0.0, 0.0])
    b = np.array([1.0, math.cos(0.3), math.sin(0.3), 0.0])
    assert float(kin.opening_angle(a, b)) == pytest.approx(0.3, abs=1e-14)
    assert float(kin.transverse_momentum_wrt(b * 2, a)) == pytest.approx(2 * math.sin(0.3))
    with pytest.raises(ConfigError):
        kin.invariant_mass_squared(np.zeros(3))
    with pytest.raises(PhysicsDomainError):
        kin.recoil_mass_squared_cms(a, b, -1.0)


def _photon(e, theta, phi, matched=False):
    return {
        "E": e,
        "clusterE": e,
        "theta": theta,
        "phi": phi,
        "cosTheta": math.cos(theta),
        "clusterReg": 2,
        "isTrackMatched": matched,
        "isBeamBackground": False,
        "mcIndex": -1,
    }


def test_extra_energy_and_pi0_count():
    # two photons of 0.4 GeV at the opening angle giving m = 0.135 GeV exactly:
    # m^2 = 2 E^2 (1 - cos a)
    e, m = 0.4, 0.135
    alpha = math.acos(1.0 - m * m / (2 * e * e))
    pi0_event = [_photon(e, 1.2, 0.1), _photon(e, 1.2 + alpha, 0.1), _photon(2.0, 0.8, 2.0, True)]
    no_pi0 = [_photon(e, 1.2, 0.1), _photon(e, 1.2 + 3 * alpha, 0.1)]
    clusters = ak.Array([pi0_event, no_pi0, []])
    np.testing.assert_allclose(kin.extra_energy(clusters), [0.8, 0.8, 0.0], atol=1e-12)
    np.testing.assert_array_equal(kin.n_pi0_candidates(clusters), [1, 0, 0])
    # a photon threshold above 0.4 GeV removes the candidate
    np.testing.assert_array_equal(kin.n_pi0_candidates(clusters, min_photon_energy=0.5), [0, 0, 0])
    np.testing.assert_allclose(kin.extra_energy(clusters, min_energy=0.5), [0.0, 0.0, 0.0])


def test_min_angle_to_direction():
    clusters = ak.Array(
        [
            [_photon(0.5, 1.0, 0.0), _photon(0.5, 1.3, 0.0), _photon(3.0, 1.0, 0.0, True)],
            [],
        ]
    )
    direction = np.array([[1.0, math.sin(1.05), 0.0, math.cos(1.05)], [1.0, 0.0, 0.0, 1.0]])
    got = kin.min_angle_to_direction(clusters, direction)
    assert got[0] == pytest.approx(0.05, abs=1e-12)  # nearest unmatched cluster at theta = 1.0
    assert got[1] == np.inf
    # energy threshold removes both unmatched clusters
    assert kin.min_angle_to_direction(clusters, direction, min_energy=1.0)[0] == np.inf


def _track(p4, charge, muon_id=0.9, d0=0.0, z0=0.0):
    e, px, py, pz = (float(x) for x in p4)
    p = math.sqrt(px * px + py * py + pz * pz)
    return {
        "px": px,
        "py": py,
        "pz": pz,
        "E": e,
        "p": p,
        "pt": math.hypot(px, py),
        "cosTheta": pz / p,
        "phi": math.atan2(py, px),
        "charge": charge,
        "d0": d0,
        "z0": z0,
        "muonID": muon_id,
        "electronID": 0.0,
        "pionID": 0.0,
        "kaonID": 0.0,
        "clusterE": 0.2,
        "mcIndex": 0,
        "mcPDG": -13 * charge,
    }


def test_dimuon_variables_on_hand_built_events():
    collider = belle2()
    a = _muon([1.0, 2.0, 0.5])
    b = _muon([-2.0, 0.2, -0.3])
    pa, pb = collider.to_lab(a), collider.to_lab(b)
    trig = {
        "two_track": True,
        "single_muon": False,
        "single_photon": False,
        "three_photon": False,
        "displaced_vertex": False,
        "any": True,
    }
    events = ak.Array(
        [
            {  # mu- listed first: the variables must still find mu+ by its charge
                "tracks": [_track(pb, -1, 0.8), _track(pa, +1, 0.95)],
                "clusters": [_photon(0.3, 1.0, 0.5)],
                "trigger": trig,
                "weight": 2.0,
            },
            {  # the second track is displaced (|d0| > 2 cm): one good track only
                "tracks": [_track(pa, +1), _track(pb, -1, d0=3.0)],
                "clusters": [],
                "trigger": trig,
                "weight": 1.0,
            },
        ]
    )
    v = kin.dimuon_variables(events, collider)
    assert v["n_tracks"].tolist() == [2, 1]
    assert v["n_tracks_all"].tolist() == [2, 2]
    assert v["charge_product"][0] == -1.0
    assert v["muon_id_min"][0] == pytest.approx(0.8)
    expected_m2 = collider.s + _explicit_square(a + b) - 2 * collider.sqrt_s * (a[0] + b[0])
    assert v["recoil_mass_squared"][0] == pytest.approx(expected_m2, abs=1e-9)
    assert v["recoil_mass"][0] == pytest.approx(
        math.copysign(math.sqrt(abs(expected_m2)), expected_m2)
    )
    assert v["pt_mumu_cms"][0] == pytest.approx(math.hypot(*(a + b)[1:3]), abs=1e-12)
    assert v["p_mu_plus_cms"][0] == pytest.approx(np.linalg.norm(a[1:]), abs=1e-12)
    assert v["theta_mu_plus"][0] == pytest.approx(kin.polar_angle(pa), abs=1e-12)
    assert v["recoil_theta_cms"][0] == pytest.approx(kin.polar_angle(-(a + b)), abs=1e-12)
    assert v["opening_angle_cms"][0] == pytest.approx(kin.opening_angle(a, b), abs=1e-12)
    assert v["extra_energy"].tolist() == pytest.approx([0.3, 0.0])
    assert np.isnan(v["recoil_mass_squared"][1])
    assert v["trigger_two_track"].tolist() == [True, True]
    assert v["weight"].tolist() == [2.0, 1.0]
    with pytest.raises(ConfigError):
        kin.dimuon_variables(events, collider, {"no_such_option": 1})


def test_cms_variables_of_tracks_and_clusters():
    collider = belle2()
    a = _muon([1.0, 2.0, 0.5])
    b = _muon([-2.0, 0.2, -0.3])
    tracks = ak.Array([[_track(collider.to_lab(a), +1), _track(collider.to_lab(b), -1)], []])
    v = kin.cms_variables(tracks, collider)
    assert ak.num(v, axis=1).tolist() == [2, 0]
    np.testing.assert_allclose(ak.to_numpy(v.E_cms[0]), [a[0], b[0]], atol=1e-12)
    np.testing.assert_allclose(
        ak.to_numpy(v.p_cms[0]), [np.linalg.norm(a[1:]), np.linalg.norm(b[1:])], atol=1e-12
    )
    np.testing.assert_allclose(
        ak.to_numpy(v.cosTheta_cms[0]), [a[3] / np.linalg.norm(a[1:]), b[3] / np.linalg.norm(b[1:])]
    )
    # a photon: E_cms = p_cms (massless), and the CM energy of the e- beam direction photon
    # of lab energy E is E * (E_cm/E_lab of the e- beam) ~ E * 5.287/7.0 for E >> m_e
    gamma_cl = ak.Array([[_photon(7.0, collider.half_crossing_angle, 0.0)]])
    g = kin.cms_variables(gamma_cl, collider)
    assert float(g.E_cms[0][0]) == pytest.approx(float(g.p_cms[0][0]), rel=1e-12)
    assert float(g.E_cms[0][0]) == pytest.approx(
        float(collider.to_cms(collider.p_e_minus)[0]), rel=1e-6
    )
    with pytest.raises(ConfigError):
        kin.cms_variables(ak.Array([[{"x": 1.0}]]), collider)
