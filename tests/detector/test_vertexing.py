"""Tests of two-track displaced vertices: window, efficiency, resolution, pairing rules."""

from __future__ import annotations

import numpy as np
import pytest
from _detector_helpers import binomial_sigma

from darkscan.detector.card import load_card
from darkscan.detector.vertexing import reconstruct_vertices, vertex_efficiency

CARD = load_card("belle2").vertexing


def _pairs(n, rxy, charges=(-1, 1)):
    """n events, each with two tracks from mother 0 of that event, decaying at (rxy, 0, 1)."""
    event = np.repeat(np.arange(n), 2)
    local = np.tile([0, 1], n)
    mother = event * 10  # flat index of the mother
    charge = np.tile(charges, n)
    vertex = np.tile(np.array([[rxy], [0.0], [1.0]]), 2 * n)
    return event, local, mother, charge, vertex


def test_efficiency_shape():
    # piecewise linear: plateau 0.8 to 20 cm, then linearly to 0.3 at 60 cm (card)
    r = np.array([0.89, 0.91, 10.0, 20.0, 40.0, 59.99, 60.01])
    expected = [0.0, 0.8, 0.8, 0.8, 0.8 + 0.5 * (0.3 - 0.8), 0.8 + (39.99 / 40) * (0.3 - 0.8), 0.0]
    np.testing.assert_allclose(vertex_efficiency(r, CARD), expected, rtol=1e-12)


@pytest.mark.parametrize("rxy", [5.0, 40.0])
def test_efficiency_and_resolution(rxy):
    n = 20_000
    vtx = reconstruct_vertices(*_pairs(n, rxy), CARD, np.random.default_rng(1))
    eff = float(vertex_efficiency(rxy, CARD))
    assert abs(vtx["x"].size / n - eff) < 4 * binomial_sigma(eff, n)
    sigma = np.hypot(CARD.position_resolution_a, CARD.position_resolution_b * rxy)
    pull = (vtx["x"] - rxy) / sigma
    assert abs(pull.std() - 1) < 4 / np.sqrt(2 * pull.size)
    assert np.all(vtx["track1"] == 0) and np.all(vtx["track2"] == 1)  # negative track first
    assert np.all(vtx["mother"] == vtx["event"] * 10)


@pytest.mark.parametrize("rxy", [0.5, 61.0])
def test_outside_window(rxy):
    vtx = reconstruct_vertices(*_pairs(1000, rxy), CARD, np.random.default_rng(2))
    assert vtx["x"].size == 0


def test_same_charge_and_three_prong_give_no_vertex():
    assert (
        reconstruct_vertices(*_pairs(500, 5.0, (1, 1)), CARD, np.random.default_rng(3))["x"].size
        == 0
    )
    event = np.zeros(3, np.int64)
    vertex = np.tile([[5.0], [0.0], [0.0]], 3)
    vtx = reconstruct_vertices(
        event,
        np.arange(3),
        np.zeros(3, np.int64),
        np.array([-1, 1, 1]),
        vertex,
        CARD,
        np.random.default_rng(4),
    )
    assert vtx["x"].size == 0


def test_positive_first_input_is_reordered():
    vtx = reconstruct_vertices(*_pairs(2000, 5.0, (1, -1)), CARD, np.random.default_rng(5))
    assert vtx["x"].size > 0
    assert np.all(vtx["track1"] == 1) and np.all(vtx["track2"] == 0)
