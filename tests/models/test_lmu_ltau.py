"""Tests of the L_mu - L_tau Z' model: widths, branching ratios, lifetime, production."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from darkscan.constants import HBARC_GEV_CM, M_MU, M_TAU
from darkscan.errors import PhysicsDomainError
from darkscan.models import _mumu_zprime as mz
from darkscan.models.lmu_ltau import LmuLtauZprime, muon_polar_angle_cut, vector_width

SQRT_S = 10.58


def _lepton_width(m, g, ml):
    # Gamma(Z' -> l l) = g^2 m/(12 pi) (1 + 2 ml^2/m^2) sqrt(1 - 4 ml^2/m^2)
    # (Belle II Physics Book arXiv:1808.10567, dark-sector chapter; Altmannshofer et al. arXiv:1406.2332)
    if m <= 2 * ml:
        return 0.0
    x = ml**2 / m**2
    return g**2 * m / (12 * math.pi) * (1 + 2 * x) * math.sqrt(1 - 4 * x)


@pytest.mark.parametrize("m", [0.15, 0.5, 2.0, 3.6, 5.0, 9.0])
def test_partial_widths_against_formula(m):
    g = 3e-3
    w = LmuLtauZprime(m_zprime=m, g_prime=g).partial_widths()
    assert float(w["mu"]) == pytest.approx(_lepton_width(m, g, M_MU), rel=1e-12)
    assert float(w["tau"]) == pytest.approx(_lepton_width(m, g, M_TAU), rel=1e-12, abs=0)
    # left-handed neutrinos only: g^2 m / (24 pi) per flavour
    assert float(w["nu_mu"]) == pytest.approx(g**2 * m / (24 * math.pi), rel=1e-12)
    assert float(w["nu_tau"]) == pytest.approx(g**2 * m / (24 * math.pi), rel=1e-12)
    assert float(w["chi"]) == 0.0


def test_width_limits():
    # massless limit g^2 m/(12 pi); zero at and below threshold; near threshold ~ (3/2) beta
    assert float(vector_width(1e3, 1.0, M_MU)) == pytest.approx(1e3 / (12 * math.pi), rel=1e-7)
    assert float(vector_width(2 * M_MU, 1.0, M_MU)) == 0.0
    assert float(vector_width(0.1, 1.0, M_MU)) == 0.0
    m = 2 * M_MU * (1 + 1e-8)
    beta = math.sqrt(1 - 4 * M_MU**2 / m**2)
    assert float(vector_width(m, 1.0, M_MU)) == pytest.approx(
        m / (12 * math.pi) * 1.5 * beta, rel=1e-6
    )


def test_invisible_branching_ratio_table():
    # BR(Z' -> invisible) = 1 below 2 m_mu, -> 1/2 between 2 m_mu and 2 m_tau, -> 1/3 above
    # 2 m_tau (massless-limit values of the widths above; cf. the BR(Z' -> nu nu) quoted in
    # Belle II, PRL 124, 141801 (2020), arXiv:1912.11276).
    z = LmuLtauZprime(m_zprime=np.array([0.05, 0.2, 3.0, 3.5, 10.0, 1e3]), g_prime=1e-2)
    br = z.invisible_branching_ratio()
    assert br[0] == 1.0 and br[1] == 1.0
    assert br[2] == pytest.approx(0.5, abs=2e-3)
    assert br[3] == pytest.approx(0.5, abs=2e-3)
    assert br[4] == pytest.approx(1 / 3, abs=2e-3)
    assert br[5] == pytest.approx(1 / 3, abs=1e-6)
    # exact value just above the dimuon threshold: 1/(1 + f(x)) with f = (1+2x) sqrt(1-4x)
    m = 0.5
    x = M_MU**2 / m**2
    f = (1 + 2 * x) * math.sqrt(1 - 4 * x)
    assert float(
        LmuLtauZprime(m_zprime=m, g_prime=1.0).invisible_branching_ratio()
    ) == pytest.approx(1 / (1 + f), rel=1e-12)
    total = sum(z.branching_ratios().values())
    np.testing.assert_allclose(total, 1.0, rtol=1e-12)


def test_dark_fermion_channel():
    # with a light chi of unit charge (g_chi = g'): Gamma_chi = Gamma_mu in the massless limit,
    # BR(inv) = (1/12 + 1/12) / (4/12) = 1/2 far above all thresholds
    z = LmuLtauZprime(m_zprime=1e3, g_prime=0.1, m_chi=0.01)
    assert z.g_chi == 0.1
    assert float(z.invisible_branching_ratio()) == pytest.approx(0.5, abs=1e-6)
    z2 = LmuLtauZprime(m_zprime=1.0, g_prime=0.1, m_chi=0.1, g_chi=0.5)
    assert float(z2.partial_widths()["chi"]) == pytest.approx(
        _lepton_width(1.0, 0.5, 0.1), rel=1e-12
    )
    # below 2 m_chi the chi channel is closed
    assert float(LmuLtauZprime(m_zprime=0.1, g_prime=0.1, m_chi=0.2).partial_widths()["chi"]) == 0.0


def test_ctau_and_decay_length():
    m, g = 1.0, 1e-3
    z = LmuLtauZprime(m_zprime=m, g_prime=g)
    gamma = _lepton_width(m, g, M_MU) + 2 * g**2 * m / (24 * math.pi)
    assert float(z.ctau()) == pytest.approx(HBARC_GEV_CM / gamma, rel=1e-12)
    assert float(z.decay_length(2.0)) == pytest.approx(2.0 * HBARC_GEV_CM / gamma, rel=1e-12)


def test_vectorised_over_mass():
    masses = np.geomspace(0.01, 9.0, 7)
    z = LmuLtauZprime(m_zprime=masses, g_prime=1e-3)
    widths = z.partial_widths()
    assert all(np.shape(w) == (7,) for w in widths.values())
    for i, m in enumerate(masses):
        assert z.total_width()[i] == pytest.approx(
            float(LmuLtauZprime(m_zprime=m, g_prime=1e-3).total_width())
        )


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"m_zprime": -1.0, "g_prime": 0.1}, "m_zprime"),
        ({"m_zprime": 0.0, "g_prime": 0.1}, "m_zprime"),
        ({"m_zprime": 1.0, "g_prime": float("nan")}, "g_prime"),
        ({"m_zprime": 1.0, "g_prime": 0.1, "m_chi": -0.1}, "m_chi"),
        ({"m_zprime": np.array([1.0, np.inf]), "g_prime": 0.1}, "m_zprime"),
    ],
)
def test_bad_parameters_raise(kwargs, name):
    with pytest.raises(PhysicsDomainError, match=name):
        LmuLtauZprime(**kwargs)


def test_production_above_threshold_raises():
    z = LmuLtauZprime(m_zprime=10.5, g_prime=0.1)
    with pytest.raises(PhysicsDomainError, match="threshold"):
        z.cross_section_mumu_zprime(SQRT_S, rng=np.random.default_rng(0))


def test_cross_section_polar_angle_cut_matches_acceptance():
    # sigma with both |cos theta_mu| < 0.8 equals sigma times the acceptance measured
    # independently by reweighted uniform sampling of the same |M|^2 and phase space
    z = LmuLtauZprime(m_zprime=1.0, g_prime=0.1)
    rng = np.random.default_rng(21)
    total, err_total = z.cross_section_mumu_zprime(SQRT_S, rng=rng, n_points=8000, n_iterations=5)
    cut = muon_polar_angle_cut(0.8)
    passed, err_passed = z.cross_section_mumu_zprime(
        SQRT_S, rng=rng, n_points=8000, n_iterations=5, cuts=cut
    )
    ev = mz.sample_phase_space(SQRT_S, 1.0, np.random.default_rng(22).random((40_000, 5)))
    w = mz.matrix_element_squared(
        *(ev[k] for k in ("p_electron", "p_positron", "p_mu_minus", "p_mu_plus", "p_zprime"))
    )
    w = w * ev["weight"]
    acceptance = w[cut(ev)].sum() / w.sum()
    assert 0.3 < acceptance < 0.9
    assert passed / total == pytest.approx(acceptance, rel=0.01)
    # VEGAS converged to better than 0.5 %
    assert err_total / total < 5e-3 and err_passed / passed < 5e-3


def test_cross_section_array_of_masses():
    z = LmuLtauZprime(m_zprime=np.array([2.0, 6.0]), g_prime=0.2)
    sigma, err = z.cross_section_mumu_zprime(
        SQRT_S, rng=np.random.default_rng(3), n_points=3000, n_iterations=4
    )
    assert sigma.shape == (2,) and err.shape == (2,)
    # heavier Z': smaller phase space and coupling-independent shape -> smaller sigma
    assert sigma[1] < sigma[0]
    single, err_single = LmuLtauZprime(m_zprime=2.0, g_prime=0.2).cross_section_mumu_zprime(
        SQRT_S, rng=np.random.default_rng(4), n_points=3000, n_iterations=4
    )
    assert single == pytest.approx(sigma[0], abs=5 * np.hypot(err[0], err_single))


def test_summary():
    collider = SimpleNamespace(sqrt_s=SQRT_S, beta_gamma=0.287)
    z = LmuLtauZprime(m_zprime=0.15, g_prime=1e-3)
    items = {q.name: q for q in z.summary(collider)}
    assert items["BR(Z' -> invisible)"].value == 1.0
    assert items["c tau"].value == pytest.approx(float(z.ctau()))
    assert items["decay length (Z' at rest in CM)"].value == pytest.approx(0.287 * float(z.ctau()))
    assert items["sigma(e+e- -> mu+ mu- Z')"].unit == "fb"
    assert items["sigma(e+e- -> mu+ mu- Z')"].value > 0
    with pytest.raises(PhysicsDomainError, match="scalar"):
        LmuLtauZprime(m_zprime=np.array([1.0, 2.0]), g_prime=1e-3).summary(collider)
