"""Tests of darkscan.report.hepdata (HEPData submission, validated with hepdata-validator)."""

import os

import numpy as np
import pytest
import yaml
from hepdata_validator.full_submission_validator import FullSubmissionValidator

from darkscan.errors import ConfigError
from darkscan.report.cutflow import CutFlow
from darkscan.report.hepdata import build_submission, write_hepdata

MASSES = np.array([0.5, 1.0, 2.0, 4.0, 8.0])
MED = np.array([10.0, 12.0, 15.0, 30.0, 80.0])
XS = {
    "expected": MED,
    "expected_minus2": 0.5 * MED,
    "expected_minus1": 0.7 * MED,
    "expected_plus1": 1.4 * MED,
    "expected_plus2": 2.0 * MED,
    "observed": 1.1 * MED,
}
CUTFLOW = CutFlow.from_steps(
    {
        "signal": [("all", 200.0, 10000), ("2 muons", 120.0, 6000), ("veto", 30.0, 1500)],
        "mumu": [("all", 4.0e6, 50000), ("2 muons", 3.0e6, 37500), ("veto", 0.0, 0)],
    },
    luminosity=79.7,
)


def _submission():
    return build_submission(
        MASSES,
        XS,
        {k: 1e-3 * v for k, v in XS.items()},
        efficiency=[0.3, 0.25, 0.2, 0.15, 0.1],
        efficiency_unc=[0.01] * 5,
        cutflow=CUTFLOW,
    )


def _valid(directory) -> bool:
    validator = FullSubmissionValidator()
    ok = validator.validate(directory=str(directory))
    if not ok:
        for name in validator.get_messages():
            validator.print_errors(name)
    return ok


def test_submission_validates_and_has_bands(tmp_path):
    cwd = os.getcwd()
    out = write_hepdata(tmp_path / "hepdata", _submission())
    assert os.getcwd() == cwd
    assert _valid(out)
    validator = FullSubmissionValidator()
    assert validator.validate(archive=str(tmp_path / "hepdata.tar.gz"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hepdata", "hepdata.tar.gz"]
    docs = list(yaml.safe_load_all((out / "submission.yaml").read_text()))
    tables = {d["name"]: d for d in docs[1:]}
    assert set(tables) == {
        "Cross-section upper limits",
        "Coupling upper limits",
        "Signal efficiency",
        "Cut flow",
    }
    keywords = {k["name"]: k["values"] for k in tables["Cross-section upper limits"]["keywords"]}
    assert keywords["cmenergies"] == [10.58] and keywords["reactions"] == [
        "E+ E- --> MU+ MU- ZPRIME"
    ]
    data = yaml.safe_load((out / tables["Cross-section upper limits"]["data_file"]).read_text())
    expected = data["dependent_variables"][0]
    first = expected["values"][0]
    assert first["value"] == 10.0
    errors = {e["label"]: e["asymerror"] for e in first["errors"]}
    # band edges as asymmetric errors relative to the median: 0.7*10 - 10, 1.4*10 - 10, ...
    assert errors["1 sigma"] == pytest.approx({"minus": -3.0, "plus": 4.0}, rel=1e-12)
    assert errors["2 sigma"] == pytest.approx({"minus": -5.0, "plus": 10.0}, rel=1e-12)
    observed = data["dependent_variables"][1]
    assert {"name": "Data", "value": "pseudo-data (simulation)"} in observed["qualifiers"]
    cut = yaml.safe_load((out / tables["Cut flow"]["data_file"]).read_text())
    assert [v["value"] for v in cut["independent_variables"][0]["values"]] == [
        "all",
        "2 muons",
        "veto",
    ]
    eff = [v["value"] for v in cut["dependent_variables"][2]["values"]]
    assert eff == pytest.approx([1.0, 0.6, 0.25], rel=1e-12)  # 120/200, 30/120


def test_rewrite_replaces_directory_and_failure_keeps_old(tmp_path):
    out = write_hepdata(tmp_path / "hepdata", _submission())
    (out / "stale.yaml").write_text("old: 1\n")
    write_hepdata(tmp_path / "hepdata", _submission())
    assert not (out / "stale.yaml").exists()  # directory replaced, not merged
    before = sorted(p.name for p in out.iterdir())

    class Broken:
        def create_files(self, outdir, validate=True, remove_old=False):
            os.makedirs(outdir)
            with open(os.path.join(outdir, "submission.yaml"), "w") as fh:
                fh.write("half")
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        write_hepdata(tmp_path / "hepdata", Broken())
    assert sorted(p.name for p in out.iterdir()) == before
    assert _valid(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hepdata", "hepdata.tar.gz"]


def test_bad_input():
    with pytest.raises(ConfigError, match="NaN"):
        build_submission(MASSES, {**XS, "observed": np.where(MASSES > 3, np.nan, MED)})
    with pytest.raises(ConfigError, match="both edges"):
        build_submission(MASSES, {"expected": MED, "expected_minus1": MED})
    with pytest.raises(ConfigError, match="3 values"):
        build_submission(MASSES, {"expected": MED[:3]})
