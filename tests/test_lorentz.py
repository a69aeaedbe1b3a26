"""Shared four-vector kinematics: invariance under boosts, Kallen function, two-body momentum."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from darkscan.errors import PhysicsDomainError
from darkscan.lorentz import (
    boost,
    boost_to_rest_frame,
    invariant_mass,
    kallen,
    minkowski_dot,
    two_body_momentum,
)

finite = st.floats(-5.0, 5.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.tuples(finite, finite, finite, finite, finite, finite), st.tuples(finite, finite, finite))
def test_minkowski_product_invariant_under_boosts(p, b):
    a = np.array([10.0 + abs(p[0]), p[1], p[2], p[3]])
    c = np.array([10.0 + abs(p[4]), p[5], p[0], p[1]])
    beta = np.array(b) / (np.linalg.norm(b) + 1.0) * 0.9  # |beta| < 0.9
    before = minkowski_dot(a, c)
    after = minkowski_dot(boost(a, beta), boost(c, beta))
    assert after == pytest.approx(before, rel=1e-10, abs=1e-9)


def test_rest_frame_and_round_trip():
    p = np.array([[5.0, 1.0, -2.0, 3.0]])
    rest = boost_to_rest_frame(p, p)
    np.testing.assert_allclose(rest[0, 1:], 0.0, atol=1e-12)
    assert rest[0, 0] == pytest.approx(invariant_mass(p)[0])
    beta = np.array([0.3, -0.2, 0.5])
    np.testing.assert_allclose(boost(boost(p, beta), -beta), p, atol=1e-12)


def test_kallen_and_two_body_momentum():
    # lambda(M^2, m^2, m^2) = M^2 (M^2 - 4 m^2); p* = sqrt(M^2/4 - m^2) (PDG Kinematics review)
    assert kallen(100.0, 4.0, 4.0) == pytest.approx(100.0 * (100.0 - 16.0))
    assert two_body_momentum(10.0, 2.0, 2.0) == pytest.approx(np.sqrt(25.0 - 4.0))
    # symmetric in its arguments
    assert kallen(3.0, 1.0, 0.5) == pytest.approx(kallen(0.5, 3.0, 1.0))
    with pytest.raises(PhysicsDomainError, match="two-body decay is closed"):
        two_body_momentum(1.0, 0.6, 0.6)
