"""Limits for a whole table: every bin's limit must equal the limit of that row alone."""

import numpy as np
import pytest

from darkscan.errors import ConfigError
from darkscan.stats.table_limits import METHODS, limits_from_table


def _table():
    # Bins with and without uncertainties mixed: a per-source array must not leak across bins.
    return {
        "mass": np.array([0.5, 1.0, 2.0]),
        "n_obs": np.array([10000, 5, 2]),
        "background": np.array([1e4, 3.0, 1.5]),
        "efficiency": np.array([0.5, 0.2, 0.1]),
        "luminosity": np.array([10.0, 79.7, 79.7]),
        "rel_unc_efficiency": np.array([[0.0, 0.0], [0.06, 0.04], [0.01, 0.04]]),
        "rel_unc_background": np.array([[0.0], [0.2], [0.05]]),
    }


def _row(table, i):
    return {k: v[i : i + 1] for k, v in table.items()}


@pytest.mark.parametrize("method", list(METHODS))
def test_bins_are_independent(method):
    table = _table()
    full = limits_from_table(table, method=method)
    for i in range(3):
        alone = limits_from_table(_row(table, i), method=method)
        for key in full:
            np.testing.assert_allclose(full[key][i], alone[key][0], rtol=1e-9)


def test_asymptotic_large_background_limit():
    # n = b = 1e4: s_up = sqrt(b) Phi^-1(0.95) (1 + O(1/sqrt b)) = 164.5 events at 90% CL
    # (Cowan, Cranmer, Gross, Vitells, arXiv:1007.1727, sec. 3.8 with CLb = 1/2).
    out = limits_from_table(_row(_table(), 0), method="cls-asymptotic")
    assert out["signal_events_limit"][0] == pytest.approx(164.49, rel=0.01)


def test_ninety_and_ninety_five_differ():
    t = _table()
    assert np.all(
        limits_from_table(t, cl=0.95)["upper_limit"] > limits_from_table(t, cl=0.90)["upper_limit"]
    )


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [({"method": "foo"}, "unknown limit method"), ({"cl": 1.2}, "confidence level")],
)
def test_bad_options(kwargs, fragment):
    with pytest.raises(ConfigError, match=fragment):
        limits_from_table(_table(), **kwargs)
