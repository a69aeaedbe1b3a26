"""Tests of Parquet storage of samples: lossless round trip, atomic write, clear errors."""

from __future__ import annotations

import os

import awkward as ak
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from darkscan.errors import InputFileError
from darkscan.generate.event_record import Sample, events_from_flat
from darkscan.io.parquet import read_sample, read_sample_metadata, write_sample


def _sample(n=50, seed=3):
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 6, n)
    total = int(counts.sum())
    cols = {f: rng.normal(size=total) * 3 for f in ("px", "py", "pz", "E", "vx", "vy", "vz", "t")}
    cols["pdg"] = rng.choice([22, 11, -11, 13, 52], total)
    cols["mother"] = rng.integers(-1, 3, total)
    cols["is_final"] = rng.random(total) < 0.8
    ev = events_from_flat(cols, counts, weight=rng.random(n) * 1e-3)
    return Sample(
        ev,
        "e+e- -> gamma A'",
        {"m_aprime": 0.3, "epsilon": 1e-3, "branching_ratios": {"e": 0.4, "mu": 0.6}},
        "darkscan.generate.processes.gamma_aprime",
        {"isr": True, "sqrt_s": 10.573},
        seed={"entropy": 2**100 + 7, "spawn_key": [1, 2]},
        cross_section_fb=123.456,
        cross_section_uncertainty_fb=0.01,
        generator_cuts={"cos_theta_gamma_hard_frame": [-0.95, 0.95]},
        weighted=True,
    )


def test_round_trip_is_exact(tmp_path):
    s = _sample()
    path = write_sample(s, tmp_path / "sub" / "sample.parquet")
    back = read_sample(path)
    assert ak.array_equal(back.events, s.events, dtype_exact=True, check_parameters=True)
    assert back.events.type == s.events.type
    assert back.metadata() == s.metadata()
    assert back.seed["entropy"] == 2**100 + 7  # big integers survive the JSON
    assert read_sample_metadata(path) == s.metadata()
    # float columns are not dictionary-encoded
    meta = pq.ParquetFile(path).metadata
    encodings = {
        meta.row_group(0).column(i).path_in_schema: meta.row_group(0).column(i).encodings
        for i in range(meta.num_columns)
    }
    px = next(v for k, v in encodings.items() if k.endswith("px"))
    assert "PLAIN_DICTIONARY" not in px and "RLE_DICTIONARY" not in px


def test_write_is_atomic_and_leaves_no_temporaries(tmp_path, monkeypatch):
    s = _sample(10)
    target = tmp_path / "s.parquet"
    write_sample(s, target)
    before = target.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pq, "write_table", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        write_sample(_sample(20, seed=9), target)
    assert target.read_bytes() == before  # old file untouched
    assert sorted(os.listdir(tmp_path)) == ["s.parquet"]  # temporary removed


def test_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="does not exist") as err:
        read_sample(tmp_path / "nope.parquet")
    assert "nope.parquet" in str(err.value) and "\n" not in str(err.value)


def test_not_parquet(tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_text("this is not parquet\nsecond line\n")
    with pytest.raises(InputFileError, match="not a valid Parquet file") as err:
        read_sample(bad)
    assert "bad.parquet" in str(err.value) and "\n" not in str(err.value)


def test_truncated_file(tmp_path):
    path = write_sample(_sample(), tmp_path / "t.parquet")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFileError, match=r"t\.parquet") as err:
        read_sample(path)
    assert "\n" not in str(err.value)


def test_parquet_without_darkscan_metadata(tmp_path):
    path = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"x": [1, 2, 3]}), path)
    with pytest.raises(InputFileError, match="no darkscan sample metadata"):
        read_sample(path)


def test_directory_is_not_a_sample(tmp_path):
    with pytest.raises(InputFileError, match="not a regular file"):
        read_sample(tmp_path)


def test_generated_sample_round_trip(tmp_path):
    from darkscan.beams import belle2
    from darkscan.generate.processes.gamma_alp import generate_gamma_alp
    from darkscan.models.alp import AxionLikeParticle

    s = generate_gamma_alp(
        AxionLikeParticle(m_a=0.3, g_agg=1e-3), belle2(), 300, np.random.default_rng(5), isr=True
    )
    back = read_sample(write_sample(s, tmp_path / "alp.parquet"))
    assert ak.array_equal(back.events, s.events, dtype_exact=True)
    assert back.metadata() == s.metadata()
    # the stored generator state (128-bit integers) reproduces the sample
    rng = np.random.default_rng()
    rng.bit_generator.state = back.seed["state"]
    again = generate_gamma_alp(AxionLikeParticle(m_a=0.3, g_agg=1e-3), belle2(), 300, rng, isr=True)
    assert ak.array_equal(again.events, s.events)
