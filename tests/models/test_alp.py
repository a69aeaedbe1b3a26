import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import integrate

from darkscan.constants import ALPHA_EM, GEV2_TO_FB, HBARC_GEV_CM
from darkscan.errors import PhysicsDomainError
from darkscan.models.alp import AxionLikeParticle, alp_angular_distribution, alp_cms_momentum

BELLE2 = SimpleNamespace(sqrt_s=10.58, beta_gamma=0.28)


def test_cross_section_hand_computed_point():
    # By hand: g^2 alpha / 24 = 1e-6 * 0.00729735 / 24 = 3.040564e-10 GeV^-2;
    # (1 - m^2/s)^3 = (1 - 1/111.9364)^3 = 0.973436 -> 2.95980e-10 GeV^-2;
    # * 0.3893794e12 fb GeV^2 = 115.249 fb  (formula: Dolan et al., arXiv:1709.00009, Sec. 2.1)
    alp = AxionLikeParticle(m_a=1.0, g_agg=1e-3)
    assert float(alp.cross_section(10.58)) == pytest.approx(115.249, abs=0.01)


def test_cross_section_massless_limit_is_energy_independent():
    # m_a -> 0: sigma -> g^2 alpha / 24, independent of s (analytic limit)
    alp = AxionLikeParticle(m_a=1e-6, g_agg=2e-4)
    expected = 4e-8 * ALPHA_EM / 24.0 * GEV2_TO_FB
    for sqrt_s in (1.0, 4.0, 10.58):
        assert float(alp.cross_section(sqrt_s)) == pytest.approx(expected, rel=1e-9)


def test_cross_section_vectorised_and_threshold_shape():
    masses = np.array([0.5, 2.0, 5.0, 9.0])
    alp = AxionLikeParticle(m_a=masses, g_agg=1e-3)
    sigma = alp.cross_section(10.58)
    assert sigma.shape == (4,)
    ratio = sigma / AxionLikeParticle(1e-9, 1e-3).cross_section(10.58)
    np.testing.assert_allclose(ratio, (1 - masses**2 / 10.58**2) ** 3, rtol=1e-12)


def test_threshold_raises():
    alp = AxionLikeParticle(m_a=np.array([1.0, 11.0]), g_agg=1e-3)
    with pytest.raises(
        PhysicsDomainError, match=r"m_a = 11 GeV is above the kinematic threshold 10\.58"
    ):
        alp.cross_section(10.58)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"m_a": -1.0, "g_agg": 1e-3}, "m_a"), ({"m_a": 1.0, "g_agg": np.nan}, "g_agg")],
)
def test_bad_parameters_raise_one_line(kwargs, name):
    with pytest.raises(PhysicsDomainError) as exc:
        AxionLikeParticle(**kwargs)
    assert name in str(exc.value)
    assert "\n" not in str(exc.value)


def test_width_and_ctau():
    # Gamma = g^2 m^3 / (64 pi): g = 1e-2 GeV^-1, m = 0.5 GeV ->
    # 1e-4 * 0.125 / 201.0619 = 6.21699e-8 GeV (Dolan et al., arXiv:1709.00009, Sec. 2)
    alp = AxionLikeParticle(m_a=0.5, g_agg=1e-2)
    assert float(alp.width_gamma_gamma()) == pytest.approx(6.21699e-8, rel=1e-5)
    assert float(alp.total_width()) == pytest.approx(6.21699e-8, rel=1e-5)
    assert float(alp.ctau()) == pytest.approx(HBARC_GEV_CM / 6.21699e-8, rel=1e-5)
    assert float(alp.branching_ratios()["gamma_gamma"]) == 1.0


def test_angular_distribution_normalised_and_differential_integrates_to_total():
    norm, _ = integrate.quad(lambda c: float(alp_angular_distribution(c)), -1, 1)
    assert norm == pytest.approx(1.0, abs=1e-12)
    alp = AxionLikeParticle(2.0, 1e-3)
    total, _ = integrate.quad(lambda c: float(alp.differential_cross_section(10.58, c)), -1, 1)
    assert total == pytest.approx(float(alp.cross_section(10.58)), rel=1e-10)
    # forward/central ratio (1 + 1) / (1 + 0) = 2
    assert float(alp_angular_distribution(1.0) / alp_angular_distribution(0.0)) == pytest.approx(
        2.0
    )


def test_lab_momentum_invariant_mass_and_boost():
    alp = AxionLikeParticle(3.0, 1e-3)
    rng = np.random.default_rng(17)
    c = rng.uniform(-1, 1, 50)
    p_lab, theta = alp.lab_momentum(10.58, 0.28, c)
    p_star = float(alp_cms_momentum(3.0, 10.58))
    e_star = (10.58**2 + 9.0) / (2 * 10.58)
    gamma = math.sqrt(1 + 0.28**2)
    # energy transforms as E = gamma E* + beta*gamma p*_z; m^2 = E^2 - p^2 is invariant
    e_lab = gamma * e_star + 0.28 * p_star * c
    np.testing.assert_allclose(e_lab**2 - p_lab**2, 9.0, rtol=1e-10)
    # no boost: lab = CM
    p0, th0 = alp.lab_momentum(10.58, 0.0, c)
    np.testing.assert_allclose(p0, p_star, rtol=1e-12)
    np.testing.assert_allclose(np.cos(th0), c, atol=1e-12)
    assert np.all((theta > 0) & (theta < math.pi))


def test_decay_probability_limits():
    alp = AxionLikeParticle(0.2, 1e-4)
    p = 2.0
    length = float(alp.decay_length(p))
    assert float(alp.decay_probability(0.0, np.inf, p)) == pytest.approx(1.0, abs=1e-15)
    assert float(alp.decay_probability(5.0, 5.0, p)) == 0.0
    assert float(alp.decay_probability(0.0, length, p)) == pytest.approx(
        1 - math.exp(-1), rel=1e-12
    )
    # long-lived limit: P ~ (r_max - r_min) / L for L >> r_max
    alp_long = AxionLikeParticle(0.02, 1e-6)
    long_length = float(alp_long.decay_length(p))
    assert long_length > 1e7
    assert float(alp_long.decay_probability(10.0, 20.0, p)) == pytest.approx(
        10.0 / long_length, rel=1e-6
    )
    # cylinder: theta = pi/2 equals the radial path; theta reduces to r / sin(theta)
    theta = 0.4
    direct = alp.decay_probability(1.0 / math.sin(theta), 3.0 / math.sin(theta), p)
    assert float(alp.decay_probability(1.0, 3.0, p, theta=theta)) == pytest.approx(
        float(direct), rel=1e-12
    )
    assert float(alp.decay_probability(1.0, 3.0, p, theta=math.pi / 2)) == pytest.approx(
        float(alp.decay_probability(1.0, 3.0, p)), rel=1e-12
    )
    # stable ALP (zero coupling): never decays
    assert float(AxionLikeParticle(0.2, 0.0).decay_probability(0.0, np.inf, p)) == 0.0
    with pytest.raises(PhysicsDomainError, match="r_max"):
        alp.decay_probability(3.0, 1.0, p)


def test_summary_with_stand_in_collider():
    alp = AxionLikeParticle(1.0, 1e-3)
    rows = {q.name: q for q in alp.summary(BELLE2)}
    assert rows["sigma(e+e- -> gamma a)"].value == pytest.approx(115.249, abs=0.01)
    assert rows["c tau"].unit == "cm"
    with pytest.raises(PhysicsDomainError, match="scalar"):
        AxionLikeParticle(np.array([1.0, 2.0]), 1e-3).summary(BELLE2)
