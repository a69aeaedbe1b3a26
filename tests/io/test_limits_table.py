"""Tests of darkscan.io.limits_table (yields table for `darkscan limits`)."""

import json

import numpy as np
import pytest

from darkscan.errors import InputFileError
from darkscan.io.limits_table import read_limits_table, write_limits_table

GOOD = (
    (
        "mass,n_obs,background,efficiency,luminosity,rel_unc_luminosity,"
        "rel_unc_efficiency_trigger,rel_unc_efficiency_pid,rel_unc_background,comment\n"
    )
    + """0.5,3,1.25,0.21,362.0,0.006,0.01,0.02,0.10,first
1.0,0,0.40,0.30,362.0,0.006,0.015,0.02,0.20,

2.0,12.0,9.5,1.0,362.0,0.006,0.02,0.03,0.05,last
"""
)

HEADER = "mass,n_obs,background,efficiency,luminosity"


def _write(tmp_path, text, name="yields.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_read_good_table(tmp_path):
    table = read_limits_table(_write(tmp_path, GOOD))
    np.testing.assert_allclose(table["mass"], [0.5, 1.0, 2.0])
    assert table["n_obs"].dtype == np.int64
    np.testing.assert_array_equal(table["n_obs"], [3, 0, 12])  # "12.0" is an integer
    np.testing.assert_allclose(table["background"], [1.25, 0.40, 9.5])
    np.testing.assert_allclose(table["efficiency"], [0.21, 0.30, 1.0])
    assert table["rel_unc_efficiency"].shape == (3, 2)
    np.testing.assert_allclose(table["rel_unc_efficiency"][:, 1], [0.02, 0.02, 0.03])
    assert list(table["rel_unc_efficiency_sources"]) == ["trigger", "pid"]
    assert list(table["rel_unc_luminosity_sources"]) == [""]
    assert table["rel_unc_background"].shape == (3, 1)


def test_optional_uncertainties_may_be_absent(tmp_path):
    table = read_limits_table(_write(tmp_path, HEADER + "\n0.1,1,0.5,0.5,10\n"))
    assert table["rel_unc_background"].shape == (1, 0)
    assert table["rel_unc_efficiency_sources"].size == 0


def test_table_feeds_the_bayesian_limit(tmp_path):
    from darkscan.stats.bayesian import bayesian_upper_limit

    t = read_limits_table(_write(tmp_path, GOOD))
    res = bayesian_upper_limit(
        t["n_obs"],
        t["background"],
        t["luminosity"],
        t["efficiency"],
        rel_unc_luminosity=t["rel_unc_luminosity"],
        rel_unc_efficiency=t["rel_unc_efficiency"],
        rel_unc_background=t["rel_unc_background"],
    )
    assert res.upper_limit.shape == (3,)
    assert np.all(res.upper_limit > 0)


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("0.5,-1,1.0,0.2,10", "n_obs"),  # negative count
        ("0.5,2.5,1.0,0.2,10", "n_obs"),  # non-integer count
        ("0.5,2,-0.1,0.2,10", "background"),  # negative background
        ("0.5,2,1.0,0.0,10", "efficiency"),  # efficiency outside (0, 1]
        ("0.5,2,1.0,1.2,10", "efficiency"),
        ("0.5,2,1.0,0.2,abc", "luminosity"),  # unparsable number
        ("0.5,2,1.0,,10", "efficiency"),  # missing value
        ("-0.5,2,1.0,0.2,10", "mass"),
        ("0.5,2,nan,0.2,10", "background"),
    ],
)
def test_bad_row_names_file_row_and_column(tmp_path, row, column):
    path = _write(tmp_path, HEADER + "\n0.1,1,0.5,0.5,10\n" + row + "\n", name="bad_table.csv")
    with pytest.raises(InputFileError) as err:
        read_limits_table(path)
    msg = str(err.value)
    assert "bad_table.csv" in msg
    assert "data row 2 (line 3)" in msg  # second data row, third line of the file
    assert f"column '{column}'" in msg


def test_missing_column_and_bad_header(tmp_path):
    path = _write(tmp_path, "mass,n_obs,background,luminosity\n0.1,1,0.5,10\n")
    with pytest.raises(InputFileError, match="missing required column 'efficiency'"):
        read_limits_table(path)
    path = _write(tmp_path, HEADER + ",rel_unc_lumi\n0.1,1,0.5,0.5,10,0.01\n")
    with pytest.raises(InputFileError, match="rel_unc_lumi"):
        read_limits_table(path)
    path = _write(tmp_path, HEADER + ",rel_unc_background_x\n0.1,1,0.5,0.5,10,-0.1\n")
    with pytest.raises(InputFileError, match="column 'rel_unc_background_x'"):
        read_limits_table(path)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(InputFileError, match=r"nope\.csv"):
        read_limits_table(tmp_path / "nope.csv")
    with pytest.raises(InputFileError, match="empty file"):
        read_limits_table(_write(tmp_path, ""))
    with pytest.raises(InputFileError, match="no data rows"):
        read_limits_table(_write(tmp_path, HEADER + "\n"))


def test_csv_round_trip(tmp_path):
    table = read_limits_table(_write(tmp_path, GOOD))
    out = write_limits_table(tmp_path / "out" / "copy.csv", table)
    again = read_limits_table(out)
    for key, value in table.items():
        np.testing.assert_array_equal(again[key], value)
    assert [p.name for p in out.parent.iterdir()] == ["copy.csv"]  # no temporary left over


def test_json_output_and_atomic_failure(tmp_path):
    path = tmp_path / "limits.json"
    write_limits_table(
        path,
        {"mass": np.array([0.1, 0.2]), "upper_limit": np.array([1.5, 2.5])},
        metadata={"cl": 0.9},
    )
    doc = json.loads(path.read_text())
    assert doc["columns"]["upper_limit"] == [1.5, 2.5]
    assert doc["metadata"] == {"cl": 0.9}
    # A failing write (unequal column lengths) leaves the previous file untouched.
    with pytest.raises(InputFileError, match="different lengths"):
        write_limits_table(path, {"mass": [0.1], "upper_limit": [1.0, 2.0]})
    with pytest.raises(TypeError):  # not JSON serialisable: fails mid-write
        write_limits_table(path, {"mass": np.array([0.1, 0.2])}, metadata={"x": object()})
    assert json.loads(path.read_text())["columns"]["upper_limit"] == [1.5, 2.5]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["limits.json"]
