"""The process registry: every entry importable, signal vs Standard-Model arguments, errors."""

import importlib

import awkward as ak
import numpy as np
import pytest

from darkscan.errors import ConfigError
from darkscan.generate.registry import PROCESSES, generate, get_process
from darkscan.models import MODELS


@pytest.mark.parametrize("name", list(PROCESSES))
def test_every_process_resolves_to_a_generator(name):
    process = PROCESSES[name]
    function = getattr(importlib.import_module(process.module), process.function)
    assert callable(function)
    if process.model is not None:
        assert process.model in MODELS


def test_signal_process_builds_its_model():
    # sigma(e+e- -> gamma a) = g^2 alpha / 24 (1 - m^2/s)^3 (Dolan et al. arXiv:1709.00009):
    # 115.25 fb at m = 1 GeV, g = 1e-3 /GeV, sqrt(s) = 10.58 GeV over the full angular range;
    # the generator's default |cos theta*| < 0.95 keeps a fraction of the (1 + cos^2) shape.
    sample = generate("gamma-alp", 500, np.random.default_rng(3), mass=1.0, coupling=1e-3)
    assert sample.n_events == 500
    c = 0.95
    fraction = (c + c**3 / 3) / (1 + 1 / 3)
    assert sample.cross_section_fb == pytest.approx(115.25 * fraction, rel=0.05)


def test_same_seed_same_sample():
    a = generate("gamma-alp", 200, np.random.default_rng(7), mass=0.5)
    b = generate("gamma-alp", 200, np.random.default_rng(7), mass=0.5)
    np.testing.assert_array_equal(
        np.asarray(a.events.particles.E, dtype=object),
        np.asarray(b.events.particles.E, dtype=object),
    )


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"name": "foo", "n_events": 10}, "unknown process 'foo'"),
        ({"name": "gamma-alp", "n_events": 10}, "needs --mass"),
        ({"name": "gamma-alp", "n_events": 0, "mass": 1.0}, "positive integer"),
        ({"name": "mumu-gamma", "n_events": 10, "mass": 1.0}, "Standard-Model process"),
        ({"name": "pythia-mumu", "n_events": 10, "weighted": True}, "does not support"),
    ],
)
def test_bad_requests(kwargs, fragment):
    with pytest.raises(ConfigError, match=fragment):
        generate(rng=np.random.default_rng(0), **kwargs)


def test_get_process():
    assert get_process("mumu-zprime").model == "lmu-ltau"


def test_generate_in_chunks_is_deterministic_and_merges_cross_sections():
    from darkscan.generate.registry import generate_in_chunks

    calls = []
    a = generate_in_chunks("gamma-alp", 250, 11, chunk_size=100, on_chunk=calls.append, mass=1.0)
    b = generate_in_chunks("gamma-alp", 250, 11, chunk_size=100, mass=1.0)
    assert calls == [100, 100, 50]
    assert a.n_events == 250
    assert ak.to_list(a.events.particles.E) == ak.to_list(b.events.particles.E)
    # weights still sum to the (merged) cross section
    assert float(ak.sum(a.events.weight)) == pytest.approx(a.cross_section_fb, rel=1e-12)
    with pytest.raises(ConfigError, match="chunk size"):
        generate_in_chunks("gamma-alp", 10, 1, chunk_size=0, mass=1.0)
