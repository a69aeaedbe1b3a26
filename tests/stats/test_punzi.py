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


# ------------------------------------------------------------------ simulated-statistics guard
def _empty_corner_case():
    """One mass bin: signal flat in x on [0, 1] (1000 events), one background sample of 6
    simulated events of weight 10 (60 expected events) at x = 0.05 .. 0.65, none above 0.7:
    the corner x >= 0.9 is background-free only because the simulation is empty there."""
    sv = {"x": (np.arange(1000) + 0.5) / 1000}
    bv = {"x": np.array([0.05, 0.15, 0.25, 0.35, 0.55, 0.65])}
    grid = {"x": (np.array([0.0, 0.5, 0.9]), "lower")}
    return sv, bv, grid


def test_unguarded_optimiser_picks_the_empty_corner_guarded_does_not():
    sv, bv, grid = _empty_corner_case()
    a = 1.64
    args = (sv, 1.0, bv, 10.0, grid, np.zeros(1000, dtype=int), np.zeros(6, dtype=int), 1)
    plain = optimise_cuts(*args, a=a)
    # by hand: FoM(0.9) = 0.1 / 0.82 = 0.12195 > FoM(0) = 1 / (0.82 + sqrt(60)) = 0.11663
    #          > FoM(0.5) = 0.5 / (0.82 + sqrt(20)) = 0.09413
    assert plain.cuts["x"][0] == 0.9
    assert plain.fom[0] == pytest.approx(0.1 / 0.82, rel=1e-12)
    assert plain.background[0] == 0.0
    # zero-MC-event convention: the empty corner counts 1.14 x 10 events,
    # FoM(0.9) = 0.1 / (0.82 + sqrt(11.4)) = 0.02388 < FoM(0) -> the loose cut wins
    zero = optimise_cuts(*args, a=a, sample_event_weight=[10.0], zero_event_upper=1.14)
    assert zero.cuts["x"][0] == 0.0
    assert zero.fom[0] == pytest.approx(1.0 / (0.82 + np.sqrt(60.0)), rel=1e-12)
    assert zero.raw_background[0] == 6.0 and zero.background_guarded[0] == 60.0
    # N_min = 3 simulated events: x >= 0.9 (0 events) and x >= 0.5 (2 events) are excluded
    nmin = optimise_cuts(*args, a=a, min_raw_events=3)
    assert nmin.cuts["x"][0] == 0.0 and nmin.raw_background[0] == 6.0
    # N_min = 2 admits x >= 0.5 but FoM(0) is still larger (numbers above)
    assert optimise_cuts(*args, a=a, min_raw_events=2).cuts["x"][0] == 0.0


def test_guard_zero_event_term_per_sample_and_nmin_capped_at_bin_content():
    sv, bv, grid = _empty_corner_case()
    # a second, light sample (weight 0.01) with one event at x = 0.95 in the corner, and a
    # third sample absent from the bin (its zero-event term must not be added)
    bv2 = {"x": np.concatenate([bv["x"], [0.95], [0.5]])}
    smp = np.array([0, 0, 0, 0, 0, 0, 1, 2])
    bi = np.array([0, 0, 0, 0, 0, 0, 0, 5])  # the sample-2 event lies outside the bins
    bw = np.array([10.0] * 6 + [0.01, 3.0])
    res = optimise_cuts(
        sv, 1.0, bv2, bw, grid, np.zeros(1000, dtype=int), bi, 1,
        background_sample=smp, sample_event_weight=[10.0, 0.01, 3.0], zero_event_upper=1.14,
    )  # fmt: skip
    # at x >= 0.9: sample 0 empty -> 11.4, sample 1 one event -> 0.01, sample 2 absent -> 0
    assert res.cuts["x"][0] == 0.0
    fom_corner = 0.1 / (0.82 + np.sqrt(11.4 + 0.01))
    assert res.fom[0] > fom_corner
    # with the light sample only in a bin: N_min = 5 exceeds its 1 simulated event, so the
    # requirement is capped at the bin's content and the corner stays eligible
    only = optimise_cuts(
        sv, 1.0, {"x": np.array([0.95])}, 0.01, grid, np.zeros(1000, dtype=int),
        np.zeros(1, dtype=int), 1, min_raw_events=5,
    )  # fmt: skip
    # (every cut keeps it: the loosest cut, eps = 1, B = 0.01, FoM = 1 / (0.82 + 0.1))
    assert only.raw_background[0] == 1.0 and only.cuts["x"][0] == 0.0
    assert only.fom[0] == pytest.approx(1.0 / (0.82 + 0.1), rel=1e-12)
    # background_raw: entries are cells standing for several simulated events. Heavy cell at
    # x = 0.2 (1 event, 400 expected), light cell at x = 0.95 (4 events, 0.01 expected);
    # N_min = 3: x >= 0.5 keeps 4 simulated events and wins (eps 0.5, B = 0.01); counted as
    # one event per entry it keeps 1 < min(3, 2) and only the loosest cut is eligible
    b_cells = {"x": np.array([0.2, 0.95])}
    kw = dict(min_raw_events=3)
    cells_args = (sv, 1.0, b_cells, np.array([400.0, 0.01]), grid, np.zeros(1000, dtype=int),
                  np.zeros(2, dtype=int), 1)  # fmt: skip
    cells = optimise_cuts(*cells_args, background_raw=np.array([1.0, 4.0]), **kw)
    assert cells.cuts["x"][0] == 0.5 and cells.raw_background[0] == 4.0
    assert optimise_cuts(*cells_args, **kw).cuts["x"][0] == 0.0


def test_guard_bad_input():
    sv, bv, grid = _empty_corner_case()
    args = (sv, 1.0, bv, 10.0, grid, np.zeros(1000, dtype=int), np.zeros(6, dtype=int), 1)
    with pytest.raises(ConfigError, match="sample_event_weight"):
        optimise_cuts(*args, zero_event_upper=1.14)
    with pytest.raises(ConfigError, match="min_raw_events"):
        optimise_cuts(*args, min_raw_events=-1)
    with pytest.raises(ConfigError, match="background_sample"):
        optimise_cuts(*args, min_raw_events=1, background_sample=np.zeros(3, dtype=int))
