import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import integrate

from darkscan.constants import ALPHA_EM, GEV2_TO_FB, HBARC_GEV_CM, M_E, M_MU
from darkscan.errors import PhysicsDomainError
from darkscan.models.inelastic_dm import InelasticDarkMatter, three_body_width

BELLE2 = SimpleNamespace(sqrt_s=10.58, beta_gamma=0.28)


def _dalitz_width(m2, m1, ma, eps, alpha_dark, ml):
    """Independent check: Gamma = 1/((2 pi)^3 32 M^3) int int |M|^2_avg dm_ll^2 dm_1l^2.

    PDG Review "Kinematics", Sec. "Three-body decays"; |M|^2 from the two Dirac traces
    Tr[(p1+m1) g^mu (p2+M) g^nu] Tr[(p3+ml) g_mu (p4-ml) g_nu], contracted with invariants.
    """
    coupling = 16 * math.pi**2 * ALPHA_EM * alpha_dark * eps**2

    def msq(s13, q2):
        p3p4 = 0.5 * (q2 - 2 * ml**2)
        s14 = m2**2 + m1**2 + 2 * ml**2 - q2 - s13
        p1p3 = 0.5 * (s13 - m1**2 - ml**2)
        p1p4 = 0.5 * (s14 - m1**2 - ml**2)
        p2p3 = p1p3 + ml**2 + p3p4
        p2p4 = p1p4 + ml**2 + p3p4
        p1p2 = m1**2 + p1p3 + p1p4
        big_a = p1p2 - m1 * m2
        big_b = p3p4 + ml**2
        contraction = 16 * (
            2 * p1p3 * p2p4
            + 2 * p1p4 * p2p3
            - 2 * p1p2 * big_b
            - 2 * big_a * p3p4
            + 4 * big_a * big_b
        )
        return 0.5 * coupling * contraction / (q2 - ma**2) ** 2

    def s13_limits(q2):
        rq = math.sqrt(q2)
        e3 = rq / 2
        e1 = (m2**2 - q2 - m1**2) / (2 * rq)
        a = math.sqrt(max(e3**2 - ml**2, 0.0))
        b = math.sqrt(max(e1**2 - m1**2, 0.0))
        return (e3 + e1) ** 2 - (a + b) ** 2, (e3 + e1) ** 2 - (a - b) ** 2

    val, _ = integrate.dblquad(
        msq,
        4 * ml**2,
        (m2 - m1) ** 2,
        lambda q2: s13_limits(q2)[0],
        lambda q2: s13_limits(q2)[1],
        epsabs=0,
        epsrel=1e-9,
    )
    return val / ((2 * math.pi) ** 3 * 32 * m2**3)


@pytest.mark.parametrize(("ml", "m1", "delta", "ma"), [(M_E, 1.0, 0.5, 1.0), (M_MU, 1.0, 0.5, 0.6)])
def test_three_body_width_matches_dalitz_integration(ml, m1, delta, ma):
    # independent 2-D Dalitz-plot integration of the full spin-summed |M|^2, large splitting
    m2 = m1 * (1 + delta)
    expected = _dalitz_width(m2, m1, ma, 1e-3, 0.1, ml)
    got = float(three_body_width(m2, m1, ma, 1e-3, 0.1, ml))
    assert got == pytest.approx(expected, rel=1e-6)


def test_small_splitting_limit_reproduces_closed_form():
    # Izaguirre et al. arXiv:1508.03050 / Duerr et al. arXiv:1911.03176:
    # Gamma = 4 eps^2 alpha alpha_D Delta^5 m^5 / (15 pi m_A'^4) for Delta << 1, Delta m >> m_e.
    # Delta = 1e-4, m_chi1 = 1000 GeV (Delta m = 100 MeV), m_A' = 1000 GeV: O(Delta) ~ 1.5e-4,
    # O(m_e / Delta m) ~ 4e-4 corrections.
    idm = InelasticDarkMatter(1000.0, 1e-4, 1000.0, 1e-3, 0.1)
    ratio = float(idm.partial_widths()["chi1_e_e"] / idm.width_ee_small_splitting())
    assert ratio == pytest.approx(1.0, abs=1e-3)
    # with a negligible lepton mass the agreement is O(Delta): 1 - 1.5 Delta
    m2 = float(idm.m_chi2)
    ratio0 = float(
        three_body_width(m2, 1000.0, 1000.0, 1e-3, 0.1, 1e-9) / idm.width_ee_small_splitting()
    )
    assert ratio0 == pytest.approx(1.0, abs=3e-4)


def test_closed_form_hand_value():
    # 4 * 1e-6 * (1/137.036) * 0.1 * 1e-5 * 1 / (15 pi * 81) = 7.64714e-18 GeV
    idm = InelasticDarkMatter(1.0, 0.1, 3.0, 1e-3, 0.1)
    assert float(idm.width_ee_small_splitting()) == pytest.approx(7.64714e-18, rel=1e-5)


def test_muon_channel_threshold_and_ctau():
    below = InelasticDarkMatter(1.0, 0.2, 3.0, 1e-3, 0.1)  # Delta m = 0.2 GeV < 2 m_mu
    above = InelasticDarkMatter(1.0, 0.3, 3.0, 1e-3, 0.1)  # Delta m = 0.3 GeV > 2 m_mu
    assert float(below.partial_widths()["chi1_mu_mu"]) == 0.0
    assert float(above.partial_widths()["chi1_mu_mu"]) > 0.0
    assert float(above.partial_widths()["chi1_mu_mu"]) < float(above.partial_widths()["chi1_e_e"])
    total = float(above.total_width())
    assert float(above.ctau()) == pytest.approx(HBARC_GEV_CM / total, rel=1e-12)
    # decay length boosts with the decaying chi2 mass
    assert float(above.decay_length(5.0)) == pytest.approx(
        5.0 / 1.3 * HBARC_GEV_CM / total, rel=1e-12
    )


def test_vectorised_over_mass():
    masses = np.array([0.5, 1.0, 2.0])
    idm = InelasticDarkMatter(masses, 0.1, 10.0, 1e-3, 0.1)
    widths = idm.partial_widths()["chi1_e_e"]
    assert widths.shape == (3,)
    for m, w in zip(masses, widths, strict=True):
        assert w == pytest.approx(
            float(three_body_width(1.1 * m, m, 10.0, 1e-3, 0.1, M_E)), rel=1e-12
        )
    # width scales as epsilon^2 alpha_D
    scaled = InelasticDarkMatter(masses, 0.1, 10.0, 2e-3, 0.05).partial_widths()["chi1_e_e"]
    np.testing.assert_allclose(scaled, 2 * widths, rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"m_chi1": 1.0, "delta": 0.5, "m_aprime": 0.4, "epsilon": 1e-3, "alpha_dark": 0.1},
            "splitting",
        ),
        (
            {"m_chi1": -1.0, "delta": 0.1, "m_aprime": 3.0, "epsilon": 1e-3, "alpha_dark": 0.1},
            "m_chi1",
        ),
        (
            {"m_chi1": 1.0, "delta": 0.0, "m_aprime": 3.0, "epsilon": 1e-3, "alpha_dark": 0.1},
            "delta",
        ),
    ],
)
def test_bad_parameters_raise(kwargs, match):
    with pytest.raises(PhysicsDomainError, match=match):
        InelasticDarkMatter(**kwargs)


def test_summary_with_stand_in_collider():
    idm = InelasticDarkMatter(1.0, 0.1, 3.0, 1e-3, 0.1)
    rows = {q.name: q for q in idm.summary(BELLE2)}
    assert rows["c tau(chi2)"].value == pytest.approx(float(idm.ctau()), rel=1e-12)
    assert rows["lab decay length(chi2)"].value > rows["c tau(chi2)"].value


# ---------------------------------------------------------------- A' decay and production
_I2, _Z2 = np.eye(2), np.zeros((2, 2))
_PAULI = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
GAMMA = [np.block([[_I2, _Z2], [_Z2, -_I2]]).astype(complex)] + [
    np.block([[_Z2, p], [-p, _Z2]]).astype(complex) for p in _PAULI
]
METRIC = np.diag([1.0, -1.0, -1.0, -1.0])
ONE = np.eye(4, dtype=complex)


def _slash(p):
    return sum(METRIC[m, m] * p[m] * GAMMA[m] for m in range(4))


def _numerical_production(sqrt_s, m1, m2, ma, gamma_a, eps, alpha_dark):
    """sigma(e+e- -> A'* -> chi1 chi2bar) from explicit Dirac traces, numerical angle integral.

    |M|^2 = C / |s - m^2 + i m Gamma|^2 * Tr[p2 g^mu p1 g^nu] Tr[(pa + m1) g_mu (pb - m2) g_nu],
    averaged over 4 initial spins (massless electrons).
    """
    s = sqrt_s**2
    e = sqrt_s / 2
    p1 = np.array([e, 0, 0, e])
    p2 = np.array([e, 0, 0, -e])
    k = math.sqrt((s - (m1 + m2) ** 2) * (s - (m1 - m2) ** 2)) / (2 * sqrt_s)
    ea, eb = math.sqrt(k**2 + m1**2), math.sqrt(k**2 + m2**2)
    coupling = 16 * math.pi**2 * ALPHA_EM * alpha_dark * eps**2
    lep = np.array(
        [
            [np.trace(_slash(p2) @ GAMMA[m] @ _slash(p1) @ GAMMA[n]) for n in range(4)]
            for m in range(4)
        ]
    ).real

    def msq(c):
        sn = math.sqrt(1 - c * c)
        pa = np.array([ea, k * sn, 0, k * c])
        pb = np.array([eb, -k * sn, 0, -k * c])
        had = np.array(
            [
                [
                    np.trace(
                        (_slash(pa) + m1 * ONE) @ GAMMA[m] @ (_slash(pb) - m2 * ONE) @ GAMMA[n]
                    )
                    for n in range(4)
                ]
                for m in range(4)
            ]
        ).real
        had_low = METRIC @ had @ METRIC
        return 0.25 * coupling * np.sum(lep * had_low) / ((s - ma**2) ** 2 + ma**2 * gamma_a**2)

    val, _ = integrate.quad(msq, -1, 1, epsrel=1e-11)
    return val * 2 * math.pi * k / (16 * math.pi**2 * sqrt_s) / (2 * s) * GEV2_TO_FB


@pytest.mark.parametrize(
    ("m1", "delta", "ma", "sqrt_s"), [(1.0, 0.5, 3.0, 10.58), (0.3, 1.0, 1.0, 1.2)]
)
def test_production_matches_numerical_trace_computation(m1, delta, ma, sqrt_s):
    idm = InelasticDarkMatter(m1, delta, ma, 1e-3, 0.1)
    gamma = float(idm.aprime_total_width())
    expected = _numerical_production(sqrt_s, m1, m1 * (1 + delta), ma, gamma, 1e-3, 0.1)
    assert float(idm.cross_section(sqrt_s)) == pytest.approx(expected, rel=1e-8)


def test_production_light_states_limit():
    # massless dark states: 4 pi alpha alpha_D eps^2 s / (3 |D|^2), as e+e- -> mu+mu- (analytic)
    idm = InelasticDarkMatter(1e-5, 0.1, 0.5, 1e-3, 0.2)
    s = 10.58**2
    gamma = float(idm.aprime_total_width())
    limit = 4 * math.pi * ALPHA_EM * 0.2 * 1e-6 * s / (3 * ((s - 0.25) ** 2 + 0.25 * gamma**2))
    assert float(idm.cross_section(10.58)) == pytest.approx(limit * GEV2_TO_FB, rel=1e-6)


def test_aprime_width_to_chi_pair_degenerate_limit():
    # Delta -> 0: Dirac-fermion width alpha_D m/3 (1 + 2x) sqrt(1 - 4x), x = m_chi^2/m_A'^2
    # (Batell, Pospelov, Ritz, arXiv:0903.0363)
    idm = InelasticDarkMatter(0.3, 1e-9, 1.0, 1e-3, 0.1)
    x = 0.09
    dirac = 0.1 / 3 * (1 + 2 * x) * math.sqrt(1 - 4 * x)
    assert float(idm.width_aprime_to_chi1_chi2()) == pytest.approx(dirac, rel=1e-6)
    # below threshold (m_chi1 + m_chi2 > m_A'): zero
    assert float(InelasticDarkMatter(0.6, 0.5, 1.0, 1e-3, 0.1).width_aprime_to_chi1_chi2()) == 0.0


def test_gamma_aprime_production_times_branching_ratio():
    idm = InelasticDarkMatter(1.0, 0.1, 3.0, 1e-3, 0.1)
    from darkscan.models.dark_photon import DarkPhoton

    sigma_ap = float(DarkPhoton(3.0, 1e-3).cross_section_gamma_aprime(10.58, -0.6, 0.8))
    br = float(idm.width_aprime_to_chi1_chi2() / idm.aprime_total_width())
    assert br > 0.99  # alpha_D >> alpha eps^2
    assert float(idm.cross_section_gamma_chi1_chi2(10.58)) == pytest.approx(
        sigma_ap * br, rel=1e-12
    )
    with pytest.raises(PhysicsDomainError, match="kinematic threshold"):
        InelasticDarkMatter(6.0, 0.1, 30.0, 1e-3, 0.1).cross_section(10.58)


def test_hadronic_channel_normalisation_with_unit_r(monkeypatch):
    # with R = 1 from threshold 0, the hadronic channel must equal a massless lepton pair
    import darkscan.models.inelastic_dm as idm_module

    monkeypatch.setattr(idm_module, "r_ratio", lambda w: np.ones_like(w))
    monkeypatch.setattr(idm_module, "M_PI0", 1e-9)
    args = (1.5, 1.0, 1.0, 1e-3, 0.1)
    had = float(idm_module.three_body_width_hadrons(*args))
    lep = float(three_body_width(*args, 1e-10))
    assert had == pytest.approx(lep, rel=1e-5)


@pytest.mark.parametrize(("m1", "delta", "ma"), [(2.0, 0.6, 5.0), (5.0, 0.8, 10.0)])
def test_hadronic_channel_resolves_resonances(m1, delta, ma):
    # independent adaptive integration over m_had with breakpoints at rho, omega, phi, the
    # R-model transition points and the J/psi, psi(2S) peaks (Delta m = 1.2 and 4 GeV)
    from darkscan.constants import M_PI0
    from darkscan.models.hadronic_r import NARROW_RESONANCES, r_ratio

    m2 = m1 * (1 + delta)
    coupling = 16 * math.pi**2 * ALPHA_EM * 0.1 * 1e-6

    def dgamma_dw(w):
        q2 = w * w
        p_abs = math.sqrt(max((m2**2 - m1**2 - q2) ** 2 - 4 * m1**2 * q2, 0.0)) / (2 * m2)
        tensor = 4 * (
            2 * 0.5 * (m2**2 - m1**2 - q2) * 0.5 * (m2**2 - m1**2 + q2)
            + q2 * 0.5 * (m2**2 + m1**2 - q2)
            - 3 * q2 * m1 * m2
        )
        lepton = 4 / 3 / (8 * math.pi) * float(r_ratio(w))
        dq2 = p_abs / (4 * math.pi * m2) * lepton * tensor / (q2 - ma**2) ** 2 / (2 * math.pi)
        return coupling / (2 * m2) * 0.5 * dq2 * 2 * w

    pts = [0.2791, 0.775, 0.7827, 1.0195, 1.1, 1.6, 3.73]
    for v in NARROW_RESONANCES[:2]:
        pts += [v.mass + k * v.width for k in (-100, -10, -1, 0, 1, 10, 100)]
    pts = sorted(p for p in pts if M_PI0 < p < m2 - m1)
    val, _ = integrate.quad(dgamma_dw, M_PI0, m2 - m1, points=pts, limit=2000, epsrel=1e-9)
    got = float(InelasticDarkMatter(m1, delta, ma, 1e-3, 0.1).partial_widths()["chi1_hadrons"])
    assert got == pytest.approx(val, rel=2e-3)
