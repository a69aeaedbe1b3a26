"""Tests of darkscan.stats.significance (local significance, look-elsewhere correction)."""

from __future__ import annotations

import hist
import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d
from scipy.optimize import minimize_scalar
from scipy.stats import norm

from darkscan.errors import ConfigError
from darkscan.stats.significance import (
    count_upcrossings,
    global_p_value_toys,
    global_significance,
    local_significance,
    local_significance_scan,
)
from darkscan.stats.templates import TemplateModel


def test_zero_excess_gives_zero_and_sign():
    # Cowan et al. arXiv:1007.1727 eq. (97): Z = 0 at n = b, and the sign follows n - b
    z = local_significance(np.array([5.0, 10.0, 15.0]), 10.0)
    assert z[1] == 0.0
    assert z[0] < 0 < z[2]
    assert local_significance(10.0, 10.0, 2.0) == 0.0


def test_large_n_limit_is_s_over_sqrt_b():
    # for b >> 1 and s = n - b << b, expanding eq. (97): Z = (s/sqrt(b)) (1 - s/(6b) + O(s^2/b^2))
    for b in (1e4, 1e6, 1e8):
        s = 2.0 * np.sqrt(b)
        z = local_significance(b + s, b)
        assert z == pytest.approx(2.0, rel=1.1 * s / (6 * b))  # -> s/sqrt(b) = 2
        assert z == pytest.approx(2.0 * (1 - s / (6 * b)), rel=5.0 / b + 1e-12)
    # exact value against the closed form, small counts
    assert local_significance(3.0, 1.0) == pytest.approx(
        np.sqrt(2 * (3 * np.log(3) - 2)), rel=1e-14
    )
    # n = 0: Z = -sqrt(2 b)
    assert local_significance(0.0, 4.0) == pytest.approx(-np.sqrt(8.0), rel=1e-14)


def _profile_q0(n, b, sigma_b):
    """Independent q0: Poisson(n | s + beta) x Poisson(m | tau beta), m = tau b, tau = b/sigma^2,
    both likelihoods maximised numerically (continuous Poisson via its log form)."""
    tau = b / sigma_b**2
    m = tau * b

    def nll(s, beta):
        lam = s + beta
        return lam - n * np.log(lam) + tau * beta - m * np.log(tau * beta)

    cond = minimize_scalar(
        lambda beta: nll(0.0, beta),
        bounds=(1e-6, 10 * (n + b)),
        method="bounded",
        options={"xatol": 1e-12},
    )
    s_hat, beta_hat = n - b, b  # unconditional maximum: beta = m / tau, s = n - beta
    return 2.0 * (cond.fun - nll(s_hat, beta_hat))


@pytest.mark.parametrize(
    ("n", "b", "sigma_b"), [(25.0, 10.0, 3.0), (130.0, 100.0, 20.0), (4.0, 10.0, 2.0)]
)
def test_background_uncertainty_formula_against_numerical_profile_likelihood(n, b, sigma_b):
    z = local_significance(n, b, sigma_b)
    q0 = _profile_q0(n, b, sigma_b)
    assert z == pytest.approx(np.sign(n - b) * np.sqrt(q0), rel=1e-6)
    # the uncertainty dilutes the significance; sigma_b -> 0 recovers eq. (97)
    assert abs(z) < abs(local_significance(n, b))
    assert local_significance(n, b, 1e-4 * b) == pytest.approx(local_significance(n, b), rel=1e-4)


def test_bad_inputs():
    with pytest.raises(ConfigError, match="background"):
        local_significance(5.0, 0.0)
    with pytest.raises(ConfigError, match="n_obs"):
        local_significance(-1.0, 3.0)
    with pytest.raises(ConfigError, match="sigma_background"):
        local_significance(5.0, 3.0, -1.0)


def test_scan_q0_matches_counting_formula():
    b = hist.Hist.new.Reg(2, 0.0, 1.0).Weight()
    b.view().value = [50.0, 80.0]
    b.view().variance = [1e-9, 1e-9]
    tm = TemplateModel({"bkg": b}, norm_uncertainties={"bkg": 0.0}, mc_stat=False)
    sigs = []
    for k in range(2):
        s = hist.Hist.new.Reg(2, 0.0, 1.0).Weight()
        s.view().value = [10.0, 0.0] if k == 0 else [0.0, 10.0]
        sigs.append(s)
    z, p = local_significance_scan(tm, sigs, [70.0, 75.0])
    # signal confined to one bin: q0 is the one-bin counting q0 there (eq. 97); deficit -> 0
    assert z[0] == pytest.approx(local_significance(70.0, 50.0), rel=1e-3)
    assert z[1] == pytest.approx(0.0, abs=1e-3)
    np.testing.assert_allclose(p, norm.sf(z), rtol=1e-12)


def test_count_upcrossings():
    z = np.array([[0.0, 2.0, 0.0, 2.0], [3.0, 3.0, 0.0, 0.5]])
    np.testing.assert_array_equal(count_upcrossings(z, 1.0), [2, 0])


def test_global_at_least_local():
    z = np.linspace(1.0, 6.0, 11)
    p, zg = global_significance(z, 3.0, 0.5)
    assert np.all(p >= norm.sf(z))
    assert np.all(zg <= z)
    # no upcrossings expected: no trials factor
    p0, _ = global_significance(z, 0.0, 0.5)
    np.testing.assert_allclose(p0, norm.sf(z), rtol=1e-14)


def test_gross_vitells_against_toys_of_a_correlated_1d_scan():
    # background-only local significance along a mass scan: Gaussian-smoothed white noise,
    # unit variance, correlation length ~ 7 bins, 400 bins (periodic smoothing, cropped)
    rng = np.random.default_rng(5)
    n_toys, length, pad, width = 20_000, 400, 40, 5.0
    noise = rng.standard_normal((n_toys, length + 2 * pad))
    z = gaussian_filter1d(noise, width, axis=-1, mode="wrap")[:, pad:-pad]
    delta = np.zeros(201)
    delta[100] = 1.0
    z /= np.sqrt(np.sum(gaussian_filter1d(delta, width) ** 2))
    z_max = z.max(axis=1)
    u0 = 1.0
    n_ref = count_upcrossings(z[:2000], u0).mean()  # G&V: a few toys at a low level suffice
    for u in (3.0, 3.5):
        p_toys = np.mean(z_max >= u)
        err_toys = np.sqrt(p_toys * (1 - p_toys) / n_toys)
        p_gv, _ = global_significance(u, n_ref, u0)
        # relative error of n_ref from 2000 toys ~ 1.4%; measured deviation at u = 3: +4%
        err = np.hypot(err_toys, 0.015 * p_gv)
        assert abs(p_gv - p_toys) < 3 * err
        # and the trials factor is large (the correction matters)
        assert p_gv > 10 * norm.sf(u)


def test_global_p_value_toys_2d_independent_bins():
    # 2D scan of 10 x 20 independent bins: p_global = 1 - (1 - p_local)^200 exactly
    rng = np.random.default_rng(42)
    z_obs = 3.0
    res = global_p_value_toys(z_obs, lambda r: r.standard_normal((10, 20)), 4000, rng)
    exact = 1 - (1 - norm.sf(z_obs)) ** 200
    assert res.p_value == pytest.approx(exact, abs=3 * res.uncertainty)
    assert res.p_value >= norm.sf(z_obs)
    assert res.z_max.shape == (4000,)
    assert res.significance == pytest.approx(norm.isf(res.p_value))
