"""Tests of the Pythia 8 Standard-Model background generator (darkscan.generate.pythia)."""

from __future__ import annotations

import math

import awkward as ak
import numpy as np
import pytest

from darkscan.beams import belle2, kloe
from darkscan.constants import M_MU, M_TAU
from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.generate.event_record import PARTICLE_FIELDS
from darkscan.generate.isr import convolve_isr
from darkscan.generate.pythia import (
    PYTHIA_PROCESSES,
    AcceptanceFilter,
    generate_pythia,
    pythia_settings,
)
from darkscan.models.sm_cross_sections import born_mumu_cross_section

pytest.importorskip("pythia8mc")

BELLE2 = belle2()
#: Pure QED: fixed alpha = alpha(0) in the hard process, gamma* only (no Z).
_QED_ONLY = {"SigmaProcess:alphaEMorder": 0, "WeakZ0:gmZmode": 1}


def _final_sums_cms(sample):
    """Sum of the final-state four-momenta of each event, in the CM frame, shape (n, 4)."""
    p = sample.events.particles
    fin = p[p.is_final]
    lab = np.stack([ak.to_numpy(ak.sum(fin[c], axis=1)) for c in ("E", "px", "py", "pz")], -1)
    return BELLE2.to_cms(lab.astype(np.float64))


@pytest.fixture(scope="module")
def mumu_sample():
    return generate_pythia("mumu", BELLE2, 300, np.random.default_rng(11))


@pytest.fixture(scope="module")
def tautau_sample():
    return generate_pythia("tautau", BELLE2, 100, np.random.default_rng(12))


def test_record_layout_and_dtypes(mumu_sample):
    ev = mumu_sample.events
    assert ak.fields(ev) == ["particles", "weight"]
    assert ak.fields(ev.particles) == list(PARTICLE_FIELDS)
    for name, dtype in PARTICLE_FIELDS.items():
        assert ak.to_numpy(ak.flatten(ev.particles[name])).dtype == np.dtype(dtype), name
    assert ak.to_numpy(ev.weight).dtype == np.float64
    assert len(ev) == mumu_sample.n_events == 300
    # weights sum to the booked cross section (event_record contract), unweighted sample
    assert math.isclose(float(np.sum(ev.weight)), mumu_sample.cross_section_fb, rel_tol=1e-12)
    assert math.isclose(mumu_sample.luminosity, 300 / mumu_sample.cross_section_fb)
    # every event has exactly one final mu- and one final mu+
    pdg = ev.particles.pdg[ev.particles.is_final]
    assert np.all(ak.to_numpy(ak.sum(pdg == 13, axis=1)) == 1)
    assert np.all(ak.to_numpy(ak.sum(pdg == -13, axis=1)) == 1)
    # mothers index into the same event (or -1)
    mother = ev.particles.mother
    assert ak.all(mother < ak.num(ev.particles)) and ak.all(mother >= -1)


def test_four_momentum_conservation_in_cms(mumu_sample, tautau_sample):
    # All final-state particles (ISR photons, beam-remnant photons, neutrinos included) add
    # up to the beams: (sqrt(s), 0, 0, 0) in the CM frame; float32 storage -> ~1e-6 relative.
    for sample in (mumu_sample, tautau_sample):
        total = _final_sums_cms(sample)
        expected = np.array([BELLE2.sqrt_s, 0.0, 0.0, 0.0])
        assert np.max(np.abs(total - expected)) < 1e-4 * BELLE2.sqrt_s


def test_lab_frame_total_momentum(mumu_sample):
    # in the lab the final state carries the beams' total momentum (crossing angle: px > 0)
    p = mumu_sample.events.particles
    fin = p[p.is_final]
    lab = np.stack([ak.to_numpy(ak.sum(fin[c], axis=1)) for c in ("E", "px", "py", "pz")], -1)
    np.testing.assert_allclose(lab, np.broadcast_to(BELLE2.p_total, lab.shape), atol=2e-5)


def test_mumu_without_isr_is_the_born_cross_section():
    # PDF:lepton off, fixed alpha(0), gamma* only: Pythia's cross section must be the lowest
    # order sigma = 4 pi alpha^2 / 3s * beta (3 - beta^2)/2 (Peskin & Schroeder eq. 5.13),
    # up to Pythia's MC error (the integrand is flat: ~1e-6).
    s = generate_pythia(
        "mumu",
        BELLE2,
        200,
        np.random.default_rng(3),
        settings={**_QED_ONLY, "PDF:lepton": "off"},
    )
    born = born_mumu_cross_section(BELLE2.sqrt_s)
    assert s.cross_section_fb == pytest.approx(born, rel=2e-3)


def test_mumu_isr_enhancement_matches_structure_function_convolution():
    # Same, with ISR: the ratio to the Born cross section is the convolution of the Born
    # cross section with two electron structure functions (Kuraev-Fadin, O(beta) with
    # exponentiation, darkscan.generate.isr.convolve_isr) over m(mu mu) > 2 m_mu:
    # expected ratio 1.385 (radiative return to low masses where sigma ~ 1/s'). Pythia's
    # lepton PDF (Kleiss et al. CERN 89-08, with O(alpha^2) soft terms) differs at O(beta^2)
    # ~ 1 %; MC error ~ 1 % for 3000 events. Tolerance 3 %.
    s = generate_pythia("mumu", BELLE2, 3000, np.random.default_rng(4), settings=_QED_ONLY)
    s_nominal = BELLE2.s
    m_min = PYTHIA_PROCESSES["mumu"].m_hat_min
    expected = convolve_isr(lambda sp: born_mumu_cross_section(np.sqrt(sp)), s_nominal, m_min**2)
    born = born_mumu_cross_section(BELLE2.sqrt_s)
    assert expected / born == pytest.approx(1.385, abs=0.002)
    assert s.cross_section_fb == pytest.approx(expected, rel=0.03)
    assert s.cross_section_uncertainty_fb < 0.015 * s.cross_section_fb


def test_mumu_isr_photons_and_radiative_return(mumu_sample):
    # the mu mu invariant mass falls below sqrt(s) through ISR; m(mu mu) >= 2 m_mu always
    p = mumu_sample.events.particles
    mu = p[p.is_final & (abs(p.pdg) == 13)]
    tot = {c: ak.to_numpy(ak.sum(mu[c], axis=1)).astype(float) for c in ("E", "px", "py", "pz")}
    m = np.sqrt(np.maximum(tot["E"] ** 2 - tot["px"] ** 2 - tot["py"] ** 2 - tot["pz"] ** 2, 0))
    assert np.all(m > 2 * M_MU - 1e-3)
    assert np.all(m < BELLE2.sqrt_s + 1e-3)
    # a radiative tail exists: with the KF structure function ~ 28 % of the cross section
    # has m(mu mu) < 0.9 sqrt(s) (convolve_isr); 300 events: require > 10 %
    assert np.mean(m < 0.9 * BELLE2.sqrt_s) > 0.10


def test_tau_decays_neutrinos_invisible_and_lifetime(tautau_sample):
    p = tautau_sample.events.particles
    # each event: one nu_tau and one anti-nu_tau (tau- -> nu_tau X, tau+ -> nu_tau-bar X)
    fin = p[p.is_final]
    assert np.all(ak.to_numpy(ak.sum(fin.pdg == 16, axis=1)) == 1)
    assert np.all(ak.to_numpy(ak.sum(fin.pdg == -16, axis=1)) == 1)
    nu = abs(fin.pdg)
    assert ak.all(fin.is_invisible == ((nu == 12) | (nu == 14) | (nu == 16)))
    # decay length: a tau's daughters are produced at x^mu = tau_proper * p^mu / m, so the
    # proper decay length d / (|p|/m) is exponential with mean c tau = 87.03 um
    # (PDG 2024, tau lifetime 290.3 fs). ~200 taus: error 7 %, tolerance 25 %.
    flat = ak.flatten(p)
    counts = ak.to_numpy(ak.num(p))
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    mother = ak.to_numpy(flat.mother)
    pdg = ak.to_numpy(flat.pdg)
    has_m = mother >= 0
    mother_global = np.where(has_m, starts + mother, 0)
    from_tau = has_m & (np.abs(pdg[mother_global]) == 15) & (np.abs(pdg) == 16)
    i_tau = mother_global[from_tau]
    d = np.sqrt(
        sum(
            (ak.to_numpy(flat[c])[from_tau] - ak.to_numpy(flat[c])[i_tau]).astype(float) ** 2
            for c in ("vx", "vy", "vz")
        )
    )
    p_tau = np.sqrt(sum(ak.to_numpy(flat[c])[i_tau].astype(float) ** 2 for c in ("px", "py", "pz")))
    ctau = d / (p_tau / M_TAU)
    assert ctau.size == 2 * tautau_sample.n_events
    assert np.mean(ctau) == pytest.approx(87.03e-4, rel=0.25)
    # space-time displacement is parallel to the four-momentum: c t / |x| = E / |p|
    ct = (ak.to_numpy(flat.t)[from_tau] - ak.to_numpy(flat.t)[i_tau]) * 29.9792458
    e_tau = ak.to_numpy(flat.E)[i_tau]
    ok = d > 1e-4
    np.testing.assert_allclose(ct[ok] / d[ok], (e_tau / p_tau)[ok], rtol=1e-3)


def test_same_seed_same_events():
    a = generate_pythia("uubar", BELLE2, 50, np.random.default_rng(5))
    b = generate_pythia("uubar", BELLE2, 50, np.random.default_rng(5))
    c = generate_pythia("uubar", BELLE2, 50, np.random.default_rng(6))
    assert ak.to_list(a.events) == ak.to_list(b.events)
    assert a.cross_section_fb == b.cross_section_fb
    assert a.seed == b.seed and a.seed["pythia_seed"] != c.seed["pythia_seed"]
    assert 1 <= a.seed["pythia_seed"] <= 900_000_000
    assert ak.to_list(a.events.particles.pdg) != ak.to_list(c.events.particles.pdg)


def test_filter_booking_is_exact():
    # The filtered run sees the same Pythia event stream as the unfiltered one (same seed):
    # its events are the first n passing ones, and the booked efficiency is n / (index of
    # the n-th passing event + 1).
    acc = AcceptanceFilter()  # both muons in 17-150 deg (lab)
    n = 100
    full = generate_pythia("mumu", BELLE2, 400, np.random.default_rng(7))
    passing = np.flatnonzero(acc(full.events))
    assert passing.size >= n
    filt = generate_pythia("mumu", BELLE2, n, np.random.default_rng(7), filter=acc)
    assert ak.to_list(filt.events.particles) == ak.to_list(full.events.particles[passing[:n]])
    eff = n / (passing[n - 1] + 1)
    cuts = filt.generator_cuts
    assert cuts["filter_efficiency"] == pytest.approx(eff, rel=1e-12)
    assert cuts["filter"]["theta_range_deg"] == [17.0, 150.0]
    assert filt.cross_section_fb == pytest.approx(
        cuts["cross_section_before_filter_fb"] * eff, rel=1e-12
    )
    assert float(np.sum(filt.events.weight)) == pytest.approx(filt.cross_section_fb, rel=1e-12)
    # every accepted event passes the filter
    assert np.all(acc(filt.events))


def test_filter_efficiency_matches_unfiltered_fraction():
    # booked sigma*eff vs. the fraction of an independent unfiltered sample passing:
    # both estimate the same number; 400 events -> ~5 % binomial error, tolerance 20 %.
    acc = AcceptanceFilter()
    full = generate_pythia("mumu", BELLE2, 400, np.random.default_rng(8))
    frac = float(np.mean(acc(full.events)))
    filt = generate_pythia("mumu", BELLE2, 200, np.random.default_rng(9), filter=acc)
    assert filt.generator_cuts["filter_efficiency"] == pytest.approx(frac, rel=0.2)
    assert filt.cross_section_uncertainty_fb > 0


@pytest.mark.parametrize("process", ["ccbar", "eemumu", "gammagamma"])
def test_other_processes_conserve_momentum_and_have_cuts(process):
    s = generate_pythia(process, BELLE2, 50, np.random.default_rng(10))
    total = _final_sums_cms(s)
    assert np.max(np.abs(total - [BELLE2.sqrt_s, 0, 0, 0])) < 1e-4 * BELLE2.sqrt_s
    assert s.generator_cuts["m_hat_min"] == PYTHIA_PROCESSES[process].m_hat_min
    assert s.cross_section_fb > 0
    if process == "gammagamma":
        # pT_hat > (sqrt(s)/2) sin(10 deg): 10 deg < theta* < 170 deg at full energy
        assert s.generator_cuts["pt_hat_min"] == pytest.approx(
            BELLE2.sqrt_s / 2 * math.sin(math.radians(10))
        )


def test_settings_listing():
    s = pythia_settings("tautau", 10.58, 42)
    assert "23:onIfAny = 15" in s and "Random:seed = 42" in s and "PDF:lepton = on" in s
    assert "TauDecays:mode = 1" in s


def test_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(ConfigError, match="allowed: mumu, tautau"):
        generate_pythia("bhabha", BELLE2, 10, rng)
    for bad in (0, -5, 2.5, True):
        with pytest.raises(ConfigError, match="n_events"):
            generate_pythia("mumu", BELLE2, bad, rng)
    with pytest.raises(ConfigError, match="rng"):
        generate_pythia("mumu", BELLE2, 10, 1234)
    with pytest.raises(ConfigError, match="rejected the setting"):
        generate_pythia("mumu", BELLE2, 10, rng, settings={"NoSuch:thing": 1})
    # KLOE: sqrt(s) = 1.02 GeV, below the tau-pair cut 3.56 GeV
    with pytest.raises(PhysicsDomainError, match=r"sqrt_s = 1\.0"):
        generate_pythia("tautau", kloe(), 10, rng)
    with pytest.raises(PhysicsDomainError, match="theta range"):
        AcceptanceFilter(theta_min=150.0, theta_max=17.0)
    with pytest.raises(ConfigError, match="one bool per event"):
        generate_pythia("mumu", BELLE2, 10, rng, filter=lambda ev: np.ones(3))


def test_parquet_round_trip(tmp_path, mumu_sample):
    from darkscan.io.parquet import read_sample, write_sample

    path = write_sample(mumu_sample, tmp_path / "mumu.parquet")
    back = read_sample(path)
    assert ak.to_list(back.events) == ak.to_list(mumu_sample.events)
    assert back.metadata() == mumu_sample.metadata()
    assert back.generator_settings["pythia_settings"][0] == "Beams:idA = 11"
