"""Tests of the dark-photon model (darkscan.models.dark_photon)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.integrate import quad

from darkscan.constants import ALPHA_EM, GEV2_TO_FB, M_E, M_MU, M_TAU
from darkscan.errors import PhysicsDomainError
from darkscan.models.dark_photon import BELLE2_BARREL_COS_THETA_CMS, DarkPhoton
from darkscan.models.hadronic_r import r_ratio

BELLE2_LIKE = SimpleNamespace(sqrt_s=10.58, beta_gamma=0.287)

# ---------------------------------------------------------------------------------------
# Widths and branching ratios


def test_lepton_widths_heavy_limit():
    # Bjorken et al. arXiv:0906.0580 Sec. II: Gamma -> alpha eps^2 m/3 for m >> m_l.
    ap = DarkPhoton(m_aprime=8.0, epsilon=2e-3)
    w = ap.partial_widths()
    limit = ALPHA_EM * 4e-6 * 8.0 / 3
    assert w["e"] == pytest.approx(limit, rel=1e-8)
    assert w["mu"] == pytest.approx(limit, rel=1e-3)  # corrections O(m_mu^4/m^4) ~ 3e-8


def test_muon_width_by_hand():
    # Gamma = alpha eps^2 m/3 (1 + 2 m_mu^2/m^2) sqrt(1 - 4 m_mu^2/m^2), evaluated by hand.
    m, eps = 0.3, 1e-3
    x = (0.1056583755 / 0.3) ** 2  # PDG muon mass
    by_hand = (1 / 137.035999084) * 1e-6 * 0.3 / 3 * (1 + 2 * x) * math.sqrt(1 - 4 * x)
    assert DarkPhoton(m_aprime=m, epsilon=eps).partial_widths()["mu"] == pytest.approx(
        by_hand, rel=1e-6
    )


def test_only_electrons_below_dimuon_threshold():
    m = np.array([0.002, 0.05, 0.13, 0.2, 2 * M_MU * 0.999])
    br = DarkPhoton(m_aprime=m, epsilon=1e-3).branching_ratios()
    np.testing.assert_allclose(br["e"], 1.0, atol=1e-5)  # R < 1e-5 below 2 m_pi
    assert np.all(br["mu"] == 0) and np.all(br["tau"] == 0) and np.all(br["chi"] == 0)


@pytest.mark.parametrize(("mass", "minimum"), [(0.775, 0.75), (1.0195, 0.93)])
def test_hadrons_dominate_at_rho_and_phi(mass, minimum):
    # BR(had) = R / (R + sum of lepton factors ~ 2). PDG R(s) compilation: R ~ 10 at the rho
    # peak and ~ 40-50 at the phi peak, so BR(had) > 0.8 and > 0.95 (we require 0.75/0.93).
    br = DarkPhoton(m_aprime=mass, epsilon=1e-3).branching_ratios()
    assert br["hadrons"] > minimum
    assert br["hadrons"] > br["e"] + br["mu"]


def test_hadron_width_is_r_times_point_muon_width():
    # Bjorken et al. Sec. II: Gamma(had) = Gamma(mu mu) R, Gamma(mu mu) -> alpha eps^2 m/3.
    m = np.array([1.5, 2.5, 6.0])
    w = DarkPhoton(m_aprime=m, epsilon=1e-2).partial_widths()
    np.testing.assert_allclose(w["hadrons"], ALPHA_EM * 1e-4 * m / 3 * r_ratio(m), rtol=1e-12)
    np.testing.assert_allclose(w["hadrons"] / w["mu"], r_ratio(m), rtol=5e-3)


def test_invisible_dominates_for_large_alpha_dark():
    m, m_chi, eps, alpha_d = 1.0, 0.2, 1e-3, 0.5
    ap = DarkPhoton(m_aprime=m, epsilon=eps, m_chi=m_chi, alpha_dark=alpha_d)
    x = (m_chi / m) ** 2
    gamma_chi = alpha_d * m / 3 * (1 + 2 * x) * math.sqrt(1 - 4 * x)  # Dirac fermion
    w = ap.partial_widths()
    assert w["chi"] == pytest.approx(gamma_chi, rel=1e-12)
    visible = w["e"] + w["mu"] + w["hadrons"]
    assert ap.invisible_branching_ratio() == pytest.approx(
        gamma_chi / (gamma_chi + visible), rel=1e-12
    )
    assert ap.invisible_branching_ratio() > 1 - 1e-6


def test_scalar_dark_matter_width():
    # Complex scalar: alpha_D m/12 (1 - 4x)^(3/2); at x -> 0 it is 1/4 of the Dirac width.
    light = DarkPhoton(m_aprime=2.0, epsilon=1e-3, m_chi=1e-4, chi_spin="scalar")
    dirac = DarkPhoton(m_aprime=2.0, epsilon=1e-3, m_chi=1e-4, chi_spin="fermion")
    assert light.partial_widths()["chi"] / dirac.partial_widths()["chi"] == pytest.approx(
        0.25, rel=1e-7
    )
    heavy = DarkPhoton(m_aprime=2.0, epsilon=1e-3, m_chi=0.8, alpha_dark=0.1, chi_spin="scalar")
    assert heavy.partial_widths()["chi"] == pytest.approx(0.1 * 2.0 / 12 * (1 - 0.64) ** 1.5)
    closed = DarkPhoton(m_aprime=2.0, epsilon=1e-3, m_chi=1.2, chi_spin="scalar")
    assert closed.partial_widths()["chi"] == 0.0


def test_ctau_by_hand():
    # eps = 1e-4, m = 0.1 GeV: only e+e- open (R(0.1 GeV) ~ 1e-8 is negligible).
    x = (0.51099895e-3 / 0.1) ** 2
    gamma = (1 / 137.035999084) * 1e-8 * 0.1 / 3 * (1 + 2 * x) * math.sqrt(1 - 4 * x)
    ctau = 1.973269804e-14 / gamma  # hbar c = 197.3269804 MeV fm in GeV cm
    assert DarkPhoton(m_aprime=0.1, epsilon=1e-4).ctau() == pytest.approx(ctau, rel=1e-6)
    assert ctau == pytest.approx(8.11e-3, rel=1e-3)  # 81 micrometre


def test_vectorised_widths_and_smooth_positive_brs():
    m = np.linspace(0.002, 10.4, 4000)
    ap = DarkPhoton(m_aprime=m, epsilon=1e-3, m_chi=0.3, alpha_dark=1e-9)
    w = ap.partial_widths()
    assert all(v.shape == m.shape for v in w.values())
    br = ap.branching_ratios()
    total = sum(br.values())
    np.testing.assert_allclose(total, 1.0, rtol=1e-12)
    assert all(np.all(np.isfinite(v)) and np.all(v >= 0) for v in br.values())
    # element-wise equal to scalar models
    for i in (0, 1000, 3999):
        single = DarkPhoton(m_aprime=float(m[i]), epsilon=1e-3, m_chi=0.3, alpha_dark=1e-9)
        assert single.total_width() == pytest.approx(ap.total_width()[i], rel=1e-12)


@pytest.mark.parametrize("edge", [2 * M_MU, 2 * M_TAU, 1.1, 1.6])
def test_brs_continuous_at_thresholds_and_seams(edge):
    # lepton thresholds open like beta; the R parametrisation is C^1 at its seams
    d = 1e-7
    ap = DarkPhoton(m_aprime=np.array([edge - d, edge + d]), epsilon=1e-3)
    for v in ap.branching_ratios().values():
        assert abs(v[1] - v[0]) < 2e-3


# ---------------------------------------------------------------------------------------
# Production e+e- -> gamma A'


def test_massless_limit_is_eps2_times_gamma_gamma():
    # Peskin & Schroeder eq. (5.105), high-energy limit of e+e- -> gamma gamma:
    # d sigma/d cos = 2 pi alpha^2/s (1 + cos^2)/sin^2.
    sqrt_s, eps = 10.58, 3e-4
    ap = DarkPhoton(m_aprime=1e-5, epsilon=eps)
    c = np.array([-0.9, -0.3, 0.0, 0.5, 0.95])
    ps = 2 * math.pi * ALPHA_EM**2 / sqrt_s**2 * (1 + c**2) / (1 - c**2) * GEV2_TO_FB
    np.testing.assert_allclose(
        ap.differential_cross_section_gamma_aprime(sqrt_s, c), eps**2 * ps, rtol=1e-8
    )


def _spin_summed_msq(sqrt_s: float, m: float, cos_theta: float) -> float:
    """Independent |M|^2 (spin-summed, averaged over the 4 e+e- helicities) for
    e+e- -> gamma(k1) A'(k2) with eps = 1, from explicit Dirac matrices:
    M = e^2 vbar(p2) [g^nu (p1-k1)/t g^mu + g^mu (p1-k2)/u g^nu] u(p1) eps*_mu eps'*_nu,
    photon polarisation sum -g, A' sum -g + k2 k2/m^2, m_e = 0."""
    i2, z2 = np.eye(2), np.zeros((2, 2))
    pauli = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.diag([1, -1])]
    g0 = np.block([[i2, z2], [z2, -i2]]).astype(complex)
    gam = [g0] + [np.block([[z2, p], [-p, z2]]).astype(complex) for p in pauli]
    metric = np.diag([1.0, -1.0, -1.0, -1.0])

    def slash(p):
        return sum(metric[i, i] * p[i] * gam[i] for i in range(4))

    s = sqrt_s**2
    p1 = np.array([sqrt_s / 2, 0, 0, sqrt_s / 2])
    p2 = np.array([sqrt_s / 2, 0, 0, -sqrt_s / 2])
    kg = (s - m * m) / (2 * sqrt_s)
    k1 = np.array([kg, kg * math.sqrt(1 - cos_theta**2), 0, kg * cos_theta])
    k2 = p1 + p2 - k1
    t = (p1 - k1) @ metric @ (p1 - k1)
    u = (p1 - k2) @ metric @ (p1 - k2)
    a, b = slash(p1 - k1) / t, slash(p1 - k2) / u
    pol_aprime = -metric + np.outer(metric @ k2, metric @ k2) / m**2
    total = 0.0
    for mu in range(4):
        for nu in range(4):
            o = gam[nu] @ a @ gam[mu] + gam[mu] @ b @ gam[nu]
            for nup in range(4):
                if pol_aprime[nu, nup] == 0:
                    continue
                op = gam[nup] @ a @ gam[mu] + gam[mu] @ b @ gam[nup]
                obar = g0 @ op.conj().T @ g0
                w = -metric[mu, mu] * pol_aprime[nu, nup]
                total += w * np.trace(slash(p2) @ o @ slash(p1) @ obar)
    return float((4 * math.pi * ALPHA_EM) ** 2 * total.real / 4)


@pytest.mark.parametrize(
    ("sqrt_s", "mass", "cos_theta"), [(10.58, 3.0, 0.3), (10.58, 9.0, -0.7), (4.0, 0.5, 0.9)]
)
def test_differential_cross_section_from_dirac_traces(sqrt_s, mass, cos_theta):
    # d sigma/d cos = |M|^2 (1 - m^2/s) / (32 pi s) (2 -> 2 phase space, massless beams)
    msq = _spin_summed_msq(sqrt_s, mass, cos_theta)
    expected = msq * (1 - mass**2 / sqrt_s**2) / (32 * math.pi * sqrt_s**2) * GEV2_TO_FB
    eps = 1e-3
    ap = DarkPhoton(m_aprime=mass, epsilon=eps)
    assert ap.differential_cross_section_gamma_aprime(sqrt_s, cos_theta) == pytest.approx(
        eps**2 * expected, rel=1e-9
    )


@pytest.mark.parametrize(("c1", "c2"), [(-0.6, 0.8), (-0.99, 0.99), (0.1, 0.2)])
@pytest.mark.parametrize("mass", [0.01, 3.0, 9.5])
def test_total_equals_numerical_integral(mass, c1, c2):
    ap = DarkPhoton(m_aprime=mass, epsilon=1e-3)
    numeric, _ = quad(
        lambda c: float(ap.differential_cross_section_gamma_aprime(10.58, c)),
        c1,
        c2,
        epsabs=0,
        epsrel=1e-11,
    )
    assert ap.cross_section_gamma_aprime(10.58, c1, c2) == pytest.approx(numeric, rel=1e-8)


def test_full_range_massless_limit_is_twice_bhabha_photon_pair():
    # sigma(e+e- -> gamma gamma) = (2 pi alpha^2/s)(ln(s/m_e^2) - 1) (Berestetskii, Lifshitz,
    # Pitaevskii, QED section 88, high-energy limit); gamma A' has no identical-particle 1/2.
    sqrt_s, eps = 10.58, 1e-3
    s = sqrt_s**2
    gg = 2 * math.pi * ALPHA_EM**2 / s * (math.log(s / M_E**2) - 1) * GEV2_TO_FB
    ap = DarkPhoton(m_aprime=1e-5, epsilon=eps)
    assert ap.cross_section_gamma_aprime_full(sqrt_s) == pytest.approx(2 * eps**2 * gg, rel=1e-8)


@pytest.mark.parametrize("mass", [0.5, 5.0, 9.0])
def test_full_range_agrees_with_cutoff_integral_at_leading_log(mass):
    # Cutting the m_e -> 0 form at the electron-mass scale 1 - |cos| = 2 m_e^2/s reproduces
    # the ln(s/m_e^2) term; the constants differ by O(1/ln(s/m_e^2)) ~ 5-10%.
    sqrt_s = 10.58
    cmax = 1 - 2 * M_E**2 / sqrt_s**2
    ap = DarkPhoton(m_aprime=mass, epsilon=1e-3)
    cut = ap.cross_section_gamma_aprime(sqrt_s, -cmax, cmax)
    assert ap.cross_section_gamma_aprime_full(sqrt_s) == pytest.approx(cut, rel=0.12)


def test_cross_section_vectorised_over_mass():
    m = np.array([0.1, 1.0, 5.0, 10.0])
    ap = DarkPhoton(m_aprime=m, epsilon=1e-3)
    sig = ap.cross_section_gamma_aprime(10.58)
    assert sig.shape == (4,)
    for i, mi in enumerate(m):
        single = DarkPhoton(m_aprime=float(mi), epsilon=1e-3).cross_section_gamma_aprime(10.58)
        assert single == pytest.approx(sig[i], rel=1e-13)
    # 1 - m^2/s and the K term make the cross section grow with m for fixed acceptance here
    assert np.all(sig > 0)


# ---------------------------------------------------------------------------------------
# Summary


def test_summary_at_belle2_like_collider():
    ap = DarkPhoton(m_aprime=0.5, epsilon=1e-4, m_chi=None)
    rows = {q.name: q for q in ap.summary(BELLE2_LIKE)}
    s = 10.58**2
    p_star = (s - 0.25) / (2 * 10.58)
    e_star = (s + 0.25) / (2 * 10.58)
    p_lab = math.sqrt(p_star**2 + (0.287 * e_star) ** 2)
    assert rows["p_lab"].value == pytest.approx(p_lab, rel=1e-12)
    assert rows["decay_length"].value == pytest.approx(p_lab / 0.5 * float(ap.ctau()), rel=1e-12)
    lo, hi = BELLE2_BARREL_COS_THETA_CMS
    assert rows["sigma(e+e- -> gamma A')"].value == pytest.approx(
        float(ap.cross_section_gamma_aprime(10.58, lo, hi)), rel=1e-12
    )
    brs = [q.value for name, q in rows.items() if name.startswith("BR(")]
    assert sum(brs) == pytest.approx(1.0, rel=1e-12)
    assert rows["Gamma_total"].unit == "GeV" and rows["ctau"].unit == "cm"


# ---------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"m_aprime": -0.1, "epsilon": 1e-3}, "m_aprime"),
        ({"m_aprime": 0.0, "epsilon": 1e-3}, "m_aprime"),
        ({"m_aprime": 50.0, "epsilon": 1e-3}, "m_aprime"),
        ({"m_aprime": np.array([0.1, np.nan]), "epsilon": 1e-3}, "m_aprime"),
        ({"m_aprime": 0.1, "epsilon": math.inf}, "epsilon"),
        ({"m_aprime": 0.1, "epsilon": 0.0}, "epsilon"),
        ({"m_aprime": 0.1, "epsilon": 2.0}, "epsilon"),
        ({"m_aprime": 0.1, "epsilon": 1e-3, "m_chi": -1.0}, "m_chi"),
        ({"m_aprime": 0.1, "epsilon": 1e-3, "alpha_dark": -0.1}, "alpha_dark"),
        ({"m_aprime": 0.1, "epsilon": 1e-3, "chi_spin": "vector"}, "chi_spin"),
        ({"m_aprime": np.ones(3), "epsilon": np.full(2, 1e-3)}, "broadcast"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(PhysicsDomainError, match=match):
        DarkPhoton(**kwargs)


def test_bad_production_inputs():
    ap = DarkPhoton(m_aprime=np.array([1.0, 11.0]), epsilon=1e-3)
    with pytest.raises(PhysicsDomainError, match="threshold"):
        ap.cross_section_gamma_aprime(10.58)
    ok = DarkPhoton(m_aprime=1.0, epsilon=1e-3)
    with pytest.raises(PhysicsDomainError, match="cos_theta_max"):
        ok.cross_section_gamma_aprime(10.58, 0.5, 0.2)
    with pytest.raises(PhysicsDomainError, match="cos_theta"):
        ok.differential_cross_section_gamma_aprime(10.58, 1.0)
    with pytest.raises(PhysicsDomainError, match="sqrt_s"):
        ok.cross_section_gamma_aprime_full(-1.0)
    with pytest.raises(PhysicsDomainError, match="single"):
        DarkPhoton(m_aprime=np.array([0.5, 1.0]), epsilon=1e-3).summary(BELLE2_LIKE)
