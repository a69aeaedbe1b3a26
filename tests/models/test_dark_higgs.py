import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import integrate

from darkscan.constants import ALPHA_EM, GEV2_TO_FB, M_E, M_MU
from darkscan.errors import PhysicsDomainError
from darkscan.models.dark_higgs import DarkHiggs

BELLE2 = SimpleNamespace(sqrt_s=10.58, beta_gamma=0.28)

# Dirac matrices (Dirac representation) for an independent trace evaluation
_I2, _Z2 = np.eye(2), np.zeros((2, 2))
_SIGMA = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
GAMMA = [np.block([[_I2, _Z2], [_Z2, -_I2]]).astype(complex)] + [
    np.block([[_Z2, s], [-s, _Z2]]).astype(complex) for s in _SIGMA
]
METRIC = np.diag([1.0, -1.0, -1.0, -1.0])


def _slash(p):
    return sum(METRIC[m, m] * p[m] * GAMMA[m] for m in range(4))


def _numerical_cross_section(sqrt_s, m_h, m_a, eps, alpha_dark):
    """sigma(e+e- -> A' h') from the spin-summed amplitude with explicit Dirac traces.

    M = [vbar(p2) (eps e) gamma^mu u(p1)] (-g_{mu nu}) / (s - m_a^2) * (2 g_D m_a) eps*^nu(k);
    sum over A' polarisations with -g + k k / m_a^2, average over the 4 e+e- spin states.
    """
    s = sqrt_s**2
    e = sqrt_s / 2
    p1 = np.array([e, 0, 0, e])
    p2 = np.array([e, 0, 0, -e])
    k_abs = math.sqrt((s - (m_a + m_h) ** 2) * (s - (m_a - m_h) ** 2)) / (2 * sqrt_s)
    e_a = math.sqrt(k_abs**2 + m_a**2)
    coupling2 = (4 * math.pi * ALPHA_EM * eps**2) * (4 * math.pi * alpha_dark) * 4 * m_a**2

    def msq(cos_t):
        sin_t = math.sqrt(1 - cos_t**2)
        k = np.array([e_a, k_abs * sin_t, 0.0, k_abs * cos_t])
        # T^{mu nu} = Tr[p2slash gamma^mu p1slash gamma^nu] (upper indices)
        t = np.array(
            [
                [np.trace(_slash(p2) @ GAMMA[m] @ _slash(p1) @ GAMMA[n]) for n in range(4)]
                for m in range(4)
            ]
        ).real
        k_low = METRIC @ k
        pol = -METRIC + np.outer(k_low, k_low) / m_a**2  # lower indices
        return 0.25 * coupling2 / (s - m_a**2) ** 2 * np.sum(t * pol)

    integral, _ = integrate.quad(msq, -1, 1, epsabs=0, epsrel=1e-11)
    # sigma = 1/(2s) * |k| / (16 pi^2 sqrt(s)) * 2 pi * int dcos |M|^2
    return integral * 2 * math.pi * k_abs / (16 * math.pi**2 * sqrt_s) / (2 * s) * GEV2_TO_FB


@pytest.mark.parametrize(("m_h", "m_a"), [(3.0, 1.0), (0.4, 2.5), (6.0, 0.05), (8.0, 2.0)])
def test_cross_section_matches_numerical_trace_computation(m_h, m_a):
    # independent computation: explicit Dirac traces + numerical angular integration
    model = DarkHiggs(m_h, m_a, 1e-3, 0.1)
    expected = _numerical_cross_section(10.58, m_h, m_a, 1e-3, 0.1)
    assert float(model.cross_section(10.58)) == pytest.approx(expected, rel=1e-8)


def test_cross_section_heavy_s_limit():
    # s >> masses: sigma -> pi alpha alpha_D eps^2 / (3 s) (analytic limit of the formula)
    model = DarkHiggs(1e-3, 1e-3, 2e-3, 0.5)
    for sqrt_s in (10.58, 50.0):
        limit = math.pi * ALPHA_EM * 0.5 * 4e-6 / (3 * sqrt_s**2) * GEV2_TO_FB
        assert float(model.cross_section(sqrt_s)) == pytest.approx(limit, rel=1e-6)


def test_cross_section_vanishes_at_threshold_and_raises_above():
    model = DarkHiggs(np.array([4.0, 5.0]), 5.0 - 1e-9, 1e-3, 0.1)
    sigma = model.cross_section(10.0)
    assert sigma[1] < 1e-3 * sigma[0]  # sqrt(lambda) -> 0 at threshold
    with pytest.raises(PhysicsDomainError, match="kinematic threshold"):
        DarkHiggs(6.0, 5.0, 1e-3, 0.1).cross_section(10.58)


def test_width_aprime_pair_hand_value_and_goldstone_limit():
    # m_h = 3, m_A = 1, alpha_D = 0.1: x = 1/9;
    # 0.1 * 27 / 8 * sqrt(5/9) * (5/9 + 12/81) = 0.3375 * 0.745356 * 0.703704 = 0.177022 GeV
    assert float(DarkHiggs(3.0, 1.0, 1e-3, 0.1).width_aprime_pair()) == pytest.approx(
        0.177022, rel=1e-5
    )
    # m_A -> 0: Gamma -> alpha_D m_h^3 / (8 m_A^2) (longitudinal/Goldstone modes dominate)
    h = DarkHiggs(2.0, 1e-3, 1e-3, 0.2)
    assert float(h.width_aprime_pair()) == pytest.approx(0.2 * 8 / (8 * 1e-6), rel=1e-5)


def test_regime_switch():
    masses = np.array([0.5, 0.999, 1.2, 1.5, 1.9, 2.001, 4.0])
    h = DarkHiggs(masses, 1.0, 1e-3, 0.1)
    assert list(h.decay_regime()) == [
        "invisible",
        "invisible",
        "offshell_aprime",
        "offshell_aprime",
        "offshell_aprime",
        "aprime_pair",
        "aprime_pair",
    ]
    widths = h.partial_widths()
    np.testing.assert_array_equal(widths["aprime_aprime"][:5], 0.0)
    assert np.all(widths["aprime_aprime"][5:] > 0.0)
    offshell = sum(v for k, v in widths.items() if k != "aprime_aprime")
    np.testing.assert_array_equal(offshell[[0, 1, 5, 6]], 0.0)
    assert np.all(offshell[2:5] > 0.0)
    ctau = h.ctau()
    assert np.all(np.isinf(ctau[:2]))
    assert np.all(np.isfinite(ctau[2:]))
    # the three-body width (~ eps^2) is far below the on-shell one (~ alpha_D)
    assert offshell[4] < 1e-6 * widths["aprime_aprime"][5]
    np.testing.assert_array_equal(h.is_invisible(), [True, True, False, False, False, False, False])


def _dalitz_offshell_width(m_h, m_a, eps, alpha_dark, ml):
    """h' -> A' l+ l- from the full |M|^2 on the Dalitz plot (PDG "Kinematics", three-body decays).

    |M|^2 = (2 g_D m_A')^2 (eps e)^2 / (q^2 - m_A'^2)^2 (-g + k k / m_A'^2)_{nu a} L^{nu a},
    L = Tr[(p3 + m_l) g^nu (p4 - m_l) g^a]: 4 p3.p4 + 12 m_l^2 + 8 (k.p3)(k.p4) / m_A'^2.
    """
    coupling = 16 * math.pi * alpha_dark * m_a**2 * 4 * math.pi * ALPHA_EM * eps**2

    def msq(s13, q2):
        p3p4 = 0.5 * (q2 - 2 * ml**2)
        s14 = m_h**2 + m_a**2 + 2 * ml**2 - q2 - s13
        kp3 = 0.5 * (s13 - m_a**2 - ml**2)
        kp4 = 0.5 * (s14 - m_a**2 - ml**2)
        contraction = 4 * p3p4 + 12 * ml**2 + 8 * kp3 * kp4 / m_a**2
        return coupling * contraction / (q2 - m_a**2) ** 2

    def limits(q2):
        rq = math.sqrt(q2)
        e3, ek = rq / 2, (m_h**2 - q2 - m_a**2) / (2 * rq)
        a = math.sqrt(max(e3**2 - ml**2, 0.0))
        b = math.sqrt(max(ek**2 - m_a**2, 0.0))
        return (e3 + ek) ** 2 - (a + b) ** 2, (e3 + ek) ** 2 - (a - b) ** 2

    val, _ = integrate.dblquad(
        msq,
        4 * ml**2,
        (m_h - m_a) ** 2,
        lambda q2: limits(q2)[0],
        lambda q2: limits(q2)[1],
        epsabs=0,
        epsrel=1e-9,
    )
    return val / ((2 * math.pi) ** 3 * 32 * m_h**3)


@pytest.mark.parametrize(
    ("m_h", "channel", "ml"),
    [(1.5, "aprime_e_e", M_E), (1.5, "aprime_mu_mu", M_MU), (1.9, "aprime_e_e", M_E)],
)
def test_offshell_width_matches_dalitz_integration(m_h, channel, ml):
    # independent check of the spectral (q^2-factorised) formula, m_A' = 1 GeV
    h = DarkHiggs(m_h, 1.0, 1e-3, 0.1)
    expected = _dalitz_offshell_width(m_h, 1.0, 1e-3, 0.1, ml)
    assert float(h.offshell_widths()[channel]) == pytest.approx(expected, rel=1e-5)


def test_aprime_width_matches_leptonic_formula():
    # below 2 m_mu only e+e- (and the tiny pi0 gamma part of R): alpha eps^2 m / 3
    # (Bjorken et al., arXiv:0906.0580, Sec. II; equation number not verified)
    h = DarkHiggs(0.1, 0.15, 1e-3, 0.1)
    r = (M_E / 0.15) ** 2
    lepton = ALPHA_EM * 1e-6 * 0.15 / 3 * (1 + 2 * r) * math.sqrt(1 - 4 * r)
    assert float(h.aprime_width()) == pytest.approx(lepton, rel=1e-4)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (
            {"m_dark_higgs": -1.0, "m_aprime": 1.0, "epsilon": 1e-3, "alpha_dark": 0.1},
            "m_dark_higgs",
        ),
        ({"m_dark_higgs": 1.0, "m_aprime": 1.0, "epsilon": np.inf, "alpha_dark": 0.1}, "epsilon"),
        ({"m_dark_higgs": 1.0, "m_aprime": 1.0, "epsilon": 1e-3, "alpha_dark": 0.0}, "alpha_dark"),
    ],
)
def test_bad_parameters_raise(kwargs, name):
    with pytest.raises(PhysicsDomainError, match=name):
        DarkHiggs(**kwargs)


def test_summary_with_stand_in_collider():
    rows = {q.name: q for q in DarkHiggs(3.0, 1.0, 1e-3, 0.1).summary(BELLE2)}
    assert rows["sigma(e+e- -> A' h')"].value == pytest.approx(
        _numerical_cross_section(10.58, 3.0, 1.0, 1e-3, 0.1), rel=1e-8
    )
    assert rows["h' decay regime"].note == "aprime_pair"
