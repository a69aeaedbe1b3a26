"""Tests of darkscan.select.cuts: Cut operators, cut-flow numbers, the Z' selection."""

from __future__ import annotations

import math

import awkward as ak
import numpy as np
import pytest

from darkscan.beams import belle2
from darkscan.constants import M_MU
from darkscan.errors import ConfigError
from darkscan.select import kinematics as kin
from darkscan.select.cuts import ZPRIME_CUT_DEFAULTS, Cut, Selection, zprime_selection

# ---------------------------------------------------------------- Cut and Selection


def test_cut_operators_and_nan():
    t = {"x": np.array([-1.0, 0.0, 1.0, np.nan])}
    assert Cut("a", "x", "<", 0.0).mask(t).tolist() == [True, False, False, False]
    assert Cut("b", "x", "<=", 0.0).mask(t).tolist() == [True, True, False, False]
    assert Cut("c", "x", ">", 0.0).mask(t).tolist() == [False, False, True, False]
    assert Cut("d", "x", ">=", 0.0).mask(t).tolist() == [False, True, True, False]
    assert Cut("e", "x", "==", 0.0).mask(t).tolist() == [False, True, False, False]
    assert Cut("g", "x", "between", (-0.5, 1.0)).mask(t).tolist() == [False, True, True, False]
    assert Cut("h", "x", "outside", (-0.5, 0.5)).mask(t).tolist() == [True, False, True, False]
    # callable variable and per-event callable threshold
    t2 = {"x": np.array([1.0, 2.0, 3.0]), "y": np.array([2.0, 2.0, 2.0])}
    assert Cut("i", lambda tb: tb["x"] * 2, ">", 3.0).mask(t2).tolist() == [False, True, True]
    assert Cut("j", "x", ">=", lambda tb: tb["y"]).mask(t2).tolist() == [False, True, True]


def test_cut_configuration_errors():
    with pytest.raises(ConfigError):
        Cut("bad", "x", "=~", 1.0)
    with pytest.raises(ConfigError):
        Cut("bad", "x", "between", 1.0)
    with pytest.raises(ConfigError):
        Cut("bad", "x", "between", (2.0, 1.0))
    with pytest.raises(ConfigError):
        Cut("", "x", "<", 1.0)
    with pytest.raises(ConfigError, match="not a variable"):
        Cut("missing", "nope", "<", 1.0).mask({"x": np.zeros(2)})
    with pytest.raises(ConfigError):
        Selection((Cut("a", "x", "<", 1.0), Cut("a", "x", ">", 0.0)))


def test_cutflow_numbers():
    # hand-computed: weights 1..6 fb, L = 10 fb^-1
    t = {
        "x": np.array([0.5, 1.5, 2.5, 3.5, 4.5, 5.5]),
        "y": np.array([1, 0, 1, 0, 1, 1]),
        "weight": np.arange(1.0, 7.0),
    }
    sel = Selection((Cut("x>1", "x", ">", 1.0), Cut("y==1", "y", "==", 1)))
    mask, flow = sel.apply(t, luminosity=10.0)
    assert mask.tolist() == [False, False, True, False, True, True]
    assert [r.name for r in flow.rows] == ["all", "x>1", "y==1"]
    assert [r.events for r in flow.rows] == [6, 5, 3]
    assert [r.sum_weights for r in flow.rows] == [21.0, 20.0, 14.0]  # 3+5+6 = 14
    assert [r.expected_yield for r in flow.rows] == [210.0, 200.0, 140.0]
    assert flow["x>1"].efficiency == pytest.approx(20.0 / 21.0, rel=1e-15)
    assert flow["y==1"].efficiency == pytest.approx(14.0 / 20.0, rel=1e-15)
    assert flow["y==1"].cumulative_efficiency == pytest.approx(14.0 / 21.0, rel=1e-15)
    text = flow.to_text()
    assert "y==1" in text and "140" in text
    assert flow.as_dicts()[2]["events"] == 3
    # explicit weights override the table column
    _, flow2 = sel.apply(t, luminosity=1.0, weights=np.ones(6))
    assert flow2["y==1"].expected_yield == 3.0


# ---------------------------------------------------------------- Z' selection

COLLIDER = belle2()


def _two_body_momentum(sqrt_s, m1, m2):
    s = sqrt_s**2
    return math.sqrt((s - (m1 + m2) ** 2) * (s - (m1 - m2) ** 2)) / (2 * sqrt_s)


def _signal_kinematics(m_zprime=3.0, m_mumu=4.0):
    """Lab four-momenta of mu+, mu- for e+e- -> Z'(+x in CM) + (mu mu)(-x), muons along +-y
    in the dimuon rest frame: both muons and the recoil end up in the barrel."""
    sqrt_s = COLLIDER.sqrt_s
    p = _two_body_momentum(sqrt_s, m_zprime, m_mumu)
    e_x = math.sqrt(p * p + m_mumu**2)
    beta, gamma = -p / e_x, e_x / m_mumu  # dimuon system moves along -x
    q = math.sqrt((m_mumu / 2) ** 2 - M_MU**2)
    out = []
    for sign in (+1, -1):
        rest = np.array([m_mumu / 2, 0.0, sign * q, 0.0])
        e = gamma * rest[0]
        px = gamma * beta * rest[0]
        out.append(COLLIDER.to_lab(np.array([e, px, rest[2], 0.0])))
    return out[0], out[1]


def _track(p4, charge, muon_id=0.9):
    e, px, py, pz = (float(x) for x in p4)
    p = math.sqrt(px * px + py * py + pz * pz)
    return {
        "px": px, "py": py, "pz": pz, "E": e, "p": p, "pt": math.hypot(px, py),
        "cosTheta": pz / p, "phi": math.atan2(py, px), "charge": charge, "d0": 0.0,
        "z0": 0.0, "muonID": muon_id, "electronID": 0.0, "pionID": 0.0, "kaonID": 0.0,
        "clusterE": 0.2, "mcIndex": 0, "mcPDG": -13 * charge,
    }  # fmt: skip


def _cluster(e, theta, phi, matched=False):
    return {
        "E": e, "clusterE": e, "theta": theta, "phi": phi, "cosTheta": math.cos(theta),
        "clusterReg": 2, "isTrackMatched": matched, "isBeamBackground": False, "mcIndex": -1,
    }  # fmt: skip


def _direction(p4):
    return float(kin.polar_angle(p4)), math.atan2(p4[2], p4[1])


def _rotate_towards(theta, phi, angle):
    """A direction ``angle`` away from (theta, phi), tilted in theta."""
    return theta + angle, phi


TRIG_ON = {"two_track": True, "single_muon": True, "single_photon": False,
           "three_photon": False, "displaced_vertex": False, "any": True}  # fmt: skip
TRIG_OFF = dict.fromkeys(TRIG_ON, False)


def _event(tracks, clusters=(), trigger=TRIG_ON, weight=1.0):
    return {"tracks": list(tracks), "clusters": list(clusters), "trigger": trigger,
            "weight": weight}  # fmt: skip


def _zprime_events():
    p_plus, p_minus = _signal_kinematics()
    rec = kin.recoil_four_momentum(p_plus, p_minus, COLLIDER)
    th_rec, ph_rec = _direction(rec)
    th_plus, ph_plus = _direction(p_plus)
    th_minus, ph_minus = _direction(p_minus)
    muon_clusters = [
        _cluster(0.2, th_plus, ph_plus, matched=True),
        _cluster(0.2, th_minus, ph_minus, matched=True),
    ]
    mu = [_track(p_plus, +1), _track(p_minus, -1)]
    # pi0 photons far from the recoil (backward, opposite in phi): m = 0.135 GeV exactly
    e_g, m_pi0 = 0.1, 0.135
    alpha = math.acos(1.0 - m_pi0**2 / (2 * e_g**2))
    pi0 = [_cluster(e_g, 2.4, ph_rec + math.pi), _cluster(e_g, 2.4 + alpha, ph_rec + math.pi)]
    forward = p_plus.copy()
    forward[1:] = np.array([0.0, 0.3, 1.0]) * np.linalg.norm(p_plus[1:]) / math.hypot(0.3, 1.0)
    near = _rotate_towards(th_rec, ph_rec, math.radians(5.0))
    events = [
        _event(mu, muon_clusters, weight=1.0),  # passes everything
        _event(mu, muon_clusters, trigger=TRIG_OFF, weight=2.0),
        _event([*mu, _track(p_minus, -1)], muon_clusters, weight=3.0),
        _event([_track(p_plus, +1), _track(p_minus, +1)], muon_clusters, weight=4.0),
        _event([_track(p_plus, +1), _track(p_minus, -1, 0.1)], muon_clusters, weight=5.0),
        _event([_track(forward, +1), _track(p_minus, -1)], muon_clusters, weight=6.0),
        _event(mu, [*muon_clusters, _cluster(0.3, *near)], weight=7.0),
        _event(mu, [*muon_clusters, *pi0], weight=8.0),
        _event(mu, [*muon_clusters, _cluster(0.6, 2.4, ph_rec + math.pi)], weight=9.0),
    ]
    return ak.Array(events)


def test_signal_topology_is_in_the_fiducial_region():
    # precondition of the cut tests below: the constructed signal event is fiducial
    p_plus, p_minus = _signal_kinematics()
    lo, hi = ZPRIME_CUT_DEFAULTS["muon_theta_range"]
    for p in (p_plus, p_minus):
        assert lo < float(kin.polar_angle(p)) < hi
    rec = kin.recoil_four_momentum(p_plus, p_minus, COLLIDER)
    # recoil mass is the Z' mass put in (3 GeV)
    assert float(kin.recoil_mass(p_plus, p_minus, COLLIDER)) == pytest.approx(3.0, abs=1e-9)
    r_lo, r_hi = ZPRIME_CUT_DEFAULTS["recoil_theta_range"]
    assert r_lo < float(kin.polar_angle(rec)) < r_hi


def test_zprime_selection_each_cut_and_cutflow():
    events = _zprime_events()
    table = kin.dimuon_variables(events, COLLIDER)
    sel = zprime_selection()
    mask, flow = sel.apply(table, luminosity=2.0)
    assert mask.tolist() == [True] + [False] * 8
    names = [r.name for r in flow.rows]
    assert names == [
        "all", "trigger", "two_tracks", "opposite_charge", "muon_id", "muon_barrel",
        "pt_mumu_cms_min", "recoil_barrel", "recoil_photon_veto", "pi0_veto", "extra_energy",
    ]  # fmt: skip
    # each constructed event fails exactly at its cut: events 2..9 drop one per step
    assert [r.events for r in flow.rows] == [9, 8, 7, 6, 5, 4, 4, 4, 3, 2, 1]
    sums = [45.0, 43.0, 40.0, 36.0, 31.0, 25.0, 25.0, 25.0, 18.0, 10.0, 1.0]
    assert [r.sum_weights for r in flow.rows] == pytest.approx(sums, rel=1e-14)
    assert [r.expected_yield for r in flow.rows] == pytest.approx([2 * s for s in sums])
    assert flow["recoil_photon_veto"].efficiency == pytest.approx(18.0 / 25.0)
    assert flow["extra_energy"].cumulative_efficiency == pytest.approx(1.0 / 45.0)


def test_zprime_selection_config_overrides():
    events = _zprime_events()
    table = kin.dimuon_variables(events, COLLIDER)
    # a looser extra-energy cut keeps the 0.6 GeV event; a wider veto angle is harmless here
    loose = zprime_selection({"extra_energy_max": 1.0})
    assert loose.mask(table).tolist() == [True] + [False] * 7 + [True]
    # a veto cone smaller than the 5 degree offset keeps the near-photon event, which then
    # fails only the extra-energy cut (0.3 GeV < 0.4 GeV passes): it is selected
    narrow = zprime_selection({"recoil_photon_veto_angle": math.radians(4.0)})
    assert narrow.mask(table)[6]
    # an additional tau-suppression cut below the signal pT removes everything
    pt = float(table["pt_mumu_cms"][0])
    assert pt == pytest.approx(_two_body_momentum(COLLIDER.sqrt_s, 3.0, 4.0), rel=1e-9)
    tau_cut = zprime_selection({"pt_mumu_cms_max": pt - 0.01})
    assert not tau_cut.mask(table).any()
    assert "pt_mumu_cms_max" in tau_cut.names
    with pytest.raises(ConfigError, match="unknown"):
        zprime_selection({"extra_energy_maximum": 1.0})
