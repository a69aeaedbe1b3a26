"""Tests of the columnar truth-event record and Sample bookkeeping."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.generate.event_record import (
    PARTICLE_FIELDS,
    Sample,
    check_generator_arguments,
    concatenate_samples,
    events_from_arrays,
    events_from_flat,
    invisible_pdg,
    seed_record,
)


def _columns(rng, n, k):
    cols = {f: rng.normal(size=(n, k)) for f in ("px", "py", "pz", "E", "vx", "vy", "vz", "t")}
    cols["pdg"] = np.tile(np.array([22, 55, 11, -11][:k]), (n, 1))
    cols["mother"] = np.tile(np.array([-1, -1, 1, 1][:k]), (n, 1))
    return cols


def _sample(n, sigma, seed=0):
    rng = np.random.default_rng(seed)
    ev = events_from_arrays(_columns(rng, n, 4), weight=np.full(n, sigma / n))
    return Sample(ev, "ee -> gamma A'", {"m_aprime": 1.0}, "test", {"isr": False}, seed, sigma)


def test_layout_and_dtypes():
    rng = np.random.default_rng(1)
    cols = _columns(rng, 7, 4)
    ev = events_from_arrays(cols, weight=np.arange(7.0))
    assert len(ev) == 7
    assert ak.fields(ev) == ["particles", "weight"]
    assert ak.fields(ev.particles) == list(PARTICLE_FIELDS)
    for name, dtype in PARTICLE_FIELDS.items():
        assert ak.to_numpy(ak.flatten(ev.particles[name])).dtype == np.dtype(dtype), name
    assert ak.to_numpy(ev.weight).dtype == np.float64
    # float32 storage of float64 input: exact to float32 rounding
    np.testing.assert_array_equal(ak.to_numpy(ev.particles.px), cols["px"].astype(np.float32))
    assert ak.to_list(ak.num(ev.particles)) == [4] * 7


def test_defaults_and_invisible_flags():
    ev = events_from_flat(
        {
            "pdg": np.array([22, 12, 52, -52, 11]),
            "px": np.zeros(5),
            "py": np.zeros(5),
            "pz": np.ones(5),
            "E": np.ones(5),
        },
        counts=[2, 3],
        weight=[1.0, 2.0],
    )
    assert ak.to_list(ak.num(ev.particles)) == [2, 3]
    assert ak.to_list(ev.particles.is_invisible) == [[False, True], [True, True, False]]
    assert ak.all(ev.particles.mother == -1)
    assert ak.all(ev.particles.is_final)
    assert ak.all(ev.particles.vz == 0)
    assert "t" not in ak.fields(ev.particles)  # optional field left out
    assert invisible_pdg([14, -16, 51, 53, 57, 13]).tolist() == [True] * 5 + [False]


def test_bad_input_one_line_errors():
    with pytest.raises(ConfigError, match="unknown particle field"):
        events_from_flat(
            {"pdg": [1], "px": [0], "py": [0], "pz": [0], "E": [0], "charge": [1]}, [1], [1.0]
        )
    with pytest.raises(ConfigError, match="required"):
        events_from_flat({"pdg": [1]}, [1], [1.0])
    with pytest.raises(ConfigError, match="shape"):
        events_from_arrays({"pdg": np.zeros((2, 2)), "E": np.zeros((2, 3))}, np.ones(2))
    with pytest.raises(ConfigError, match="cross_section_fb"):
        _sample(3, -1.0)
    with pytest.raises(ConfigError, match="n_events"):
        check_generator_arguments(0, np.random.default_rng(), (-0.9, 0.9), 0.0)
    with pytest.raises(ConfigError, match="rng"):
        check_generator_arguments(10, 42, (-0.9, 0.9), 0.0)
    with pytest.raises(PhysicsDomainError, match="cos_theta_range"):
        check_generator_arguments(10, np.random.default_rng(), (0.5, -0.5), 0.0)
    with pytest.raises(PhysicsDomainError, match="cos_theta_range"):
        check_generator_arguments(10, np.random.default_rng(), (-1.0, 0.5), 0.0)


def test_luminosity_is_n_over_sigma_for_unweighted():
    s = _sample(400, 20.0)
    # analytic: L = N / sigma = 400 / 20 fb = 20 fb^-1
    assert s.luminosity == pytest.approx(20.0, rel=1e-12)
    assert s.n_events == 400
    assert float(np.sum(s.events.weight)) == pytest.approx(20.0, rel=1e-12)
    meta = s.metadata()
    assert meta["n_events"] == 400 and meta["luminosity_fb"] == pytest.approx(20.0, rel=1e-12)
    assert meta["darkscan_version"]


def test_weighted_luminosity_uses_kish_effective_events():
    s = _sample(4, 10.0)
    ev = ak.with_field(s.events, np.array([1.0, 1.0, 4.0, 4.0]), "weight")
    w = Sample(ev, "p", {}, "g", {}, 0, 10.0, weighted=True)
    # Kish n_eff = (sum w)^2 / sum w^2 = 100 / 34
    assert w.effective_n_events == pytest.approx(100.0 / 34.0, rel=1e-12)
    assert w.luminosity == pytest.approx(100.0 / 34.0 / 10.0, rel=1e-12)


def test_concatenate_chunks_reweights_and_combines_sigma():
    a, b = _sample(100, 10.0, seed=1), _sample(300, 14.0, seed=2)
    merged = concatenate_samples([a, b])
    # sigma = (100 * 10 + 300 * 14) / 400 = 13
    assert merged.cross_section_fb == pytest.approx(13.0, rel=1e-12)
    assert merged.n_events == 400
    assert float(np.sum(merged.events.weight)) == pytest.approx(13.0, rel=1e-12)
    # per-event weights 10/400 and 14/400 differ: Kish n_eff = 13^2 / (100 * 0.025^2 + 300
    # * 0.035^2) = 169 / 0.43, L = n_eff / sigma
    assert merged.luminosity == pytest.approx(169.0 / 0.43 / 13.0, rel=1e-12)
    assert merged.seed == [1, 2]
    # particle content is unchanged, in order
    assert ak.array_equal(merged.events.particles[:100], a.events.particles)
    with pytest.raises(ConfigError, match="model_parameters"):
        other = Sample(b.events, b.process, {"m_aprime": 2.0}, "test", {}, 3, 1.0)
        concatenate_samples([a, other])
    with pytest.raises(ConfigError, match="at least one"):
        concatenate_samples([])


def test_metadata_is_plain_json_and_round_trips():
    s = Sample(
        _sample(2, 1.0).events,
        "p",
        {"m": np.float64(1.5), "brs": {"e": np.array(0.5)}},
        "g",
        {"cuts": (-0.9, 0.9)},
        seed=np.int64(7),
        cross_section_fb=np.float64(3.0),
        generator_cuts={"cos": (-0.95, 0.95)},
    )
    assert s.model_parameters == {"m": 1.5, "brs": {"e": 0.5}}
    assert s.generator_cuts == {"cos": [-0.95, 0.95]}
    back = Sample.from_metadata(s.events, s.metadata())
    assert back.metadata() == s.metadata()


def test_seed_record_restores_stream():
    rng = np.random.default_rng(123)
    rec = seed_record(rng)
    first = rng.random(5)
    other = np.random.default_rng(0)
    other.bit_generator.state = rec["state"]
    np.testing.assert_array_equal(other.random(5), first)
    assert rec["entropy"] == 123
