"""Parameter checks shared by all modules.

Each check returns the value as a float or numpy array and raises
:class:`darkscan.errors.PhysicsDomainError` (or a given error class) with a one-line
message naming the parameter, the offending value and the allowed range.
"""

from __future__ import annotations

import math

import numpy as np

from darkscan.errors import PhysicsDomainError


def _describe(value: np.ndarray) -> str:
    flat = np.ravel(value)
    if flat.size == 1:
        return f"{float(flat[0]):g}"
    return f"[{', '.join(f'{v:g}' for v in flat[:4])}{', ...' if flat.size > 4 else ''}]"


def as_finite(name: str, value, *, error=PhysicsDomainError) -> float | np.ndarray:
    """Return ``value`` as a float (scalar input) or float array; reject NaN and infinities."""
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)] if arr.ndim else arr
        raise error(f"{name} must be finite, got {_describe(bad)}")
    return float(arr) if arr.ndim == 0 else arr


def in_range(
    name: str,
    value,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    unit: str = "",
    error=PhysicsDomainError,
) -> float | np.ndarray:
    """Return ``value`` checked to lie in the interval [low, high] (bounds as requested)."""
    out = as_finite(name, value, error=error)
    arr = np.asarray(out)
    ok_low = arr >= low if low_inclusive else arr > low
    ok_high = arr <= high if high_inclusive else arr < high
    ok = ok_low & ok_high
    if not np.all(ok):
        lb = "[" if low_inclusive else "("
        hb = "]" if high_inclusive else ")"
        u = f" {unit}" if unit else ""
        bad = arr[~ok] if arr.ndim else arr
        raise error(
            f"{name} = {_describe(bad)}{u} is outside the allowed range {lb}{low:g}, {high:g}{hb}{u}"
        )
    return out


def positive(name: str, value, *, unit: str = "", error=PhysicsDomainError):
    """Return ``value`` checked to be finite and strictly positive."""
    return in_range(name, value, 0.0, math.inf, low_inclusive=False, unit=unit, error=error)


def non_negative(name: str, value, *, unit: str = "", error=PhysicsDomainError):
    """Return ``value`` checked to be finite and >= 0."""
    return in_range(name, value, 0.0, math.inf, unit=unit, error=error)


def below_threshold(name: str, mass, threshold: float, what: str, *, unit: str = "GeV"):
    """Check a produced mass is kinematically allowed: ``mass < threshold``.

    ``what`` names the process, e.g. ``"e+e- -> gamma A' at sqrt(s) = 10.58 GeV"``.
    """
    arr = np.asarray(mass, dtype=float)
    if np.any(arr >= threshold):
        bad = arr[arr >= threshold] if arr.ndim else arr
        raise PhysicsDomainError(
            f"{name} = {_describe(bad)} {unit} is above the kinematic threshold {threshold:g} {unit} for {what}"
        )
    return mass
