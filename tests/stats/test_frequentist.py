"""Tests of darkscan.stats.frequentist (Feldman-Cousins and CLs for counting experiments)."""

import math
import warnings

import numpy as np
import pytest
from scipy import integrate, stats

from darkscan.errors import PhysicsDomainError
from darkscan.stats.bayesian import bayesian_upper_limit
from darkscan.stats.frequentist import (
    cls_pvalues,
    cls_upper_limit,
    expected_cls_limits,
    feldman_cousins,
)

# Feldman & Cousins, Phys. Rev. D 57 (1998) 3873, Table IV (90% C.L.), column b = 0 for
# n0 = 0..10; the same numbers are quoted as the PDG "unified confidence limits" table in
# several public analysis codes (checked with the search tool).
FC_B0_LOWER = [0.00, 0.11, 0.53, 1.10, 1.47, 1.84, 2.21, 3.56, 3.96, 4.36, 5.50]
FC_B0_UPPER = [2.44, 4.36, 5.91, 7.42, 8.60, 9.99, 11.47, 12.53, 13.99, 15.30, 16.50]
# FC Table IV, column b = 1.0, upper limits for n0 = 0..4.
FC_B1_UPPER = [1.61, 3.36, 4.91, 6.42, 7.60]


def test_feldman_cousins_table_iv_background_zero():
    lower, upper = feldman_cousins(np.arange(11), 0.0)
    np.testing.assert_allclose(lower, FC_B0_LOWER, atol=0.005)  # table precision: 2 decimals
    np.testing.assert_allclose(upper, FC_B0_UPPER, atol=0.005)


def test_feldman_cousins_table_iv_other_cells():
    lower, upper = feldman_cousins(np.arange(5), 1.0)
    np.testing.assert_allclose(upper, FC_B1_UPPER, atol=0.005)
    np.testing.assert_allclose(lower[:3], 0.0, atol=1e-12)  # FC Table IV: 0.00 for n0 <= 2
    # FC Table IV: n0 = 3, b = 3 -> upper limit 4.42 (also quoted as a check value by an
    # independent FC reproduction).
    lower, upper = feldman_cousins(3, 3.0)
    assert float(upper) == pytest.approx(4.42, abs=0.005)
    assert float(lower) == 0.0


# FC Table IV (90% C.L.), column b = 3.0, n0 = 0..14, as transcribed in the test suite of
# the public package mxmeier/feldman_cousins (tests/test_feldman_cousins.py, "Values from
# the paper ... Table IV"); b = 0 rows above agree with the same table.
FC_B3_LOWER = [0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.15, 0.89, 1.51, 1.88, 2.63, 3.04, 4.01]
FC_B3_LOWER += [4.42, 5.50]
FC_B3_UPPER = [1.08, 1.88, 3.04, 4.42, 5.60, 6.99, 8.47, 9.53, 10.99, 12.30, 13.50, 14.81]
FC_B3_UPPER += [16.00, 17.05, 18.50]


def test_feldman_cousins_table_iv_background_three_published_convention():
    lower, upper = feldman_cousins(np.arange(15), 3.0)
    np.testing.assert_allclose(lower, FC_B3_LOWER, atol=0.005)  # table precision: 2 decimals
    np.testing.assert_allclose(upper, FC_B3_UPPER, atol=0.005)
    # The plain Neyman construction misses the table at n0 = 0 only: 0.953 instead of 1.08.
    plain = feldman_cousins(np.arange(15), 3.0, published_table_convention=False)
    np.testing.assert_allclose(plain[0], lower, atol=1e-12)
    np.testing.assert_allclose(plain[1][1:], upper[1:], atol=1e-9)
    assert float(plain[1][0]) == pytest.approx(0.953, abs=0.001)


# FC 1998, 95% C.L. upper limits for b = 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7 (rows) and
# n0 = 0..7 (columns): the 95% C.L. Poisson tables of the paper (Table VI for b <= 5, the
# b >= 6 rows from its continuation), as hard-coded in a public analysis macro found with the
# search tool (function handFeldmanCousins; table numbering inferred from Table IV = 90%).
FC95_B = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.0]
FC95_UPPER = [
    [3.09, 5.14, 6.72, 8.25, 9.76, 11.26, 12.75, 13.81],
    [2.63, 4.64, 6.22, 7.75, 9.26, 10.76, 12.25, 13.31],
    [2.33, 4.14, 5.72, 7.25, 8.76, 10.26, 11.75, 12.81],
    [2.05, 3.69, 5.22, 6.75, 8.26, 9.76, 11.25, 12.31],
    [1.78, 3.30, 4.72, 6.25, 7.76, 9.26, 10.75, 11.81],
    [1.78, 2.95, 4.25, 5.75, 7.26, 8.76, 10.25, 11.31],
    [1.63, 2.63, 3.84, 5.25, 6.76, 8.26, 9.75, 10.81],
    [1.63, 2.33, 3.46, 4.78, 6.26, 7.76, 9.25, 10.31],
    [1.57, 2.08, 3.11, 4.35, 5.76, 7.26, 8.75, 9.81],
    [1.54, 1.88, 2.49, 3.58, 4.84, 6.26, 7.75, 8.81],
    [1.52, 1.78, 2.28, 2.91, 4.05, 5.33, 6.75, 7.81],
    [1.51, 1.73, 2.11, 2.69, 3.35, 4.52, 5.82, 6.81],
]


def test_feldman_cousins_95_percent_table():
    _, upper = feldman_cousins(np.arange(8), np.array(FC95_B)[:, None], cl=0.95)
    ref = np.array(FC95_UPPER)
    # The adjusted cells (n0 <= 2, b >= 2.5) are the maximum over b' >= b, reached where an
    # accepted island of zero width is born; the tables sampled it on finite grids and sit up
    # to 0.006 below (b = 5, n0 = 2: 2.4956 vs 2.49). All other cells: rounding only.
    np.testing.assert_allclose(upper, ref, atol=0.0065)
    assert np.sum(np.abs(np.round(upper, 2) - ref) > 1e-9) == 1
    _, plain = feldman_cousins(
        np.arange(8), np.array(FC95_B)[:, None], cl=0.95, published_table_convention=False
    )
    assert np.max(ref - np.round(plain, 2)) > 0.2  # e.g. b = 2.5, n0 = 0: 1.52 vs 1.78


def _sorted_rule_accepts(n0, mu, b, cl, n_max=60):
    """FC acceptance by the literal rule: sort n by R, add until the sum reaches cl."""
    n = np.arange(n_max)
    lam = mu[:, None] + b[:, None]
    best = np.maximum(n[None, :], b[:, None])
    p = stats.poisson.pmf(n, lam)
    r = p / stats.poisson.pmf(n, best)
    order = np.argsort(-r, axis=1, kind="stable")
    k = np.argmax(np.cumsum(np.take_along_axis(p, order, 1), axis=1) >= cl, axis=1)
    threshold = np.take_along_axis(r, order, 1)[np.arange(mu.size), k]
    return r[:, n0] >= threshold * (1 - 1e-12)


@pytest.mark.parametrize(
    ("n0", "b", "mu_range", "b_range"),
    [(0, 2.0, (1.20, 1.30), (2.0, 3.2)), (1, 5.0, (1.15, 1.25), (5.0, 6.5))],
)
def test_feldman_cousins_envelope_matches_brute_force_maximum(n0, b, mu_range, b_range):
    # Independent computation of max over b' >= b of the largest accepted mu, on a fine
    # (b', mu) grid with the literal sorting rule (90% C.L.). Every grid point is a genuine
    # accepted mean, so the exact supremum is >= the grid maximum; the grid undershoots by at
    # most the mu step plus the b' step (the island value changes with slope ~ -1 in b').
    mu = np.arange(*mu_range, 0.001)
    b_prime = np.arange(*b_range, 0.004)
    mu_g, b_g = (x.ravel() for x in np.meshgrid(mu, b_prime))
    accepted = _sorted_rule_accepts(n0, mu_g, b_g, 0.90)
    brute = float(np.max(mu_g[accepted]))
    _, upper = feldman_cousins(n0, b)
    assert brute - 1e-6 <= float(upper) <= brute + 0.006


def test_feldman_cousins_published_upper_limit_non_increasing_in_background():
    b = np.round(np.arange(0.0, 6.0, 0.15), 10)
    n0 = np.arange(4)[:, None]
    lower, upper = feldman_cousins(n0, b, n_scan=200)
    plain_lower, plain_upper = feldman_cousins(n0, b, published_table_convention=False, n_scan=200)
    assert np.all(np.diff(upper, axis=1) <= 1e-9)  # the tables' property
    assert np.all(upper >= plain_upper - 1e-12)  # only ever widened
    np.testing.assert_array_equal(lower, plain_lower)
    assert np.max(np.diff(plain_upper, axis=1)) > 0.2  # the plain sawtooth jumps up


@pytest.mark.parametrize("b", [2.0, 3.5])
def test_feldman_cousins_exact_coverage_published_convention(b):
    # Neyman construction: P(mu in [mu_1, mu_2] | mu) >= 90% for every mu (FC sec. II-IV);
    # computed exactly by summing Poisson probabilities over n.
    n = np.arange(60)
    lower, upper = feldman_cousins(n, b)
    mu = np.linspace(0.0, 8.0, 161)
    p = stats.poisson.pmf(n[None, :], mu[:, None] + b)
    covered = (lower[None, :] <= mu[:, None] + 1e-9) & (mu[:, None] <= upper[None, :] + 1e-9)
    coverage = np.sum(p * covered, axis=1)
    assert np.min(coverage) >= 0.90 - 1e-9


def test_feldman_cousins_vectorised_shape_and_belt_property():
    n = np.array([[0, 2], [5, 9]])
    b = np.array([0.5, 2.0])
    lower, upper = feldman_cousins(n, b)
    assert lower.shape == upper.shape == (2, 2)
    assert np.all(lower <= upper)
    # Large-count limit: the interval approaches n - b +- 1.645 sqrt(n) (Gaussian, 90% C.L.).
    lo, up = feldman_cousins(400, 100.0)
    assert float(lo) == pytest.approx(300 - 1.645 * 20, abs=1.5)
    assert float(up) == pytest.approx(300 + 1.645 * 20, abs=1.5)


def _fc_exact_coverage(mu_true, b, n_max=80):
    n = np.arange(n_max)
    lower, upper = feldman_cousins(n, b)
    p = stats.poisson.pmf(n, mu_true + b)
    return float(np.sum(p * ((lower <= mu_true) & (mu_true <= upper)))), lower, upper


@pytest.mark.slow
@pytest.mark.parametrize("mu_true", [0.5, 2.0, 6.0])
def test_feldman_cousins_coverage_with_toys(mu_true):
    # FC intervals are a Neyman construction: coverage >= 90% for every true mu (FC sec. IV).
    rng = np.random.default_rng(12345)
    b = 3.0
    n_toys = 4000
    exact, lower, upper = _fc_exact_coverage(mu_true, b)
    toys = rng.poisson(mu_true + b, size=n_toys)
    covered = np.mean((lower[toys] <= mu_true) & (mu_true <= upper[toys]))
    assert exact >= 0.90 - 1e-3  # belt edges are bisected to ~1e-10; tiny slack
    toy_error = math.sqrt(0.9 * 0.1 / n_toys)  # binomial error, ~0.0047
    assert covered >= 0.90 - 3 * toy_error
    assert covered == pytest.approx(exact, abs=4 * toy_error)


def test_exact_cls_background_free():
    # b = 0: CLb = 1, CLs = CLs+b = exp(-s) for n = 0 -> s = -ln(1 - CL) (Read 2002).
    assert float(cls_upper_limit(0, 0.0, cl=0.90)) == pytest.approx(-math.log(0.10), abs=1e-9)
    assert float(cls_upper_limit(0, 0.0, cl=0.95)) == pytest.approx(2.995732, abs=1e-6)


def test_exact_cls_equals_scipy_ratio_and_bayesian_flat_prior():
    n = np.array([0, 1, 3, 3, 8, 20])
    b = np.array([3.0, 0.5, 1.0, 0.0, 6.5, 25.0])
    for cl in (0.90, 0.95):
        lim = cls_upper_limit(n, b, cl=cl)
        # Definition: CLs = P(n <= n_obs | s + b) / P(n <= n_obs | b) = 1 - CL at the limit.
        ratio = stats.poisson.cdf(n, lim + b) / stats.poisson.cdf(n, b)
        np.testing.assert_allclose(ratio, 1.0 - cl, rtol=1e-8)
        # Known identity for one counting channel: CLs limit = flat-prior Bayesian limit
        # (Read 2002); analytically both solve Q(n + 1, s + b) = alpha Q(n + 1, b).
        bayes = bayesian_upper_limit(n, b, 1.0, 1.0, credibility=cl).upper_limit
        np.testing.assert_allclose(lim, bayes, rtol=1e-7)


def test_exact_cls_hybrid_background_uncertainty_matches_quadrature():
    n, b, r, cl = 2, 3.0, 0.3, 0.90
    lim = float(cls_upper_limit(n, b, rel_unc_background=r, cl=cl))

    def averaged_cdf(s):  # Cousins-Highland: average over the truncated Gaussian prior
        def integrand(x):
            return stats.poisson.cdf(n, s + x) * stats.norm.pdf(x, b, r * b)

        norm = stats.norm.sf(0.0, b, r * b)
        return integrate.quad(integrand, 0.0, b + 12 * r * b, epsabs=1e-13)[0] / norm

    assert averaged_cdf(lim) / averaged_cdf(0.0) == pytest.approx(1 - cl, rel=1e-6)
    assert lim > float(cls_upper_limit(n, b, cl=cl))  # uncertainty weakens this limit


def test_cross_section_limit_divides_by_luminosity_times_efficiency():
    mu = cls_upper_limit([1, 4], [0.5, 2.0], method="exact")
    sigma = cls_upper_limit([1, 4], [0.5, 2.0], method="exact", luminosity=400.0, efficiency=0.2)
    np.testing.assert_allclose(sigma, mu / 80.0, rtol=1e-12)


def test_asymptotic_large_background_limit():
    # b >> 1, no systematics: q_mu,A = s^2 / b, so the median expected CLs limit is
    # sqrt(b) Phi^-1(1 - alpha/2) (CCGV arXiv:1007.1727 eq. 89 with N = 0, CLs version).
    b = 1.0e6  # corrections to q_mu,A = s^2/b are O(s/b) = O(1/sqrt(b))
    exp = expected_cls_limits(b, cl=0.90)
    assert float(exp.median) / math.sqrt(b) == pytest.approx(stats.norm.isf(0.05), rel=2e-3)
    # +-1 sigma band: sigma (Phi^-1(1 - alpha Phi(N)) + N) with sigma = sqrt(b).
    ref_plus1 = stats.norm.isf(0.10 * stats.norm.cdf(1.0)) + 1.0
    assert float(exp.plus1) / math.sqrt(b) == pytest.approx(ref_plus1, rel=2e-3)


@pytest.mark.parametrize("method", ["exact", "asymptotic"])
def test_expected_bands_are_ordered(method):
    b = np.array([0.5, 3.0, 20.0])
    exp = expected_cls_limits(b, rel_unc_background=0.2, method=method, cl=0.95).as_array()
    assert exp.shape == (5, 3)
    assert np.all(np.diff(exp, axis=0) >= 0)
    if method == "asymptotic":
        assert np.all(np.diff(exp, axis=0) > 0)


def _pyhf_models(b, r):
    import pyhf

    poisson = pyhf.simplemodels.uncorrelated_background(
        signal=[1.0], bkg=[b], bkg_uncertainty=[b * r]
    )
    spec = {
        "channels": [
            {
                "name": "sr",
                "samples": [
                    {
                        "name": "signal",
                        "data": [1.0],
                        "modifiers": [{"name": "mu", "type": "normfactor", "data": None}],
                    },
                    {
                        "name": "background",
                        "data": [b],
                        "modifiers": [{"name": "bkg_stat", "type": "staterror", "data": [b * r]}],
                    },
                ],
            }
        ]
    }
    return {"poisson": poisson, "gaussian": pyhf.Model(spec)}


@pytest.mark.parametrize("constraint", ["poisson", "gaussian"])
def test_asymptotic_cls_matches_pyhf_hypotest(constraint):
    import pyhf

    n, b, r = 7, 5.0, 0.2
    model = _pyhf_models(b, r)[constraint]
    data = [n, *model.config.auxdata]
    bounds = model.config.suggested_bounds()
    bounds[model.config.poi_index] = (0.0, 50.0)
    mus = np.array([1.0, 4.0, 9.0])
    mine = cls_pvalues(mus, n, b, rel_unc_background=r, method="asymptotic", constraint=constraint)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = [
            float(pyhf.infer.hypotest(mu, data, model, test_stat="qtilde", par_bounds=bounds))
            for mu in mus
        ]
    np.testing.assert_allclose(mine[0], ref, rtol=1e-4)  # pyhf's fits converge to ~1e-6


def test_asymptotic_limits_match_pyhf_upper_limit():
    import pyhf

    n, b, r = 7, 5.0, 0.2
    model = _pyhf_models(b, r)["poisson"]  # pyhf.simplemodels.uncorrelated_background
    data = [n, *model.config.auxdata]
    bounds = model.config.suggested_bounds()
    bounds[model.config.poi_index] = (0.0, 50.0)
    results = {}
    for cl in (0.90, 0.95):
        obs = float(
            cls_upper_limit(
                n, b, rel_unc_background=r, cl=cl, method="asymptotic", constraint="poisson"
            )
        )
        exp = expected_cls_limits(
            b, n_obs=n, rel_unc_background=r, cl=cl, constraint="poisson"
        ).as_array()
        # Explicit scan (pyhf 0.7.6 ignores `level` when scan=None); step ~1.5% of the limit.
        scan = np.linspace(0.8 * float(exp[0]), 1.1 * float(exp[-1]), 60)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref_obs, ref_exp = pyhf.infer.intervals.upper_limits.upper_limit(
                data, model, scan=scan, level=1.0 - cl, par_bounds=bounds
            )
        # pyhf interpolates CLs linearly between scan points: agreement to ~0.5%.
        assert obs == pytest.approx(float(ref_obs), rel=5e-3)
        np.testing.assert_allclose(exp, np.asarray(ref_exp, dtype=float), rtol=1e-2)
        results[cl] = obs
    assert results[0.95] > 1.1 * results[0.90]  # the two levels are really different


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        (dict(method="bayes"), "method"),
        (dict(constraint="lognormal", method="asymptotic"), "constraint"),
        (dict(cl=1.2), "cl"),
        (dict(n_obs=-2), "n_obs"),
        (dict(background=0.0, method="asymptotic"), "background"),
        (dict(luminosity=10.0), "efficiency"),
    ],
)
def test_cls_bad_input_raises(kwargs, needle):
    args = dict(n_obs=2, background=1.0)
    args.update(kwargs)
    n_obs = args.pop("n_obs")
    background = args.pop("background")
    with pytest.raises(PhysicsDomainError, match=needle):
        cls_upper_limit(n_obs, background, **args)


def test_feldman_cousins_bad_input_raises():
    with pytest.raises(PhysicsDomainError, match="n_obs"):
        feldman_cousins(1.5, 0.0)
    with pytest.raises(PhysicsDomainError, match="background"):
        feldman_cousins(1, -1.0)
