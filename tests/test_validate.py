import numpy as np
import pytest

from darkscan import _validate as v
from darkscan.errors import ConfigError, PhysicsDomainError


def test_positive_accepts_scalars_and_arrays():
    assert v.positive("mass", 0.5) == 0.5
    np.testing.assert_array_equal(v.positive("mass", [0.1, 0.2]), [0.1, 0.2])


@pytest.mark.parametrize("bad", [-1.0, 0.0, np.nan, np.inf])
def test_positive_rejects_with_one_line_naming_the_value(bad):
    with pytest.raises(PhysicsDomainError) as exc:
        v.positive("m_zprime", bad, unit="GeV")
    msg = str(exc.value)
    assert "m_zprime" in msg
    assert "\n" not in msg


def test_in_range_message_names_range_and_error_class():
    with pytest.raises(
        ConfigError, match=r"efficiency = 1.5 is outside the allowed range \(0, 1\]"
    ):
        v.in_range("efficiency", 1.5, 0.0, 1.0, low_inclusive=False, error=ConfigError)


def test_below_threshold():
    assert v.below_threshold("m_a", 5.0, 10.58, "e+e- -> gamma a") == 5.0
    with pytest.raises(PhysicsDomainError, match=r"kinematic threshold 10\.58 GeV"):
        v.below_threshold("m_a", np.array([1.0, 11.0]), 10.58, "e+e- -> gamma a")
