"""Tests of the e+e- -> mu+ mu- Z' generator and its analytic matrix element."""

from __future__ import annotations

import math

import awkward as ak
import numpy as np
import pytest
from _isr_helpers import eikonal_pit_p_value
from scipy import stats

import darkscan.generate.isr as isr_module
from darkscan.beams import belle2
from darkscan.constants import ALPHA_EM, M_MU
from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.generate.isr import isr_photons
from darkscan.generate.phasespace import boost_to_rest_frame, invariant_mass
from darkscan.generate.processes import _mumu_zprime_kernel as kernel
from darkscan.generate.processes.mumu_zprime import generate_mumu_zprime
from darkscan.models import _mumu_zprime as reference
from darkscan.models.lmu_ltau import LmuLtauZprime, muon_polar_angle_cut

P_MIN = 1e-3
COLLIDER = belle2()
NAMES = ("p_electron", "p_positron", "p_mu_minus", "p_mu_plus", "p_zprime")


def _p4(particles, i):
    return np.column_stack(
        [ak.to_numpy(particles[f][:, i]).astype(np.float64) for f in ("E", "px", "py", "pz")]
    )


def _cms(particles, i):
    return COLLIDER.to_cms(_p4(particles, i))


def _chi2_p(observed, expected):
    chi2 = float(np.sum((observed - expected) ** 2 / expected))
    return stats.chi2.sf(chi2, observed.size - 1)


# ------------------------------------------------------------- analytic |M|^2 vs reference
@pytest.mark.parametrize("sqrt_s", [3.0, 10.58])
@pytest.mark.parametrize("m_zprime", [1e-3, 0.05, 0.3, 1.0, 2.5])
def test_analytic_matrix_element_equals_dirac_reference(sqrt_s, m_zprime):
    rng = np.random.default_rng(int(1000 * m_zprime) + int(sqrt_s))
    ps = reference.sample_phase_space(sqrt_s, m_zprime, rng.random((400, 5)))
    moms = [ps[k] for k in NAMES]
    fast = kernel.matrix_element_squared(*moms, g_prime=0.37)
    ref = reference.matrix_element_squared(*moms, g_prime=0.37)
    np.testing.assert_allclose(fast, ref, rtol=1e-10, atol=0)
    # longitudinal fraction vs the explicit helicity-zero amplitude of the reference
    q = moms[4]
    q_abs = np.linalg.norm(q[:, 1:], axis=1)
    eps_l = np.column_stack([q_abs / m_zprime, (q[:, 0] / (m_zprime * q_abs))[:, None] * q[:, 1:]])
    amp = reference.helicity_amplitudes(*moms, eps_l, g_prime=0.37)
    ref_long = 0.25 * np.sum(np.abs(amp) ** 2, axis=(1, 2, 3, 4)) / ref
    np.testing.assert_allclose(kernel.longitudinal_fraction(*moms), ref_long, rtol=0, atol=1e-9)


def test_polarised_trace_is_gauge_invariant():
    """R_eps(eps + c q) = R_eps(eps): the Z' couples to a conserved current."""
    ps = reference.sample_phase_space(10.58, 0.7, np.random.default_rng(2).random((50, 5)))
    p1, p2, k1, k2, q = (ps[k] for k in NAMES)
    dot = reference.minkowski_dot
    eps = np.random.default_rng(3).normal(size=(50, 4))

    def r_eps(e):
        s = dot(p1 + p2, p1 + p2)
        return np.array(
            [
                kernel.reduced_m2_polarised(
                    s[i],
                    reference.M_E**2,
                    M_MU**2,
                    dot(q, q)[i],
                    dot(p1, k1)[i],
                    dot(p1, k2)[i],
                    dot(p2, k1)[i],
                    dot(p2, k2)[i],
                    2 * dot(k1, q)[i] + dot(q, q)[i],
                    2 * dot(k2, q)[i] + dot(q, q)[i],
                    dot(e, e)[i],
                    dot(e, k1)[i],
                    dot(e, k2)[i],
                    dot(e, p1)[i],
                    dot(e, p2)[i],
                    dot(e, q)[i],
                )
                for i in range(50)
            ]
        )

    np.testing.assert_allclose(r_eps(eps + 2.5 * q), r_eps(eps), rtol=1e-8)


@pytest.mark.slow
def test_shipped_formula_is_the_derived_trace():
    """The compiled R, R_eps equal the polynomials re-derived by the trace routine."""
    derived = kernel._derive_polynomials()
    rng = np.random.default_rng(4)
    for _ in range(20):
        v = dict(
            zip(
                ("s", "a1", "a2", "b1", "b2", "D1", "D2", "M2"),
                rng.uniform(0.5, 50, 8),
                strict=True,
            )
        )
        v.update(m=0.3, me2=0.01)
        e = dict(
            zip(("e.e", "e.k1", "e.k2", "e.p1", "e.p2", "e.q"), rng.normal(size=6), strict=True)
        )
        args = (
            [v[k] for k in ("s", "me2")]
            + [0.09]
            + [v[k] for k in ("M2", "a1", "a2", "b1", "b2", "D1", "D2")]
        )
        r = kernel.reduced_m2(*args)
        assert kernel._evaluate_polynomial(derived["sum"], v) / 8 == pytest.approx(r, rel=1e-12)
        r_eps = kernel.reduced_m2_polarised(*args, *e.values())
        value = kernel._evaluate_polynomial(derived["polarised"], v | e) / 8
        assert value == pytest.approx(r_eps, rel=1e-10)


@pytest.mark.parametrize("a", [-1.0, -0.4, 0.0, 0.2, 1.0])
def test_decay_angle_inversion(a):
    x = np.linspace(0.0, 1.0, 201)
    c = np.array([kernel.sample_cos_one_plus_a_cos2(a, v) for v in x])
    cdf = (c + a * c**3 / 3 + 1 + a / 3) / (2 + 2 * a / 3)
    np.testing.assert_allclose(cdf, x, atol=1e-12)


# ------------------------------------------------------------- cross sections
@pytest.fixture(scope="module")
def sample_1gev():
    model = LmuLtauZprime(m_zprime=1.0, g_prime=3e-2)
    return model, generate_mumu_zprime(model, COLLIDER, 60_000, np.random.default_rng(11))


def test_total_cross_section_equals_model_integration(sample_1gev):
    model, s = sample_1gev
    sigma_model, err_model = model.cross_section_mumu_zprime(
        COLLIDER.sqrt_s, rng=np.random.default_rng(5)
    )
    err = math.hypot(s.cross_section_uncertainty_fb, err_model)
    assert abs(s.cross_section_fb - sigma_model) < 4 * err
    assert s.cross_section_uncertainty_fb / s.cross_section_fb < 3e-3
    # the unweighting bookkeeping: efficiency x envelope is another estimate of sigma
    g = s.generator_settings
    n_trials = g["n_proposals"] - g["n_pilot"]
    eff = g["accept_reject_efficiency"]
    assert eff * g["max_weight"] == pytest.approx(
        sigma_model, rel=4 * math.sqrt(1 / (eff * n_trials))
    )
    assert g["overweight_fraction"] < 1e-3
    assert s.luminosity == pytest.approx(s.n_events / s.cross_section_fb, rel=1e-12)


@pytest.mark.parametrize("m_zprime", [0.2, pytest.param(4.0, marks=pytest.mark.slow)])
def test_cross_section_with_cms_cut_equals_model(m_zprime):
    model = LmuLtauZprime(m_zprime=m_zprime, g_prime=1e-2)
    s = generate_mumu_zprime(
        model, COLLIDER, 2000, np.random.default_rng(12), cuts={"cos_theta_mu_cms": (-0.8, 0.8)}
    )
    sigma_model, err_model = model.cross_section_mumu_zprime(
        COLLIDER.sqrt_s,
        rng=np.random.default_rng(6),
        cuts=muon_polar_angle_cut(0.8),
        n_points=10_000,
        n_iterations=6,
    )
    assert abs(s.cross_section_fb - sigma_model) < 4 * math.hypot(
        s.cross_section_uncertainty_fb, err_model
    )
    for i in (0, 1):
        mu = _cms(s.events.particles, i)
        assert np.all(np.abs(mu[:, 3] / np.linalg.norm(mu[:, 1:], axis=1)) < 0.8 + 1e-6)


def test_lab_angle_cut(sample_1gev):
    """sigma after the 17-150 deg cut = sigma x (fraction of the uncut sample passing)."""
    model, full = sample_1gev
    window = (math.radians(17.0), math.radians(150.0))
    s = generate_mumu_zprime(
        model, COLLIDER, 5000, np.random.default_rng(13), cuts={"theta_mu_lab": window}
    )
    assert s.generator_cuts == {"theta_mu_lab": list(window)}
    ok = np.ones(full.n_events, dtype=bool)
    for i in (0, 1):
        for sample, mask in ((s, None), (full, ok)):
            p = _p4(sample.events.particles, i)
            theta = np.arccos(p[:, 3] / np.linalg.norm(p[:, 1:], axis=1))
            inside = (theta > window[0] - 1e-5) & (theta < window[1] + 1e-5)
            if mask is None:
                assert inside.all()
            else:
                mask &= inside
    frac = ok.mean()
    expected = full.cross_section_fb * frac
    err = math.hypot(
        full.cross_section_fb * math.sqrt(frac * (1 - frac) / full.n_events),
        s.cross_section_uncertainty_fb,
    )
    assert abs(s.cross_section_fb - expected) < 4 * err
    assert 0.3 < frac < 0.9


# ------------------------------------------------------------- distributions
def test_light_zprime_energy_spectrum_is_soft_fsr():
    """m_Z' << m_mu: soft Z' spectrum = soft-photon FSR with alpha -> g'^2/(4 pi).

    Eikonal emission off the muon pair (velocity beta in the CM):
    d sigma = sigma(ee -> mu mu) (alpha'/pi) [(1 + beta^2)/beta ln((1 + beta)/(1 - beta)) - 2]
    dE/E (e.g. Peskin & Schroeder eq. (6.17) integrated over angles; the massless limit is
    (2 alpha'/pi)(ln(s/m^2) - 1)). Corrections are O(E/E_beam) <~ 1% in the window used.
    """
    g_prime = 0.05
    model = LmuLtauZprime(m_zprime=1e-5, g_prime=g_prime)
    s = generate_mumu_zprime(model, COLLIDER, 120_000, np.random.default_rng(14))
    energy = _cms(s.events.particles, 2)[:, 0]
    edges = np.geomspace(0.01, 0.05, 4)
    observed, _ = np.histogram(energy, edges)
    sqrt_s = COLLIDER.sqrt_s
    beta = math.sqrt(1 - 4 * M_MU**2 / sqrt_s**2)
    sigma_mumu = 4 * math.pi * ALPHA_EM**2 / (3 * sqrt_s**2) * beta * (3 - beta**2) / 2
    radiator = (1 + beta**2) / beta * math.log((1 + beta) / (1 - beta)) - 2
    alpha_prime = g_prime**2 / (4 * math.pi)
    sigma_bins = sigma_mumu * 0.3894e12 * alpha_prime / math.pi * radiator * np.diff(np.log(edges))
    expected = s.n_events * sigma_bins / s.cross_section_fb
    # statistical error (+ the cross-section error) plus 1.5% for the soft approximation
    tolerance = 3 * np.sqrt(expected) + 0.015 * expected
    assert np.all(np.abs(observed - expected) < tolerance)
    assert observed.sum() > 10_000


def test_muon_angle_matches_independent_weighted_integration(sample_1gev):
    """mu- cos(theta_cms) vs VEGAS-weighted events with the Dirac-matrix |M|^2."""
    _, s = sample_1gev
    ref = reference.weighted_events(
        COLLIDER.sqrt_s,
        1.0,
        40_000,
        rng=np.random.default_rng(15),
        g_prime=3e-2,
        n_points=8000,
        n_iterations=5,
    )
    p_ref = ref["p_mu_minus"]
    cos_ref = p_ref[:, 3] / np.linalg.norm(p_ref[:, 1:], axis=1)
    mu = _cms(s.events.particles, 0)
    cos_gen = mu[:, 3] / np.linalg.norm(mu[:, 1:], axis=1)
    edges = np.linspace(-1, 1, 11)
    w = ref["weight"]
    sums, _ = np.histogram(cos_ref, edges, weights=w)
    sums2, _ = np.histogram(cos_ref, edges, weights=w * w)
    counts, _ = np.histogram(cos_gen, edges)
    n = s.n_events
    frac_ref = sums / w.sum()
    frac_gen = counts / n
    var = frac_ref * (1 - frac_ref) / n + sums2 / w.sum() ** 2
    chi2 = float(np.sum((frac_gen - frac_ref) ** 2 / var))
    assert stats.chi2.sf(chi2, len(edges) - 2) > P_MIN
    # 1 + cos^2-like: forward-backward symmetric, rising towards the beams
    assert frac_gen[0] > 1.5 * frac_gen[5] and frac_gen[-1] > 1.5 * frac_gen[4]
    assert abs(frac_gen[:5].sum() - 0.5) < 4 * math.sqrt(0.25 / n)


def test_four_momentum_conservation_and_record(sample_1gev):
    _, s = sample_1gev
    p = s.events.particles
    assert ak.all(ak.num(p) == 5)
    total = _p4(p, 0) + _p4(p, 1) + _p4(p, 3) + _p4(p, 4)
    np.testing.assert_allclose(total, np.tile(COLLIDER.p_total, (len(p), 1)), atol=3e-5)
    np.testing.assert_allclose(_p4(p, 3) + _p4(p, 4), _p4(p, 2), atol=2e-5)
    np.testing.assert_allclose(invariant_mass(_p4(p, 2)), 1.0, rtol=1e-4)
    np.testing.assert_allclose(invariant_mass(_p4(p, 0)), M_MU, rtol=2e-3)
    assert ak.to_list(p.pdg[0][:3]) == [13, -13, 55]
    assert ak.all(p.mother[:, 3:] == 2) and ak.all(~p.is_final[:, 2])
    pdg = ak.to_numpy(p.pdg[:, 3])
    inv = ak.to_numpy(p.is_invisible)
    np.testing.assert_array_equal(inv[:, 2], np.isin(pdg, [14, 16]))
    np.testing.assert_array_equal(inv[:, 3], inv[:, 2])
    assert not inv[:, :2].any()


def test_branching_ratios_and_decay_angle(sample_1gev):
    model, s = sample_1gev
    p = s.events.particles
    pdg = ak.to_numpy(p.pdg[:, 3])
    brs = model.branching_ratios()
    codes = {"mu": 13, "nu_mu": 14, "nu_tau": 16}
    observed = np.array([np.sum(pdg == c) for c in codes.values()])
    assert observed.sum() == len(pdg)
    assert _chi2_p(observed, len(pdg) * np.array([float(brs[k]) for k in codes])) > P_MIN
    # cos theta* of the fermion in the Z' rest frame w.r.t. the Z' CM direction, predicted
    # event by event from the exact longitudinal fraction
    zp = _cms(p, 2)
    mu_m, mu_p = _cms(p, 0), _cms(p, 1)
    f_long = kernel.longitudinal_fraction(
        np.tile([COLLIDER.sqrt_s / 2, 0, 0, COLLIDER.sqrt_s / 2], (len(zp), 1)),
        np.tile([COLLIDER.sqrt_s / 2, 0, 0, -COLLIDER.sqrt_s / 2], (len(zp), 1)),
        mu_m, mu_p, zp, m_e=0.0,
    )  # fmt: skip
    assert s.generator_settings["mean_longitudinal_fraction"] == pytest.approx(
        f_long.mean(), abs=1e-3
    )
    daughter = boost_to_rest_frame(_cms(p, 3), zp)
    axis = zp[:, 1:] / np.linalg.norm(zp[:, 1:], axis=1, keepdims=True)
    cos = np.sum(daughter[:, 1:] * axis, axis=1) / np.linalg.norm(daughter[:, 1:], axis=1)
    edges = np.linspace(-1, 1, 9)
    for code, mass in ((13, M_MU), (14, 0.0)):
        sel = pdg == code
        b2 = 1 - 4 * mass**2
        a_t = b2 / (2 - b2)

        def cdf(c, a):
            return (c + a * c**3 / 3) / (2 + 2 * a / 3)

        fl = f_long[sel][:, None]
        per_bin = fl * np.diff(cdf(edges, -b2)) + (1 - fl) * np.diff(cdf(edges, a_t))
        obs, _ = np.histogram(cos[sel], edges)
        assert _chi2_p(obs, per_bin.sum(axis=0)) > P_MIN
    assert 0.05 < f_long.mean() < 0.6  # a sizeable longitudinal component at m_Z' = 1 GeV


def test_isr_and_energy_spread():
    model = LmuLtauZprime(m_zprime=2.0, g_prime=1e-2)
    s = generate_mumu_zprime(
        model, COLLIDER, 20_000, np.random.default_rng(16), isr=True, n_pilot=50_000
    )
    p = s.events.particles
    assert ak.all(ak.num(p) == 7) and ak.all(p.pdg[:, 5:] == 22)
    total = sum(_p4(p, i) for i in (0, 1, 3, 4, 5, 6))
    np.testing.assert_allclose(total, np.tile(COLLIDER.p_total, (len(total), 1)), atol=5e-5)
    s_hat = invariant_mass(_p4(p, 0) + _p4(p, 1) + _p4(p, 2)) ** 2
    assert np.all(s_hat <= COLLIDER.s * (1 + 1e-5))
    assert np.mean(s_hat < 0.9 * COLLIDER.s) > 0.03  # radiative tail
    no_isr = generate_mumu_zprime(model, COLLIDER, 2000, np.random.default_rng(17))
    assert s.cross_section_fb < no_isr.cross_section_fb  # ISR lowers sigma at fixed s here
    spread = generate_mumu_zprime(
        model, COLLIDER, 20_000, np.random.default_rng(18), energy_spread=True, n_pilot=50_000
    )
    q = spread.events.particles
    root = invariant_mass(_p4(q, 0) + _p4(q, 1) + _p4(q, 2))
    assert root.std() == pytest.approx(COLLIDER.sqrt_s_spread, rel=0.05)


def test_weighted_sample():
    model = LmuLtauZprime(m_zprime=0.5, g_prime=1e-2)
    w_sample = generate_mumu_zprime(
        model, COLLIDER, 40_000, np.random.default_rng(19), weighted=True
    )
    u_sample = generate_mumu_zprime(model, COLLIDER, 40_000, np.random.default_rng(20))
    w = ak.to_numpy(w_sample.events.weight)
    assert w_sample.weighted and w.sum() == pytest.approx(w_sample.cross_section_fb, rel=1e-10)
    assert w.std() > 0.1 * w.mean()
    err = math.hypot(w_sample.cross_section_uncertainty_fb, u_sample.cross_section_uncertainty_fb)
    assert abs(w_sample.cross_section_fb - u_sample.cross_section_fb) < 4 * err
    edges = np.array([0.5, 0.6, 1.0, 2.0, 3.5, 5.3])
    e_w = _cms(w_sample.events.particles, 2)[:, 0]
    e_u = _cms(u_sample.events.particles, 2)[:, 0]
    sums, _ = np.histogram(e_w, edges, weights=w / w.sum())
    sums2, _ = np.histogram(e_w, edges, weights=(w / w.sum()) ** 2)
    counts, _ = np.histogram(e_u, edges)
    frac = counts / len(e_u)
    chi2 = float(np.sum((frac - sums) ** 2 / (sums2 + frac * (1 - frac) / len(e_u))))
    assert stats.chi2.sf(chi2, len(sums) - 1) > P_MIN


def test_same_seed_same_events():
    model = LmuLtauZprime(m_zprime=0.3, g_prime=1e-3)
    kw = {"isr": True, "n_pilot": 20_000}
    a = generate_mumu_zprime(model, COLLIDER, 500, np.random.default_rng(9), **kw)
    b = generate_mumu_zprime(model, COLLIDER, 500, np.random.default_rng(9), **kw)
    c = generate_mumu_zprime(model, COLLIDER, 500, np.random.default_rng(10), **kw)
    assert ak.array_equal(a.events, b.events)
    assert a.metadata() == b.metadata()
    assert not ak.array_equal(a.events, c.events)


def test_bad_input():
    model = LmuLtauZprime(m_zprime=1.0, g_prime=1e-2)
    rng = np.random.default_rng(0)
    for n in (0, -1, 2.5):
        with pytest.raises(ConfigError, match="n_events"):
            generate_mumu_zprime(model, COLLIDER, n, rng)
    with pytest.raises(ConfigError, match="rng"):
        generate_mumu_zprime(model, COLLIDER, 10, 42)
    with pytest.raises(PhysicsDomainError, match=r"m_zprime = 10\.4") as err:
        generate_mumu_zprime(LmuLtauZprime(m_zprime=10.4, g_prime=1e-2), COLLIDER, 10, rng)
    assert "\n" not in str(err.value)
    with pytest.raises(PhysicsDomainError, match="scalar"):
        generate_mumu_zprime(
            LmuLtauZprime(m_zprime=np.array([1.0, 2.0]), g_prime=1), COLLIDER, 10, rng
        )
    with pytest.raises(PhysicsDomainError, match="g_prime = 0"):
        generate_mumu_zprime(LmuLtauZprime(m_zprime=1.0, g_prime=0.0), COLLIDER, 10, rng)
    with pytest.raises(ConfigError, match="unknown cut"):
        generate_mumu_zprime(model, COLLIDER, 10, rng, cuts={"pt": 1.0})
    with pytest.raises(PhysicsDomainError, match="theta_mu_lab"):
        generate_mumu_zprime(model, COLLIDER, 10, rng, cuts={"theta_mu_lab": (2.0, 1.0)})
    with pytest.raises(PhysicsDomainError, match="theta_mu_lab"):
        generate_mumu_zprime(model, COLLIDER, 10, rng, cuts={"theta_mu_lab": (0.1, 4.0)})


# ------------------------------------------------------- ISR photons with eikonal angles
_THETA_LAB = (math.radians(17.0), math.radians(150.0))


@pytest.fixture(scope="module")
def isr_float64():
    """An ISR sample (2 GeV Z', 17-150 deg muon cut) and its lab four-momenta in float64,
    recomputed by the kernel from the arguments the generator passed to it."""
    captured = {}
    original = kernel.finish_block

    def spy(*args):
        captured["args"] = args
        return original(*args)

    model = LmuLtauZprime(m_zprime=2.0, g_prime=1e-2)
    mp = pytest.MonkeyPatch()
    mp.setattr(kernel, "finish_block", spy)
    try:
        sample = generate_mumu_zprime(
            model,
            COLLIDER,
            20_000,
            np.random.default_rng(61),
            isr=True,
            cuts={"theta_mu_lab": _THETA_LAB},
            n_pilot=50_000,
        )
    finally:
        mp.undo()
    args = list(captured["args"])
    outputs = [np.zeros(a.shape) for a in args[10:18]]
    original(*args[:10], *outputs, np.zeros(args[18].shape))
    return sample, np.stack(outputs[:4], axis=-1)


def test_isr_angles_momentum_conservation_cms(isr_float64):
    # mu-, mu+, the Z' daughters and the two ISR photons = (sqrt(s), 0, 0, 0) in the CM frame
    sample, lab = isr_float64
    total = COLLIDER.to_cms(lab[:, [0, 1, 3, 4, 5, 6]].sum(axis=1))
    np.testing.assert_allclose(total[:, 0], COLLIDER.sqrt_s, rtol=0, atol=1e-9)
    np.testing.assert_allclose(total[:, 1:], 0.0, rtol=0, atol=1e-9)
    # the generator-level lab cut sees the transverse recoil too: both muons inside, exactly
    lo, hi = _THETA_LAB
    for j in (0, 1):
        theta = np.arccos(lab[:, j, 3] / np.linalg.norm(lab[:, j, 1:], axis=1))
        assert theta.min() > lo - 1e-12 and theta.max() < hi + 1e-12
    assert sample.generator_settings["isr_photons"] == "ISR photons with eikonal angles"


def test_isr_photon_angles_follow_eikonal_cdf(isr_float64):
    # probability-integral transform of |cos theta*| with isr_photon_angle_cdf: uniform
    _, lab = isr_float64
    p_value, _ = eikonal_pit_p_value(lab[:, 5:7], COLLIDER)  # (also checks e- fwd, e+ bwd)
    assert p_value > P_MIN


def test_isr_angles_leave_total_cross_section_unchanged():
    # without cuts sigma depends only on the ISR energy fractions: angled photons and
    # collinear ones (isr.isr_photons, beta along z) give the same MC integral within errors
    model = LmuLtauZprime(m_zprime=1.0, g_prime=1e-2)

    def collinear(rng, x1, x2, sqrt_s):
        photons, beta_z = isr_photons(x1, x2, sqrt_s)
        beta = np.zeros((np.size(x1), 3))
        beta[:, 2] = beta_z
        return photons, beta

    angled = generate_mumu_zprime(
        model, COLLIDER, 2000, np.random.default_rng(62), isr=True, n_pilot=200_000
    )
    mp = pytest.MonkeyPatch()
    mp.setattr(isr_module, "isr_photons_with_angles", collinear)
    try:
        coll = generate_mumu_zprime(
            model, COLLIDER, 2000, np.random.default_rng(63), isr=True, n_pilot=200_000
        )
    finally:
        mp.undo()
    err = math.hypot(angled.cross_section_uncertainty_fb, coll.cross_section_uncertainty_fb)
    assert abs(angled.cross_section_fb - coll.cross_section_fb) < 4 * err
    assert err < 0.01 * coll.cross_section_fb
