"""Tests of darkscan.select.histograms: yields, coverage, resolution-driven bin widths."""

from __future__ import annotations

import math

import numpy as np
import pytest

from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.select import histograms as hs


def test_sum_of_weights_times_luminosity_is_the_expected_yield():
    rng = np.random.default_rng(8)
    m = rng.normal(3.0, 2.0, 5000)  # some fall outside [0, 8]: flow bins keep them
    w = rng.exponential(0.02, 5000)  # fb
    lumi = 79.7  # fb^-1
    h = hs.recoil_mass_histogram(m, w, edges=np.linspace(0.0, 8.0, 41), luminosity=lumi)
    assert hs.expected_yield(h) == pytest.approx(lumi * w.sum(), rel=1e-12)
    inside = (m >= 0.0) & (m < 8.0)
    assert hs.expected_yield(h, flow=False) == pytest.approx(lumi * w[inside].sum(), rel=1e-12)
    # Weight storage: variance = sum (w L)^2
    assert np.sum(h.variances(flow=True)) == pytest.approx(np.sum((lumi * w) ** 2), rel=1e-12)


def test_two_dimensional_histogram_and_table_filling():
    rng = np.random.default_rng(9)
    n = 1000
    table = {
        "recoil_mass": rng.uniform(-1.0, 9.0, n),
        "recoil_theta": rng.uniform(0.3, 2.5, n),
        "weight": rng.uniform(0.0, 1.0, n),
    }
    table["recoil_mass_squared"] = np.sign(table["recoil_mass"]) * table["recoil_mass"] ** 2
    mask = table["recoil_mass"] > 2.0
    hists = hs.recoil_histograms(
        table,
        mask,
        mass_edges=np.linspace(0.0, 10.0, 11),
        mass_squared_edges=np.linspace(0.0, 100.0, 21),
        theta_edges=np.radians([32.2, 60.0, 90.0, 128.7]),
        luminosity=2.0,
    )
    expected = 2.0 * table["weight"][mask].sum()
    assert hs.expected_yield(hists["recoil_mass"]) == pytest.approx(expected, rel=1e-12)
    h2 = hists["recoil_mass_squared_theta"]
    assert hs.expected_yield(h2) == pytest.approx(expected, rel=1e-12)
    # theta slice 60-90 deg equals the hand sum
    th = table["recoil_theta"][mask]
    sel = (th >= math.radians(60.0)) & (th < math.radians(90.0))
    slice_sum = np.sum(h2.values(flow=True)[:, 2])  # index 0 is the underflow bin
    assert slice_sum == pytest.approx(2.0 * table["weight"][mask][sel].sum(), rel=1e-12)
    with pytest.raises(ConfigError):
        hs.recoil_mass_histogram([1.0], [1.0, 2.0], edges=[0, 1, 2])
    with pytest.raises(ConfigError):
        hs.recoil_mass_histogram([1.0], edges=[0, 2, 1])


def test_constant_resolution_gives_uniform_bins():
    edges = hs.mass_bins_from_resolution(0.0, 6.0, lambda m: np.full_like(m, 0.03), 2.0)
    # 6 GeV / (2 x 0.03 GeV) = 100 bins of 0.06 GeV
    assert len(edges) == 101
    np.testing.assert_allclose(np.diff(edges), 0.06, rtol=1e-9)


def test_resolution_driven_widths_match_the_analytic_edges():
    # sigma(M) = a + b M: u(M) = ln((a + b M)/(a + b m0)) / (k b), so the edges are
    # M_i = ((a + b m0) exp(k b i U/n) - a) / b (analytic inverse).
    a, b, k = 0.02, 0.01, 2.0
    m0, m1 = -0.5, 9.0
    edges = hs.mass_bins_from_resolution(m0, m1, lambda m: a + b * m, k)
    total = math.log((a + b * m1) / (a + b * m0)) / (k * b)
    n = round(total)
    i = np.arange(n + 1)
    analytic = ((a + b * m0) * np.exp(k * b * i * total / n) - a) / b
    np.testing.assert_allclose(edges, analytic, rtol=0, atol=1e-6)
    # covers the range exactly
    assert edges[0] == m0 and edges[-1] == m1 and np.all(np.diff(edges) > 0)
    # widths are k sigma(centre) up to the common stretch U/n and the curvature of sigma
    centres = 0.5 * (edges[1:] + edges[:-1])
    ratio = np.diff(edges) / (k * (a + b * centres))
    np.testing.assert_allclose(ratio, total / n, rtol=1e-3)
    assert abs(total / n - 1.0) <= 0.5 / n


def test_bins_errors():
    with pytest.raises(PhysicsDomainError):
        hs.mass_bins_from_resolution(5.0, 1.0, lambda m: 0.1 + 0 * m)
    with pytest.raises(PhysicsDomainError):
        hs.mass_bins_from_resolution(0.0, 1.0, lambda m: 0.1 - m)  # sigma <= 0 above 0.1
    with pytest.raises(PhysicsDomainError):
        hs.mass_bins_from_resolution(0.0, 1.0, lambda m: 0.1 + 0 * m, width_in_sigma=0.0)
    # a range narrower than one bin still gives one bin
    one = hs.mass_bins_from_resolution(0.0, 0.01, lambda m: 0.1 + 0 * m)
    assert one.tolist() == [0.0, 0.01]
