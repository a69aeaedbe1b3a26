"""Tests of darkscan.models.sm_cross_sections: the SM table and the Born mu+mu- formula."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from darkscan.constants import ALPHA_EM, GEV2_TO_FB, M_MU, M_TAU
from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.models.sm_cross_sections import (
    SM_CROSS_SECTIONS,
    SMCrossSection,
    born_mumu_cross_section,
    sm_cross_section,
)

NB = 1e6  # fb


# ----------------------------------------------------------------------------- Born
def test_born_mumu_at_upsilon4s():
    # PDG review "Cross-section formulae for specific processes": sigma = 86.8 nb / s[GeV^2]
    # -> 0.7754 nb at 10.58 GeV; 0.776 nb with alpha = 1/137.036.
    sigma = born_mumu_cross_section(10.58)
    assert sigma == pytest.approx(0.776 * NB, rel=0.005)
    assert sigma == pytest.approx(86.8 * NB / 10.58**2, rel=0.005)


@pytest.mark.parametrize("sqrt_s", [0.2114, 0.25, 1.0, 3.097, 10.58, 91.0])
def test_born_equals_peskin_schroeder_form(sqrt_s):
    # Peskin & Schroeder eq. (5.13): (4 pi alpha^2 / 3 E_cm^2) sqrt(1 - m^2/E^2)(1 + m^2/2E^2),
    # E = E_cm / 2: an independent evaluation of the same formula.
    e = sqrt_s / 2
    expected = (
        4
        * math.pi
        * ALPHA_EM**2
        / (3 * sqrt_s**2)
        * math.sqrt(1 - M_MU**2 / e**2)
        * (1 + M_MU**2 / (2 * e**2))
        * GEV2_TO_FB
    )
    assert born_mumu_cross_section(sqrt_s) == pytest.approx(expected, rel=1e-12)


def test_born_threshold_behaviour():
    threshold = 2 * M_MU
    point_like = lambda rs: 4 * math.pi * ALPHA_EM**2 / (3 * rs**2) * GEV2_TO_FB  # noqa: E731
    # zero at and below threshold
    assert born_mumu_cross_section(threshold) == 0.0
    np.testing.assert_array_equal(born_mumu_cross_section(np.array([0.1, 0.2, threshold])), 0.0)
    # just above threshold sigma -> point-like * 3 beta / 2 (linear in beta)
    for beta in (1e-3, 1e-2):
        rs = threshold / math.sqrt(1 - beta**2)
        ratio = born_mumu_cross_section(rs) / (point_like(rs) * 1.5 * beta)
        assert ratio == pytest.approx(1.0, abs=beta**2)  # (3 - beta^2)/3 correction
    # far above threshold it tends to the point-like 4 pi alpha^2 / 3 s (corr. ~ 3x^2/8)
    assert born_mumu_cross_section(10.58) == pytest.approx(point_like(10.58), rel=1e-6)
    # it rises from threshold, peaks and then falls like 1/s
    grid = np.linspace(threshold * 1.0001, 2.0, 2000)
    sigma = born_mumu_cross_section(grid)
    peak = int(np.argmax(sigma))
    assert 0 < peak < grid.size - 1
    assert np.all(np.diff(sigma[: peak + 1]) > 0) and np.all(np.diff(sigma[peak:]) < 0)


def test_born_tau_pairs_and_vectorisation():
    # beta(3 - beta^2)/2 mass suppression for tau pairs at 10.58 GeV: 0.9950
    x = 4 * M_TAU**2 / 10.58**2
    beta = math.sqrt(1 - x)
    ratio = born_mumu_cross_section(10.58, lepton_mass=M_TAU) / born_mumu_cross_section(
        10.58, lepton_mass=0.0
    )
    assert ratio == pytest.approx(beta * (3 - beta**2) / 2, rel=1e-12)
    assert ratio == pytest.approx(0.995, abs=0.001)
    out = born_mumu_cross_section(np.array([[1.0, 10.58]]))
    assert out.shape == (1, 2)
    assert out[0, 1] == pytest.approx(born_mumu_cross_section(10.58), rel=1e-15)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ((0.0,), "sqrt_s"),
        ((-1.0,), "sqrt_s"),
        ((float("nan"),), "sqrt_s"),
        ((10.58, -0.1), "lepton_mass"),
    ],
)
def test_born_bad_inputs(args, fragment):
    with pytest.raises(PhysicsDomainError) as excinfo:
        born_mumu_cross_section(*args)
    msg = str(excinfo.value)
    assert fragment in msg and "\n" not in msg


# ----------------------------------------------------------------------------- table
# Reference values: Belle II Physics Book, arXiv:1808.10567, table of total
# production cross sections at sqrt(s) = 10.58 GeV (in nb).
PHYSICS_BOOK_NB = {
    "upsilon4s": 1.110,
    "uubar": 1.61,
    "ddbar": 0.40,
    "ssbar": 0.38,
    "ccbar": 1.30,
    "ee": 300.0,
    "gammagamma": 4.99,
    "mumu": 1.148,
    "tautau": 0.919,
    "nunu": 0.25e-3,
    "eeee": 39.7,
    "eemumu": 18.9,
}


@pytest.mark.parametrize(("process", "nb"), sorted(PHYSICS_BOOK_NB.items()))
def test_table_values(process, nb):
    assert sm_cross_section(process) == pytest.approx(nb * NB, rel=1e-12)


def test_table_structure():
    assert {row.process for row in SM_CROSS_SECTIONS} == set(PHYSICS_BOOK_NB)
    assert len({row.process for row in SM_CROSS_SECTIONS}) == len(SM_CROSS_SECTIONS)
    for row in SM_CROSS_SECTIONS:
        assert isinstance(row, SMCrossSection)
        assert row.generator and "1808.10567" in row.reference
        assert row.uncertainty is None or 0 < row.uncertainty < row.cross_section
    with pytest.raises(dataclasses.FrozenInstanceError):
        SM_CROSS_SECTIONS[0].cross_section = 0.0
    by_name = {row.process: row for row in SM_CROSS_SECTIONS}
    # values quoted with cuts / uncertainties in the Physics Book table
    assert "170" in by_name["ee"].cuts and by_name["ee"].uncertainty == pytest.approx(3 * NB)
    assert "0.15 GeV" in by_name["gammagamma"].cuts
    assert "W_ll > 0.5" in by_name["eeee"].cuts and "W_ll > 0.5" in by_name["eemumu"].cuts
    assert by_name["upsilon4s"].uncertainty == pytest.approx(0.008 * NB)


def test_light_quark_ratio_is_charge_squared():
    # u and d are both light: sigma(uu)/sigma(dd) -> e_u^2 / e_d^2 = 4 (independent check
    # of the quoted numbers, mass effects < 0.1 % at 10.58 GeV)
    ratio = sm_cross_section("uubar") / sm_cross_section("ddbar")
    assert ratio == pytest.approx(4.0, rel=0.01)


def test_unknown_process():
    with pytest.raises(ConfigError) as excinfo:
        sm_cross_section("bhabha")
    msg = str(excinfo.value)
    assert "\n" not in msg and "bhabha" in msg
    assert all(name in msg for name in PHYSICS_BOOK_NB)
