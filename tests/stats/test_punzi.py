"""Tests of darkscan.stats.punzi (Punzi figure of merit, per-bin cut optimisation)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import brentq

from darkscan.errors import ConfigError
from darkscan.stats.punzi import optimise_cuts, punzi_fom


def _reference_optimise(sv, sw, bv, bw, cut_grid, si, bi, n_bins, a):
    """Plain loop implementation: for each bin, try every cut combination."""
    names = list(cut_grid)
    out = []
    for k in range(n_bins):
        s_in = si == k
        b_in = bi == k
        s_tot = sw[s_in].sum()
        best = (-1.0, None, 0.0, 0.0)
        for combo in itertools.product(*(cut_grid[n][0] for n in names)):
            s_pass = s_in.copy()
            b_pass = b_in.copy()
            for name, cut in zip(names, combo, strict=True):
                if cut_grid[name][1] == "lower":
                    s_pass &= sv[name] >= cut
                    b_pass &= bv[name] >= cut
                else:
                    s_pass &= sv[name] <= cut
                    b_pass &= bv[name] <= cut
            eff = sw[s_pass].sum() / s_tot
            bkg = bw[b_pass].sum()
            fom = eff / (a / 2 + np.sqrt(bkg))
            if fom > best[0]:
                best = (fom, combo, eff, bkg)
        out.append(best)
    return out


def _fom_at(cuts, sv, sw, bv, bw, cut_grid, si, bi, k, a):
    s_pass = si == k
    b_pass = bi == k
    s_tot = sw[s_pass].sum()
    for name, (_, direction) in cut_grid.items():
        c = cuts[name][k]
        if direction == "lower":
            s_pass = s_pass & (sv[name] >= c)
            b_pass = b_pass & (bv[name] >= c)
        else:
            s_pass = s_pass & (sv[name] <= c)
            b_pass = b_pass & (bv[name] <= c)
    eff = sw[s_pass].sum() / s_tot
    bkg = bw[b_pass].sum()
    return eff / (a / 2 + np.sqrt(bkg)), eff, bkg


def test_punzi_fom_formula_and_vectorisation():
    # eps / (a/2 + sqrt(B)), Punzi arXiv:physics/0308063 (quoted as eq. (7); equation number
    # not verified), evaluated by hand
    assert punzi_fom(0.5, 9.0, a=2.0) == pytest.approx(0.125, rel=1e-15)
    eff = np.array([0.2, 0.4, 0.8])
    bkg = np.array([[0.0], [4.0]])
    out = punzi_fom(eff, bkg, a=1.64)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out[1], eff / (0.82 + 2.0), rtol=1e-15)
    np.testing.assert_allclose(out[0], eff / 0.82, rtol=1e-15)


def test_punzi_fom_bad_input():
    with pytest.raises(ConfigError, match="efficiency"):
        punzi_fom(1.5, 1.0)
    with pytest.raises(ConfigError, match="background"):
        punzi_fom(0.5, -1.0)


def test_vectorised_matches_loop_reference_on_random_data():
    rng = np.random.default_rng(20261126)
    n_bins, a = 4, 1.64
    ns, nb = 400, 700
    sv = {"x": rng.normal(1.0, 0.5, ns), "y": rng.exponential(1.0, ns)}
    bv = {"x": rng.normal(0.0, 0.7, nb), "y": rng.exponential(2.0, nb)}
    sw = rng.uniform(0.5, 1.5, ns)
    bw = rng.uniform(0.01, 0.2, nb)
    si = rng.integers(-1, n_bins + 1, ns)  # includes out-of-range indices (ignored)
    bi = rng.integers(-1, n_bins + 1, nb)
    cut_grid = {"x": (np.linspace(-1.0, 2.0, 9), "lower"), "y": (np.linspace(0.2, 4.0, 6), "upper")}
    res = optimise_cuts(sv, sw, bv, bw, cut_grid, si, bi, n_bins, a=a)
    ref = _reference_optimise(sv, sw, bv, bw, cut_grid, si, bi, n_bins, a)
    for k in range(n_bins):
        # same maximum figure of merit (independent loop computation), rounding-level tolerance
        assert res.fom[k] == pytest.approx(ref[k][0], rel=1e-10)
        # and the returned cuts realise it, with the returned eps and B
        fom, eff, bkg = _fom_at(res.cuts, sv, sw, bv, bw, cut_grid, si, bi, k, a)
        assert fom == pytest.approx(ref[k][0], rel=1e-10)
        assert res.efficiency[k] == pytest.approx(eff, rel=1e-10)
        assert res.background[k] == pytest.approx(bkg, rel=1e-10, abs=1e-12)


def _optimal_cut_exponential(b0, lam, a):
    """Analytic optimum of (1 - c) / (a/2 + sqrt(b0) exp(-c / (2 lam))) for a lower cut c on x,
    signal flat on [0, 1], background b0 * exp(-x/lam)/lam: setting the derivative to zero,
    sqrt(b0) e^{-c/2lam} [(1 - c)/(2 lam) - 1] = a/2."""

    def g(c):
        return np.sqrt(b0) * np.exp(-c / (2 * lam)) * ((1 - c) / (2 * lam) - 1) - a / 2

    return brentq(g, 0.0, 1.0 - 2 * lam)


def test_known_optimum_flat_signal_exponential_background():
    a = 1.64
    params = [(100.0, 0.2), (2000.0, 0.1), (10.0, 0.15)]  # (B0 events, decay length of x)
    n_sig, n_bkg = 200_000, 400_000
    sx, sw, si, bx, bw, bi = [], [], [], [], [], []
    for k, (b0, lam) in enumerate(params):
        # deterministic "events" at the quantiles of the densities (no sampling noise)
        u_s = (np.arange(n_sig) + 0.5) / n_sig
        u_b = (np.arange(n_bkg) + 0.5) / n_bkg
        sx.append(u_s)
        sw.append(np.full(n_sig, 1.0 / n_sig))
        si.append(np.full(n_sig, k))
        bx.append(-lam * np.log1p(-u_b))
        bw.append(np.full(n_bkg, b0 / n_bkg))
        bi.append(np.full(n_bkg, k))
    grid = np.linspace(0.0, 0.99, 991)  # step 1e-3
    res = optimise_cuts(
        {"x": np.concatenate(sx)},
        np.concatenate(sw),
        {"x": np.concatenate(bx)},
        np.concatenate(bw),
        {"x": (grid, "lower")},
        np.concatenate(si),
        np.concatenate(bi),
        n_bins=len(params),
        a=a,
    )
    for k, (b0, lam) in enumerate(params):
        c_opt = _optimal_cut_exponential(b0, lam, a)
        # grid step 1e-3; the FoM is flat near its maximum so allow 3 grid steps
        assert res.cuts["x"][k] == pytest.approx(c_opt, abs=3e-3)
        assert res.efficiency[k] == pytest.approx(1 - c_opt, abs=3e-3)
        f_opt = (1 - c_opt) / (a / 2 + np.sqrt(b0) * np.exp(-c_opt / (2 * lam)))
        # quantile discretisation of B: B0/n_bkg = 0.005 events against B ~ 2 at the optimum
        # of the B0 = 2000 bin, i.e. ~3e-4 on the FoM; grid maximum >= value at c_opt - step
        assert res.fom[k] == pytest.approx(f_opt, rel=1e-3)


def test_bins_without_signal_and_bad_config():
    res = optimise_cuts(
        {"x": np.array([0.5])},
        1.0,
        {"x": np.array([0.1, 0.7])},
        1.0,
        {"x": (np.array([0.0, 0.3, 0.6]), "lower")},
        np.array([0]),
        np.array([0, 1]),
        n_bins=2,
    )
    assert res.cuts["x"][0] == 0.3  # removes the background event at 0.1, keeps the signal
    assert np.isnan(res.cuts["x"][1]) and res.fom[1] == 0.0
    with pytest.raises(ConfigError, match="direction"):
        optimise_cuts(
            {"x": np.zeros(1)},
            1.0,
            {"x": np.zeros(1)},
            1.0,
            {"x": (np.array([0.0]), "above")},
            np.array([0]),
            np.array([0]),
            1,
        )
    with pytest.raises(ConfigError, match="lacks"):
        optimise_cuts(
            {"y": np.zeros(1)},
            1.0,
            {"x": np.zeros(1)},
            1.0,
            {"x": (np.array([0.0]), "lower")},
            np.array([0]),
            np.array([0]),
            1,
        )
    with pytest.raises(ConfigError, match="increasing"):
        optimise_cuts(
            {"x": np.zeros(1)},
            1.0,
            {"x": np.zeros(1)},
            1.0,
            {"x": (np.array([1.0, 0.0]), "lower")},
            np.array([0]),
            np.array([0]),
            1,
        )
