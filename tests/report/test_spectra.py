"""Tests of darkscan.report.spectra (stacked spectra, efficiency plots, Poisson intervals)."""

import hist
import numpy as np
import pytest

from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.report.spectra import (
    draw_pseudo_data,
    plot_signal_efficiency,
    plot_spectrum,
    poisson_interval,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"  # PNG specification (RFC 2083), sec. 3.1
PDF_MAGIC = b"%PDF-"  # ISO 32000-1, sec. 7.5.2


def _hists(rng):
    axis = hist.axis.Regular(20, -2.0, 8.0, name="mrecoil")
    out = {}
    for name, n, loc in (("mumu", 800.0, 0.5), ("tautau", 300.0, 4.0)):
        h = hist.Hist(axis, storage=hist.storage.Weight())
        x = rng.normal(loc, 2.0, 2000)
        h.fill(x, weight=np.full(x.size, n / 2000))
        out[name] = h
    sig = hist.Hist(axis, storage=hist.storage.Weight())
    sig.fill(rng.normal(3.0, 0.1, 500), weight=np.full(500, 0.05))
    return out, {"Z' 3 GeV": sig}


def test_garwood_intervals_match_gehrels_table():
    # N. Gehrels, ApJ 303 (1986) 336, Tables 1 and 2 (S = 1, i.e. 84.13 % one-sided):
    # n=0: upper 1.841; n=1: lower 0.173, upper 3.300; n=10: lower 6.891, upper 14.27
    lo, hi = poisson_interval([0, 1, 10])
    # tolerance: half a unit of the last digit printed in the tables
    np.testing.assert_allclose(hi, [1.841, 3.300, 14.27], atol=5e-3)
    np.testing.assert_allclose(lo, [0.0, 0.173, 6.891], atol=5e-4)


def test_pseudo_data_is_poisson_and_seeded():
    rng = np.random.default_rng(7)
    axis = hist.axis.Regular(1, 0.0, 1.0)
    expected = hist.Hist(axis)
    expected.view()[...] = 4.0
    draws = [draw_pseudo_data(expected, rng).values()[0] for _ in range(4000)]
    # Poisson(4): mean 4, variance 4; 4000 draws: standard error of mean 0.032
    assert abs(np.mean(draws) - 4.0) < 5 * 0.032
    assert abs(np.var(draws) - 4.0) < 0.5
    a = draw_pseudo_data(expected, np.random.default_rng(1)).values()
    b = draw_pseudo_data(expected, np.random.default_rng(1)).values()
    np.testing.assert_array_equal(a, b)


def test_plot_spectrum_files(tmp_path):
    rng = np.random.default_rng(3)
    bkg, sig = _hists(rng)
    data = draw_pseudo_data(bkg["mumu"] + bkg["tautau"], rng)
    # the pseudo-data total is close to the expected total (Poisson, sqrt(1100) ~ 33)
    assert abs(data.values().sum() - 1100.0) < 5 * np.sqrt(1100.0)
    paths = plot_spectrum(bkg, signals=sig, pseudo_data=data, out_stem=tmp_path / "spec")
    assert paths[0].read_bytes()[:8] == PNG_MAGIC
    assert paths[1].read_bytes()[:5] == PDF_MAGIC
    paths = plot_spectrum(bkg, log_y=False, out_stem=tmp_path / "lin")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "lin.pdf",
        "lin.png",
        "spec.pdf",
        "spec.png",
    ]


def test_plot_signal_efficiency_files(tmp_path):
    m = np.linspace(0.5, 8.0, 8)
    paths = plot_signal_efficiency(
        m,
        [np.linspace(0.3, 0.1, 8), np.linspace(0.2, 0.05, 8)],
        efficiency_unc=np.full((2, 8), 0.01),
        labels=["mumu", "emu"],
        out_stem=tmp_path / "eff",
    )
    assert paths[0].read_bytes()[:8] == PNG_MAGIC
    assert paths[1].read_bytes()[:5] == PDF_MAGIC


def test_bad_input(tmp_path):
    rng = np.random.default_rng(0)
    bkg, _ = _hists(rng)
    other = hist.Hist(hist.axis.Regular(10, -2.0, 8.0))
    with pytest.raises(ConfigError, match="bin edges"):
        plot_spectrum(bkg, signals={"s": other}, out_stem=tmp_path / "x")
    with pytest.raises(PhysicsDomainError, match="efficiency"):
        plot_signal_efficiency([1.0, 2.0], [0.5, 1.5], out_stem=tmp_path / "x")
    with pytest.raises(PhysicsDomainError, match="counts"):
        poisson_interval([-1])
    assert list(tmp_path.iterdir()) == []
