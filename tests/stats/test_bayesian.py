"""Tests of darkscan.stats.bayesian (Bayesian counting-experiment limits)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, stats

from darkscan.errors import PhysicsDomainError
from darkscan.stats.bayesian import bayesian_upper_limit, signal_strength


def _direct_limit(n, b, cl=0.90):
    """Flat-prior limit on s by adaptive quadrature of Pois(n | s + b) and brentq."""
    norm = integrate.quad(lambda s: stats.poisson.pmf(n, s + b), 0, np.inf)[0]

    def excess(x):
        return integrate.quad(lambda s: stats.poisson.pmf(n, s + b), 0, x)[0] / norm - cl

    return optimize.brentq(excess, 1e-9, 100.0, xtol=1e-12)


def _helene_ratio(s, n, b):
    """Helene (1983): 1 - CL = e^-(s+b) sum (s+b)^k/k! / (e^-b sum b^k/k!)."""
    num = sum((s + b) ** k / math.factorial(k) for k in range(n + 1)) * math.exp(-(s + b))
    den = sum(b**k / math.factorial(k) for k in range(n + 1)) * math.exp(-b)
    return num / den


def test_zero_events_zero_background_is_minus_log_alpha():
    # Analytic: 1 - CL = exp(-s) for n = 0, b = 0 (Helene 1983; PDG Statistics review,
    # Bayesian intervals).
    res = bayesian_upper_limit(0, 0.0, 1.0, 1.0)
    assert float(res.upper_limit) == pytest.approx(-math.log(0.1), abs=1e-6)  # 2.302585
    res95 = bayesian_upper_limit(0, 0.0, 1.0, 1.0, credibility=0.95)
    assert float(res95.upper_limit) == pytest.approx(-math.log(0.05), abs=1e-6)


def test_limit_scales_with_luminosity_times_efficiency():
    res = bayesian_upper_limit(0, 0.0, 200.0, 0.25)  # L eps = 50 fb^-1
    assert float(res.upper_limit) == pytest.approx(-math.log(0.1) / 50.0, rel=1e-9)
    assert float(res.signal_yield_limit) == pytest.approx(-math.log(0.1), rel=1e-9)


def test_no_systematics_matches_direct_scipy_and_helene_sum():
    n = np.array([3, 3, 0, 1, 5, 10, 2])
    b = np.array([1.0, 0.0, 3.0, 2.5, 2.0, 12.0, 0.4])
    res = bayesian_upper_limit(n, b, 1.0, 1.0).upper_limit
    assert res.shape == (7,)
    for i in range(n.size):
        ref = _direct_limit(int(n[i]), float(b[i]))  # independent numerical computation
        assert res[i] == pytest.approx(ref, rel=1e-6)
        assert _helene_ratio(res[i], int(n[i]), float(b[i])) == pytest.approx(0.10, abs=1e-9)


def _mc_limit(rng, n, b, scale, sig_sources, bkg_sources, cl=0.90, n_samples=100_000):
    """Independent Monte Carlo marginalisation: average the likelihood over sampled nuisances.

    Each source is a factor 1 + r * theta with theta ~ N(0, 1) truncated at factor 0
    (scipy truncnorm); the limit is found on a grid of sigma from the trapezoidal cumulative.
    """
    f_s = np.ones(n_samples)
    f_b = np.ones(n_samples)
    for r in sig_sources:
        f_s *= 1 + r * stats.truncnorm.rvs(-1 / r, np.inf, size=n_samples, random_state=rng)
    for r in bkg_sources:
        f_b *= 1 + r * stats.truncnorm.rvs(-1 / r, np.inf, size=n_samples, random_state=rng)
    grid = np.linspace(0.0, 4.0 * (n + 3.0) / scale, 801)
    log_fact = math.lgamma(n + 1.0)
    like = np.empty_like(grid)
    for i, g in enumerate(grid):
        mean = g * scale * f_s + b * f_b
        like[i] = np.mean(np.exp(n * np.log(mean) - mean - log_fact))
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (like[1:] + like[:-1]) * np.diff(grid))])
    return float(np.interp(cl, cum / cum[-1], grid))


@pytest.mark.parametrize("combine", [True, False])
def test_marginalisation_matches_monte_carlo(combine):
    rng = np.random.default_rng(20261126)
    n, b, lum, eff = 4, 2.0, 10.0, 0.3
    r_lum, r_eff, r_bkg = [0.05], [0.10, 0.08], [0.25, 0.15]
    res = bayesian_upper_limit(
        n,
        b,
        lum,
        eff,
        rel_unc_luminosity=r_lum,
        rel_unc_efficiency=r_eff,
        rel_unc_background=r_bkg,
        combine=combine,
    )
    if combine:  # one factor per quantity with the quadrature sum
        sig = [math.sqrt(sum(r * r for r in r_lum + r_eff))]
        bkg = [math.sqrt(sum(r * r for r in r_bkg))]
    else:
        sig, bkg = r_lum + r_eff, r_bkg
    ref = _mc_limit(rng, n, b, lum * eff, sig, bkg)
    # MC error of the averaged likelihood ~ 0.1%; grid step 0.2% of the limit.
    assert float(res.upper_limit) == pytest.approx(ref, rel=5e-3)
    no_syst = bayesian_upper_limit(n, b, lum, eff).upper_limit
    assert float(res.upper_limit) > float(no_syst) * 1.005  # systematics visibly widen it


def test_quadrature_converges():
    kw = dict(rel_unc_efficiency=[0.1, 0.05], rel_unc_background=[0.3], combine=False)
    coarse = bayesian_upper_limit([2, 7], [1.0, 6.0], 5.0, 0.5, **kw).upper_limit
    fine = bayesian_upper_limit([2, 7], [1.0, 6.0], 5.0, 0.5, n_quad=40, **kw).upper_limit
    np.testing.assert_allclose(coarse, fine, rtol=1e-5)


def test_source_shapes_are_equivalent():
    n = np.array([1, 4, 9])
    b = np.array([0.5, 3.0, 8.0])
    shared = bayesian_upper_limit(n, b, 1.0, 0.5, rel_unc_efficiency=[0.1, 0.2]).upper_limit
    per_bin = bayesian_upper_limit(
        n, b, 1.0, 0.5, rel_unc_efficiency=np.tile([0.1, 0.2], (3, 1))
    ).upper_limit
    np.testing.assert_allclose(shared, per_bin, rtol=1e-12)
    # combine=True: a single source of the quadrature sum is the same model.
    single = bayesian_upper_limit(n, b, 1.0, 0.5, rel_unc_efficiency=math.hypot(0.1, 0.2))
    np.testing.assert_allclose(shared, single.upper_limit, rtol=1e-10)


def test_posterior_grid_is_normalised_and_consistent():
    res = bayesian_upper_limit(
        [3, 6], [1.0, 4.0], 2.0, 0.5, rel_unc_background=0.2, return_posterior=True, n_grid=2001
    )
    assert res.sigma_grid.shape == (2, 2001)
    for k in range(2):
        x, p = res.sigma_grid[k], res.posterior[k]
        cum = np.concatenate([[0.0], np.cumsum(0.5 * (p[1:] + p[:-1]) * np.diff(x))])
        # Cumulative of the returned density at the limit equals the credibility.
        assert np.interp(res.upper_limit[k], x, cum) == pytest.approx(0.90, abs=1e-5)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(min_value=0, max_value=30),
    b1=st.floats(min_value=0.0, max_value=40.0),
    db=st.floats(min_value=0.01, max_value=20.0),
    r_eff=st.sampled_from([0.0, 0.1, 0.3]),
)
def test_limit_decreases_with_background(n, b1, db, r_eff):
    # Property of the flat-prior Poisson limit (Helene 1983): more (exactly known) expected
    # background at fixed n_obs never gives a weaker limit, with or without a signal-scale
    # uncertainty. (With a *relative* background uncertainty it does not hold: the
    # absolute spread grows with b; e.g. n = 1, b = 6 -> 8 at 30% raises the limit.)
    lim = bayesian_upper_limit(n, [b1, b1 + db], 1.0, 1.0, rel_unc_efficiency=r_eff).upper_limit
    assert lim[1] <= lim[0] * (1 + 1e-7)


def test_signal_strength_values():
    r = signal_strength(
        [10, 0], [4.0, 1.0], 2.0, 0.5, rel_unc_efficiency=[0.3, 0.4], rel_unc_background=0.5
    )
    # sigma_hat = (n - b)/(L eps); stat sqrt(n)/(L eps); syst = hypot(sigma_hat*0.5, b*0.5).
    np.testing.assert_allclose(r.value, [6.0, -1.0])
    np.testing.assert_allclose(r.stat, [math.sqrt(10), 0.0])
    np.testing.assert_allclose(r.syst, [math.hypot(3.0, 2.0), math.hypot(0.5, 0.5)])
    np.testing.assert_allclose(r.total, np.hypot(r.stat, r.syst))


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        (dict(n_obs=-1), "n_obs"),
        (dict(n_obs=2.5), "n_obs"),
        (dict(background=-0.1), "background"),
        (dict(efficiency=1.5), "efficiency"),
        (dict(efficiency=0.0), "efficiency"),
        (dict(luminosity=0.0), "luminosity"),
        (dict(luminosity=np.nan), "luminosity"),
        (dict(rel_unc_background=[-0.1]), "rel_unc_background"),
        (dict(rel_unc_efficiency=np.ones((3, 2))), "rel_unc_efficiency"),
        (dict(credibility=1.0), "credibility"),
    ],
)
def test_bad_input_raises(kwargs, needle):
    args = dict(n_obs=[1, 2], background=[0.5, 1.0], luminosity=1.0, efficiency=0.5)
    args.update(kwargs)
    with pytest.raises(PhysicsDomainError, match=needle):
        bayesian_upper_limit(**args)


# ------------------------------------------------------------------ simulated-statistics nuisance
def test_gamma_mc_nuisance_zero_simulated_events_analytic():
    # n_obs = 1, no simulated background event (B = 0) of weight w = 1: B_true = X ~ Exp(1),
    # posterior(s) ~ int (s + x) e^-(s + x) e^-x dx = e^-s (s/2 + 1/4); its cumulative gives
    # 1 - CL = (2 s + 3) e^-s / 3 (analytic, by hand); root at CL = 0.90
    ref = optimize.brentq(lambda s: (2 * s + 3) * math.exp(-s) / 3 - 0.10, 0.1, 20.0, xtol=1e-13)
    res = bayesian_upper_limit(1, 0.0, 1.0, 1.0, background_mc_weight=1.0)
    assert float(res.upper_limit) == pytest.approx(ref, rel=1e-6)  # ref = 3.4914
    # without the nuisance (B = 0 exactly) the limit is Helene's n = 1, b = 0 value
    plain = bayesian_upper_limit(1, 0.0, 1.0, 1.0).upper_limit
    assert float(plain) == pytest.approx(_direct_limit(1, 0.0), rel=1e-6)
    assert float(res.upper_limit) < float(plain)  # the possible background makes room


def test_gamma_mc_nuisance_matches_direct_integration_with_systematics():
    # B = 2 events from m = 4 simulated events of weight 0.5 -> B_true = f_b 0.5 X,
    # X ~ Gamma(5); f_b: 22% truncated Gaussian. Independent computation: the marginal
    # likelihood by adaptive quadrature over X and f_b, then the flat-prior cumulative.
    n, b, w, r = 5, 2.0, 0.5, 0.22
    # inner integrals on fixed fine grids (trapezoid): X in [0, 40], f_b in [0, 1 + 10 r]
    x = np.linspace(0.0, 40.0, 801)
    f = np.linspace(1e-9, 1 + 10 * r, 401)
    p_x = stats.gamma(5.0).pdf(x)
    p_f = stats.truncnorm(-1 / r, np.inf, loc=1.0, scale=r).pdf(f)
    bkg = w * f[:, None] * x[None, :]
    prior = p_f[:, None] * p_x[None, :]

    def like(s):
        inner = integrate.trapezoid(stats.poisson.pmf(n, s + bkg) * prior, x, axis=1)
        return integrate.trapezoid(inner, f)

    grid = np.linspace(0.0, 25.0, 126)
    vals = np.array([like(s) for s in grid])
    cum = integrate.cumulative_trapezoid(vals, grid, initial=0.0)
    ref = float(np.interp(0.9, cum / cum[-1], grid))
    res = bayesian_upper_limit(n, b, 1.0, 1.0, rel_unc_background=r, background_mc_weight=w)
    # trapezoid on a 0.2 grid in s (~2e-3 relative on the limit); 12 nodes per factor
    assert float(res.upper_limit) == pytest.approx(ref, rel=5e-3)


def test_gamma_mc_nuisance_fewer_simulated_events_weaker_limit():
    # same B = 10 expected events from 1000, 10 and 1 simulated events: the limit with
    # observed n = B grows as the simulation gets poorer (wider and upward-shifted prior)
    lim = [
        float(bayesian_upper_limit(10, 10.0, 1.0, 1.0, background_mc_weight=w).upper_limit)
        for w in (0.01, 1.0, 10.0)
    ]
    assert lim[0] < lim[1] < lim[2]
    # many simulated events (m = 1000): Gamma(1001) is nearly Gaussian, relative width
    # sqrt(1001) / 1000 = 3.16%, mean shifted by w = 0.01 event: same limit as a Gaussian
    # nuisance of that width on B = 10.01
    gauss = bayesian_upper_limit(10, 10.01, 1.0, 1.0, rel_unc_background=math.sqrt(1001) / 1001)
    assert lim[0] == pytest.approx(float(gauss.upper_limit), rel=1e-3)
    with pytest.raises(PhysicsDomainError, match="background_mc_weight"):
        bayesian_upper_limit(1, 1.0, 1.0, 1.0, background_mc_weight=0.0)


def test_auto_quadrature_matches_fine_rule_and_rejects_bad_options():
    # n_quad='auto' (points per bin from r sqrt(B)) against a fine 200-point rule, and the
    # one-line errors for a bad option
    b = np.array([5.0, 693.0])
    n = np.array([5.0, 700.0])
    kw = dict(rel_unc_efficiency=[0.05, 0.125], rel_unc_background=[0.02, 0.22])
    auto = bayesian_upper_limit(n, b, 79.7, 0.1, n_quad="auto", **kw).upper_limit
    fine = bayesian_upper_limit(n, b, 79.7, 0.1, n_quad=200, **kw).upper_limit
    np.testing.assert_allclose(auto, fine, rtol=5e-3)
    with pytest.raises(PhysicsDomainError, match="allowed are an integer"):
        bayesian_upper_limit(n, b, 79.7, 0.1, n_quad="fast")
    with pytest.raises(PhysicsDomainError, match="cannot return the posterior"):
        bayesian_upper_limit(n, b, 79.7, 0.1, n_quad="auto", return_posterior=True)


# ---------------------------------------------------------------------------------------
# control region (on/off problem with a shared background normalisation)
# ---------------------------------------------------------------------------------------
def _on_off_direct_limit(n_on, b_on, scale, r, n_off, b_off, w_off=None, cl=0.90):
    """Independent computation: grids in sigma and in the shared scale f (truncated
    Gaussian prior of width r), the control likelihood Pois(n_off | f b_off) (with w_off:
    integrated over the Gamma(b_off / w_off + 1) prior of the simulated control mean by
    Gauss-Laguerre quadrature), trapezoidal integration, linear interpolation of the
    cumulative (Cousins, Linnemann, Tucker, NIM A595 (2008) 480, sec. 5)."""
    f = np.linspace(max(1e-6, 1 - 8 * r), 1 + 8 * r, 6001)
    log_prior = -0.5 * ((f - 1) / r) ** 2
    if w_off is None:
        log_like = stats.poisson.logpmf(n_off, f * b_off)
    else:
        m = b_off / w_off
        x, wx = special_roots_genlaguerre(120, m)  # int x^m e^-x g(x) dx
        like = np.sum(
            wx[None, :] * stats.poisson.pmf(n_off, f[:, None] * w_off * x[None, :]), axis=1
        )
        log_like = np.log(like)
    post_f = np.exp(log_prior + log_like - np.max(log_prior + log_like))
    post_f /= integrate.trapezoid(post_f, f)
    top = 10 * (np.sqrt(b_on) + 3) / scale
    sig = np.linspace(0.0, top, 3001)
    log_on = stats.poisson.logpmf(n_on, sig[:, None] * scale + f[None, :] * b_on)
    dens = integrate.trapezoid(post_f[None, :] * np.exp(log_on - log_on.max()), f, axis=1)
    cdf = integrate.cumulative_trapezoid(dens, sig, initial=0.0)
    return float(np.interp(cl, cdf / cdf[-1], sig))


def special_roots_genlaguerre(n, alpha):
    from scipy import special

    x, w = special.roots_genlaguerre(n, alpha)
    return x, w / w.sum()


@pytest.mark.parametrize(
    ("n_on", "b_on", "n_off", "b_off"),
    [(563, 563.0, 1126, 1126.0), (563, 563.0, 1300, 1126.0), (5, 4.0, 5, 4.0), (3, 4.0, 0, 3.0)],
)
def test_control_region_matches_direct_on_off_integration(n_on, b_on, n_off, b_off):
    # signal scale L eps = 8.37 fb^-1 (79.7 fb^-1 x 0.105), shared 22 % background scale
    got = bayesian_upper_limit(
        n_on, b_on, 79.7, 0.105, rel_unc_background_shared=0.22,
        control_obs=n_off, control_background=b_off, n_quad=48,
    ).upper_limit  # fmt: skip
    ref = _on_off_direct_limit(n_on, b_on, 79.7 * 0.105, 0.22, n_off, b_off)
    assert float(got) == pytest.approx(ref, rel=2e-3)


def test_control_region_with_simulated_statistics_matches_direct_integration():
    # control prediction from m = 40 / 4 = 10 simulated events of weight 4 (Gamma prior on
    # their mean): the control likelihood is the negative binomial, checked here against
    # Gauss-Laguerre integration of the Poisson over the Gamma
    got = bayesian_upper_limit(
        30, 25.0, 1.0, 1.0, rel_unc_background_shared=0.3,
        control_obs=50, control_background=40.0, control_mc_weight=4.0, n_quad=48,
    ).upper_limit  # fmt: skip
    ref = _on_off_direct_limit(30, 25.0, 1.0, 0.3, 50, 40.0, w_off=4.0)
    assert float(got) == pytest.approx(ref, rel=2e-3)


def test_control_region_limits_and_bookkeeping():
    kw = dict(rel_unc_efficiency=[0.06, 0.125], n_quad=24)
    # without a control region the shared sources act like the unshared ones (same rule)
    a = bayesian_upper_limit(600, 563.0, 79.7, 0.1, rel_unc_background=0.22, **kw).upper_limit
    b = bayesian_upper_limit(600, 563.0, 79.7, 0.1, rel_unc_background_shared=0.22, **kw)
    assert float(b.upper_limit) == float(a)
    # an infinitely precise control region removes the shared uncertainty
    none = bayesian_upper_limit(600, 563.0, 79.7, 0.1, **kw).upper_limit
    precise = bayesian_upper_limit(
        600, 563.0, 79.7, 0.1, rel_unc_background_shared=0.22,
        control_obs=1e9, control_background=1e9, **kw,
    ).upper_limit  # fmt: skip
    assert float(precise) == pytest.approx(float(none), rel=1e-4)
    assert float(none) < 0.5 * float(a)  # 22 % on 563 events dominates without it
    # a control region says nothing when no source is shared; an empty control
    # prediction (no simulated event there) keeps the prior
    unshared = bayesian_upper_limit(
        600, 563.0, 79.7, 0.1, rel_unc_background=0.22, control_obs=10, control_background=10.0,
        **kw,
    ).upper_limit  # fmt: skip
    assert float(unshared) == float(a)
    empty = bayesian_upper_limit(
        600, 563.0, 79.7, 0.1, rel_unc_background_shared=0.22, control_obs=0,
        control_background=0.0, **kw,
    ).upper_limit  # fmt: skip
    assert float(empty) == pytest.approx(float(a), rel=1e-12)
    # more control events -> larger background scale -> lower limit; vectorised and 'auto'
    n_off = np.array([900.0, 1126.0, 1400.0])
    lims = bayesian_upper_limit(
        600, 563.0, 79.7, 0.1, rel_unc_background_shared=0.22, control_obs=n_off,
        control_background=1126.0, n_quad="auto",
    ).upper_limit  # fmt: skip
    assert np.all(np.diff(lims) < 0)
    one = bayesian_upper_limit(
        600, 563.0, 79.7, 0.1, rel_unc_background_shared=0.22, control_obs=1126.0,
        control_background=1126.0, n_quad=96,
    ).upper_limit  # fmt: skip
    assert lims[1] == pytest.approx(float(one), rel=2e-3)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        (dict(control_obs=3), "needs both control_obs and control_background"),
        (dict(control_background=3.0), "needs both control_obs and control_background"),
        (dict(control_obs=-1, control_background=3.0), "control_obs"),
        (dict(control_obs=1, control_background=-3.0), "control_background"),
        (dict(control_mc_weight=1.0), "control_mc_weight needs"),
        (dict(control_obs=1, control_background=3.0, control_mc_weight=0.0), "control_mc_weight"),
    ],
)
def test_control_region_bad_input(kwargs, needle):
    with pytest.raises(PhysicsDomainError, match=needle):
        bayesian_upper_limit(3, 2.0, 1.0, 1.0, rel_unc_background_shared=0.2, **kwargs)
