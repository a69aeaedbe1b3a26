"""Tests of darkscan.report.exclusion (exclusion plots and the (g-2)_mu region)."""

import numpy as np
import pytest
from matplotlib.path import Path as MplPath

from darkscan.errors import ConfigError, InputFileError, PhysicsDomainError
from darkscan.models.g_minus_2 import DELTA_A_MU_2021, DELTA_A_MU_2025, delta_a_mu_vector
from darkscan.report import exclusion
from darkscan.report.exclusion import (
    ReferenceCurve,
    draw_exclusion,
    g_minus_2_region,
    plot_exclusion,
    read_reference_curve,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"  # PNG specification (RFC 2083), sec. 3.1
PDF_MAGIC = b"%PDF-"  # ISO 32000-1, sec. 7.5.2


def _limits(masses):
    med = 1e-3 * (1.0 + (masses / 2.0) ** 2)
    return {
        "expected": med,
        "expected_minus2": 0.55 * med,
        "expected_minus1": 0.72 * med,
        "expected_plus1": 1.4 * med,
        "expected_plus2": 1.9 * med,
        "observed": 1.1 * med,
    }


MASSES = np.geomspace(0.01, 8.0, 12)


def test_g_minus_2_band_2021_contains_5e_4_at_10_mev():
    # independent check: Delta a_mu of g' = 5e-4 at 10 MeV from the one-loop formula must lie
    # within central +- 2 sigma of the 2021 value ...
    delta = float(delta_a_mu_vector(0.01, 5e-4))
    central, sigma = DELTA_A_MU_2021
    assert abs(delta - central) < 2 * sigma
    # ... and the region computed from the model must then contain it
    region = g_minus_2_region(0.01, "2021")
    assert bool(region.contains(5e-4))
    assert not region.upper_only
    # edges reproduce central -+ 2 sigma exactly (Delta a proportional to g^2)
    np.testing.assert_allclose(
        delta_a_mu_vector(0.01, region.lower), central - 2 * sigma, rtol=1e-9
    )
    np.testing.assert_allclose(
        delta_a_mu_vector(0.01, region.upper), central + 2 * sigma, rtol=1e-9
    )


def test_g_minus_2_region_2025_is_upper_bound_only():
    central, sigma = DELTA_A_MU_2025
    assert central - 2 * sigma < 0  # consistent with zero: no lower edge
    region = g_minus_2_region(MASSES, "2025")
    assert region.upper_only
    np.testing.assert_array_equal(region.lower, 0.0)
    np.testing.assert_allclose(
        delta_a_mu_vector(MASSES, region.upper), central + 2 * sigma, rtol=1e-9
    )
    assert "consistent with 0" in region.label()
    assert bool(np.all(region.contains(1e-9)))  # tiny couplings are allowed, not "explained"


def test_dark_photon_region_is_g_over_e():
    # epsilon = g'/e, e = sqrt(4 pi alpha): independent rescaling of the Z' region
    zp = g_minus_2_region(0.05, "2021", model="lmu-ltau")
    dp = g_minus_2_region(0.05, "2021", model="dark-photon")
    e = np.sqrt(4 * np.pi / 137.035999084)
    np.testing.assert_allclose(dp.upper * e, zp.upper, rtol=1e-12)


def test_band_drawn_on_axes_contains_reference_point():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    artists = draw_exclusion(ax, MASSES, _limits(MASSES), g_minus_2="2021")
    poly = artists["g_minus_2"].get_paths()[0]
    # the filled polygon of the band contains (10 MeV, 5e-4) and not (10 MeV, 5e-3)
    assert MplPath(poly.vertices).contains_point((0.01 * 1.0001, 5e-4))
    assert not MplPath(poly.vertices).contains_point((0.01 * 1.0001, 5e-3))
    # Brazil bands: the 1 sigma polygon spans [0.72, 1.4] x median at the first mass
    band1 = artists["band1"].get_paths()[0].vertices
    at_first = band1[np.isclose(band1[:, 0], MASSES[0])][:, 1]
    med = 1e-3 * (1.0 + (MASSES[0] / 2.0) ** 2)
    np.testing.assert_allclose(
        [at_first.min(), at_first.max()], [0.72 * med, 1.4 * med], rtol=1e-12
    )
    assert artists["observed"].get_label() == "Observed (pseudo-data)"
    plt.close(fig)


def test_plot_exclusion_writes_png_and_pdf(tmp_path):
    paths = plot_exclusion(MASSES, _limits(MASSES), g_minus_2="2025", out_stem=tmp_path / "excl")
    assert [p.name for p in paths] == ["excl.png", "excl.pdf"]
    assert paths[0].read_bytes()[:8] == PNG_MAGIC
    assert paths[1].read_bytes()[:5] == PDF_MAGIC
    assert sorted(p.name for p in tmp_path.iterdir()) == ["excl.pdf", "excl.png"]  # no temp files


def test_plot_exclusion_accepts_expected_limits_aliases_and_no_g2(tmp_path):
    lim = _limits(MASSES)
    alias = {
        "median": lim["expected"],
        "minus1": lim["expected_minus1"],
        "plus1": lim["expected_plus1"],
    }
    paths = plot_exclusion(
        MASSES, alias, g_minus_2=None, pseudo_data=False, out_stem=tmp_path / "a"
    )
    assert all(p.stat().st_size > 1000 for p in paths)


def test_failed_save_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "excl.png"
    target.write_bytes(b"old")

    def broken_savefig(self, fname, **kwargs):
        with open(fname, "wb") as fh:
            fh.write(b"half")
        raise RuntimeError("disk full")

    monkeypatch.setattr("matplotlib.figure.Figure.savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="disk full"):
        plot_exclusion(MASSES, _limits(MASSES), out_stem=tmp_path / "excl")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["excl.png"]


def test_thermal_target_dark_photon(tmp_path):
    import matplotlib.pyplot as plt

    from darkscan.models.relic import epsilon_for_thermal_target

    masses = np.geomspace(0.05, 1.0, 5)
    fig, ax = plt.subplots()
    artists = draw_exclusion(
        ax,
        masses,
        _limits(masses),
        model="dark-photon",
        g_minus_2=None,
        thermal_target={"kind": "complex-scalar", "alpha_dark": 0.5, "ratio": 3.0},
    )
    x, y = artists["thermal_target"].get_data()
    # the drawn curve is the model's epsilon(m_chi = m_A'/3, m_A') at its own points
    np.testing.assert_allclose(
        y[[0, -1]], epsilon_for_thermal_target(x[[0, -1]] / 3, x[[0, -1]], 0.5), rtol=1e-10
    )
    plt.close(fig)
    with pytest.raises(ConfigError, match="dark-photon"):
        draw_exclusion(
            ax, masses, _limits(masses), model="lmu-ltau", thermal_target={"kind": "majorana"}
        )


def test_reference_curve_csv(tmp_path):
    csv = tmp_path / "curve.csv"
    csv.write_text(
        "# label: test curve\n# reference: arXiv:0000.00000\nmass,coupling\n0.1,1e-3\n1,2e-3\n"
    )
    curve = read_reference_curve(csv)
    np.testing.assert_allclose(curve.coupling, [1e-3, 2e-3])
    assert curve.label == "test curve"
    csv.write_text("mass,coupling\n0.1,1e-3\n")
    with pytest.raises(InputFileError, match="reference"):
        read_reference_curve(csv)
    paths = plot_exclusion(
        MASSES,
        _limits(MASSES),
        other_limits=[ReferenceCurve(np.array([0.1, 1]), np.array([1e-3, 2e-3]), "x")],
        out_stem=tmp_path / "with_ref",
    )
    assert paths[0].exists()


def test_bad_input():
    with pytest.raises(PhysicsDomainError, match="masses"):
        plot_exclusion([-1.0, 1.0], {"expected": [1e-3, 1e-3]}, out_stem="unused")
    with pytest.raises(ConfigError, match="g_minus_2"):
        g_minus_2_region(0.1, "2019")
    with pytest.raises(ConfigError, match="unknown key"):
        plot_exclusion(MASSES, {"expcted": MASSES}, out_stem="unused")
    with pytest.raises(ConfigError, match="2 values"):
        plot_exclusion(MASSES, {"expected": [1e-3, 1e-3]}, out_stem="unused")
    with pytest.raises(ConfigError, match="both edges"):
        plot_exclusion(MASSES, {"expected": MASSES, "expected_minus1": MASSES}, out_stem="unused")
    assert exclusion.GREEN != exclusion.YELLOW


def test_auto_g_minus_2_choice():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    zp = draw_exclusion(ax, MASSES, _limits(MASSES), model="lmu-ltau")
    assert "g_minus_2_edge" in zp  # 2025 value: upper edge only
    edge_x, edge_y = zp["g_minus_2_edge"].get_data()
    np.testing.assert_allclose(
        delta_a_mu_vector(edge_x, edge_y), DELTA_A_MU_2025[0] + 2 * DELTA_A_MU_2025[1], rtol=1e-9
    )
    ax.clear()
    other = draw_exclusion(ax, MASSES, _limits(MASSES), model="alp")
    assert "g_minus_2" not in other and "g_minus_2_edge" not in other
    with pytest.raises(ConfigError, match="only lmu-ltau, dark-photon"):
        draw_exclusion(ax, MASSES, _limits(MASSES), model="alp", g_minus_2="2021")
    with pytest.raises(ConfigError, match="at least 2"):
        draw_exclusion(ax, [1.0], {"expected": [1e-3]})
    plt.close(fig)
