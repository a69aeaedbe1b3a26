"""Tests of darkscan.report.cutflow (cut-flow tables)."""

import numpy as np
import pytest
from rich.console import Console

from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.report.cutflow import (
    CutFlow,
    cutflow_latex,
    cutflow_markdown,
    cutflow_rich,
    write_cutflow,
)

STEPS = {
    "signal": [("all", 200.0, 10000), ("2 muons", 120.0, 6000), ("tau veto", 30.0, 1500)],
    "mu mu": [("all", 4.0e6, 50000), ("2 muons", 3.0e6, 37500), ("tau veto", 0.0, 0)],
}


def test_efficiencies_independent_computation():
    cf = CutFlow.from_steps(STEPS, luminosity=79.7)
    # by hand: 120/200 = 0.6, 30/120 = 0.25; cumulative 30/200 = 0.15
    np.testing.assert_allclose(cf.efficiency_previous()[0], [1.0, 0.6, 0.25], rtol=1e-15)
    np.testing.assert_allclose(cf.efficiency_first()[0], [1.0, 0.6, 0.15], rtol=1e-15)
    # product of step efficiencies equals the cumulative efficiency
    np.testing.assert_allclose(
        np.cumprod(cf.efficiency_previous(), axis=1), cf.efficiency_first(), rtol=1e-14
    )
    np.testing.assert_allclose(cf.efficiency_first()[1], [1.0, 0.75, 0.0], rtol=1e-15)


def test_zero_denominator_is_nan_and_dash():
    cf = CutFlow.from_steps({"s": [("all", 0.0, 0), ("cut", 0.0, 0)]})
    assert np.isnan(cf.efficiency_previous()[0, 1]) and np.isnan(cf.efficiency_first()[0, 1])
    assert cutflow_markdown(cf).splitlines()[-1] == "| cut | 0 | 0 | - | - |"


def test_renderings(tmp_path):
    cf = CutFlow.from_steps(STEPS, luminosity=79.7)
    md = cutflow_markdown(cf)
    assert "| tau veto | 30 | 1500 | 25.00% | 15.00% | 0 | 0 | 0.00% | 0.00% |" in md
    tex = cutflow_latex(cf)
    assert r"tau veto & 30 & 1500 & 25.00\% & 15.00\% & 0 & 0 & 0.00\% & 0.00\% \\" in tex
    assert r"\multicolumn{4}{c}{mu mu}" in tex
    console = Console(record=True, width=200)
    console.print(cutflow_rich(cf))
    text = console.export_text()
    assert "25.00%" in text and "tau veto" in text
    write_cutflow(tmp_path / "cf.md", cf)
    write_cutflow(tmp_path / "cf.tex", cf)
    assert (tmp_path / "cf.md").read_text() == md + "\n"
    assert (tmp_path / "cf.tex").read_text() == tex
    with pytest.raises(ConfigError, match="suffix"):
        write_cutflow(tmp_path / "cf.csv", cf)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cf.md", "cf.tex"]


def test_latex_escape():
    cf = CutFlow.from_steps({"a_b": [("x & y 5%", 1.0, 1)]})
    tex = cutflow_latex(cf)
    assert r"x \& y 5\%" in tex and r"{a\_b}" in tex


def test_bad_input():
    with pytest.raises(ConfigError, match="expected"):
        CutFlow.from_steps({"a": [("all", 1.0, 1)], "b": [("none", 1.0, 1)]})
    with pytest.raises(PhysicsDomainError, match="increases"):
        CutFlow.from_steps({"a": [("all", 1.0, 10), ("cut", 1.0, 11)]})
    with pytest.raises(PhysicsDomainError, match="events passing"):
        CutFlow.from_steps({"a": [("all", -1.0, 10)]})
    with pytest.raises(PhysicsDomainError, match="luminosity"):
        CutFlow.from_steps({"a": [("all", 1.0, 10)]}, luminosity=0.0)
