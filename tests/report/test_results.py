"""Tests of darkscan.report.results (limits.json and manifest.json)."""

import json

import numpy as np
import pytest

from darkscan.errors import ConfigError, InputFileError, PhysicsDomainError
from darkscan.report.results import (
    LIMITS_SCHEMA,
    collect_versions,
    read_limits_json,
    read_manifest,
    write_limits_json,
    write_manifest,
)

META = {
    "search": "zprime_invisible",
    "model": "lmu-ltau",
    "coupling": "g_prime",
    "confidence_level": 0.9,
    "method": "cls-asymptotic",
    "pseudo_data": True,
    "luminosity": 79.7,
}


def _limits(rng):
    med = rng.uniform(1.0, 100.0, 6)
    return {
        "median": med,  # ExpectedLimits alias
        "minus2": 0.5 * med,
        "minus1": 0.7 * med,
        "plus1": 1.4 * med,
        "plus2": 2.0 * med,
        "observed": np.where(np.arange(6) == 3, np.nan, 1.1 * med),
    }


def test_limits_round_trip(tmp_path):
    rng = np.random.default_rng(42)
    masses = np.sort(rng.uniform(0.1, 8.0, 6))
    xs = _limits(rng)
    coupling = {k: 1e-3 * v for k, v in xs.items()}
    path = write_limits_json(tmp_path / "limits.json", masses, xs, coupling, metadata=META)
    back = read_limits_json(path)
    np.testing.assert_array_equal(back.mass, masses)  # JSON floats round-trip exactly (repr)
    np.testing.assert_array_equal(back.cross_section["expected"], xs["median"])
    np.testing.assert_array_equal(back.cross_section["expected_plus2"], xs["plus2"])
    np.testing.assert_array_equal(back.coupling["observed"], coupling["observed"])  # NaN kept
    assert np.isnan(back.cross_section["observed"][3])
    assert back.metadata.luminosity == 79.7 and back.metadata.pseudo_data is True
    assert back.metadata.sqrt_s == 10.58
    doc = json.loads(path.read_text())
    assert doc["schema"] == LIMITS_SCHEMA
    assert doc["units"]["cross_section"] == "fb" and doc["units"]["mass"] == "GeV"
    assert doc["cross_section"]["observed"][3] is None  # NaN written as null (strict JSON)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["limits.json"]


def test_blinded_real_data_refused(tmp_path):
    meta = {**META, "pseudo_data": False}
    with pytest.raises(ConfigError, match="blinded"):
        write_limits_json(
            tmp_path / "l.json", [1.0], {"expected": [1.0], "observed": [2.0]}, metadata=meta
        )
    assert list(tmp_path.iterdir()) == []
    write_limits_json(
        tmp_path / "l.json",
        [1.0],
        {"expected": [1.0], "observed": [2.0]},
        metadata={**meta, "unblinded": True},
    )
    assert read_limits_json(tmp_path / "l.json").metadata.unblinded


def test_bad_limits_input(tmp_path):
    with pytest.raises(PhysicsDomainError, match="masses"):
        write_limits_json(tmp_path / "l.json", [-1.0], {"expected": [1.0]}, metadata=META)
    with pytest.raises(PhysicsDomainError, match="expected"):
        write_limits_json(tmp_path / "l.json", [1.0], {"expected": [-1.0]}, metadata=META)
    with pytest.raises(ConfigError, match="confidence_level"):
        write_limits_json(
            tmp_path / "l.json",
            [1.0],
            {"expected": [1.0]},
            metadata={**META, "confidence_level": 90},
        )
    with pytest.raises(ConfigError, match="2 values"):
        write_limits_json(tmp_path / "l.json", [1.0], {"expected": [1.0, 2.0]}, metadata=META)
    assert list(tmp_path.iterdir()) == []


def test_read_malformed_files(tmp_path):
    path = tmp_path / "limits.json"
    with pytest.raises(InputFileError, match="cannot read"):
        read_limits_json(path)
    path.write_text("{not json")
    with pytest.raises(InputFileError, match="not valid JSON"):
        read_limits_json(path)
    path.write_text(json.dumps({"schema": "other/1"}))
    with pytest.raises(InputFileError, match="schema"):
        read_limits_json(path)
    write_limits_json(path, [1.0, 2.0], {"expected": [1.0, 2.0]}, metadata=META)
    doc = json.loads(path.read_text())
    doc["cross_section"]["expected"] = [1.0]
    path.write_text(json.dumps(doc))
    with pytest.raises(InputFileError, match="1 values but there are 2"):
        read_limits_json(path)
    del doc["metadata"]["luminosity"]
    path.write_text(json.dumps(doc))
    with pytest.raises(InputFileError, match="luminosity"):
        read_limits_json(path)


def test_manifest_round_trip(tmp_path):
    seed_seq = np.random.SeedSequence(20261126)
    children = seed_seq.spawn(3)
    config = {
        "search": "zprime_invisible",
        "masses": np.array([0.5, 1.0]),
        "n_events": np.int64(10**6),
    }
    path = write_manifest(
        tmp_path / "manifest.json",
        config=config,
        seeds={"entropy": seed_seq.entropy, "spawn_keys": [c.spawn_key for c in children]},
        chunks=[0, 1, 2],
        luminosities={"signal": 1.0e4, "mumu": np.float64(79.7)},
    )
    doc = read_manifest(path)
    assert doc["config"]["masses"] == [0.5, 1.0] and doc["config"]["n_events"] == 10**6
    assert doc["seeds"]["entropy"] == 20261126
    assert doc["seeds"]["spawn_keys"] == [[0], [1], [2]]
    assert doc["luminosities"] == {"signal": 1.0e4, "mumu": 79.7}
    assert doc["versions"]["numpy"] == np.__version__
    assert doc["versions"]["darkscan"] == collect_versions(["darkscan"])["darkscan"]


def test_manifest_bad_input(tmp_path):
    with pytest.raises(PhysicsDomainError, match="mumu"):
        write_manifest(tmp_path / "m.json", config={}, seeds=1, luminosities={"mumu": -1.0})
    with pytest.raises(ConfigError, match="not finite"):
        write_manifest(tmp_path / "m.json", config={"x": float("nan")}, seeds=1)
    with pytest.raises(ConfigError, match="cannot write"):
        write_manifest(tmp_path / "m.json", config={"x": object()}, seeds=1)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "m.json").write_text(json.dumps({"schema": "darkscan.manifest/1", "config": {}}))
    with pytest.raises(InputFileError, match="versions"):
        read_manifest(tmp_path / "m.json")
