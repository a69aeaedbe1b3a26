"""Relativistic kinematics of numpy four-vectors, shared by every stage.

Four-vectors are arrays whose last axis is ``(E, px, py, pz)`` in GeV, computed in float64.
Models, generators and the selection all use these functions (models sit upstream of
generation, so the kinematics lives here rather than in :mod:`darkscan.generate`).

References
----------
E. Byckling, K. Kajantie, *Particle Kinematics* (Wiley, 1973), ch. II (boosts) and V
(phase space); R. L. Workman et al. (PDG), PTEP 2022, 083C01, "Kinematics" review.
"""

from __future__ import annotations

import numpy as np

from darkscan._validate import non_negative, positive
from darkscan.errors import PhysicsDomainError

__all__ = [
    "boost",
    "boost_to_rest_frame",
    "invariant_mass",
    "kallen",
    "minkowski_dot",
    "orthonormal_triad",
    "two_body_momentum",
]


def kallen(a, b, c):
    """Källén triangle function lambda(a, b, c) = a^2 + b^2 + c^2 - 2ab - 2ac - 2bc.

    >>> kallen(4.0, 1.0, 1.0)
    0.0
    """
    a, b, c = (np.asarray(x, dtype=float) for x in (a, b, c))
    out = a * a + b * b + c * c - 2.0 * (a * b + a * c + b * c)
    return float(out) if out.ndim == 0 else out


def two_body_momentum(m_parent, m1, m2):
    """Momentum of either daughter in the rest frame of a parent decaying to two bodies.

    p* = sqrt(lambda(M^2, m1^2, m2^2)) / (2M)   (PDG Kinematics review, two-body decays).

    Parameters
    ----------
    m_parent, m1, m2 : float or array_like
        Parent and daughter masses in GeV (broadcast together).

    Returns
    -------
    float or numpy.ndarray
        p* in GeV.

    Raises
    ------
    PhysicsDomainError
        If a mass is negative or ``m1 + m2 > m_parent``.

    >>> round(two_body_momentum(10.0, 0.0, 0.0), 12)
    5.0
    """
    m_parent = positive("m_parent", m_parent, unit="GeV")
    m1 = non_negative("m1", m1, unit="GeV")
    m2 = non_negative("m2", m2, unit="GeV")
    excess = np.asarray(m1) + np.asarray(m2) - np.asarray(m_parent)
    if np.any(excess > 1e-12 * np.asarray(m_parent)):
        raise PhysicsDomainError(
            f"m1 + m2 = {float(np.max(np.asarray(m1) + np.asarray(m2))):g} GeV is above the "
            f"parent mass {float(np.min(m_parent)):g} GeV: two-body decay is closed"
        )
    lam = np.clip(kallen(np.square(m_parent), np.square(m1), np.square(m2)), 0.0, None)
    out = np.sqrt(lam) / (2.0 * np.asarray(m_parent))
    return float(out) if np.ndim(out) == 0 else out


def invariant_mass(p4) -> np.ndarray:
    """Invariant mass sqrt(E^2 - |p|^2) of (..., 4) four-vectors; negative m^2 clipped to 0."""
    p4 = np.asarray(p4, dtype=float)
    m2 = p4[..., 0] ** 2 - np.sum(p4[..., 1:] ** 2, axis=-1)
    return np.sqrt(np.clip(m2, 0.0, None))


def minkowski_dot(a, b) -> np.ndarray:
    """Minkowski product a.b = a0 b0 - a.b of four-vectors (..., 4) (E, px, py, pz)."""
    a = np.asarray(a)
    b = np.asarray(b)
    return (
        a[..., 0] * b[..., 0]
        - a[..., 1] * b[..., 1]
        - a[..., 2] * b[..., 2]
        - a[..., 3] * b[..., 3]
    )


def orthonormal_triad(axis) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Right-handed orthonormal triad (x, y, z) with z along ``axis`` (..., 3).

    x = (r cross z)/|r cross z| with the reference r = e_z, or e_x where the axis is within
    ~26 degrees of e_z (|z_3| >= 0.9), so the cross product never degenerates; y = z cross x.
    Used to rotate vectors given about a local axis (e.g. photons about their emitter).

    >>> x, y, z = orthonormal_triad(np.array([[0.0, 0.0, 2.0], [1.0, 2.0, 2.0]]))
    >>> z[1].round(12).tolist(), bool(np.allclose(np.cross(x, y), z))
    ([0.333333333333, 0.666666666667, 0.666666666667], True)
    >>> bool(np.allclose(np.einsum("ni,ni->n", x, z), 0.0))
    True
    """
    axis = np.asarray(axis, dtype=float)
    z = axis / np.linalg.norm(axis, axis=-1, keepdims=True)
    ref = np.zeros_like(z)
    small = np.abs(z[..., 2]) < 0.9
    ref[..., 2] = small
    ref[..., 0] = ~small
    x = np.cross(ref, z)
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    return x, np.cross(z, x), z


def boost(p4, beta) -> np.ndarray:
    """General Lorentz boost of four-vectors by velocity ``beta``.

    A four-vector given in a frame S' that moves with velocity ``beta`` relative to S is
    returned in S:  E = gamma (E' + beta.p'),  p = p' + [ (gamma-1)/beta^2 (beta.p')
    + gamma E' ] beta, with (gamma-1)/beta^2 written as gamma^2/(1+gamma) so that beta -> 0
    is exact (Byckling-Kajantie ch. II, eq. 2.8; Jackson, *Classical Electrodynamics*,
    3rd ed., eq. 11.19). ``boost(boost(p, b), -b) == p``.

    Parameters
    ----------
    p4 : array_like, shape (..., 4)
        Four-vectors (E, px, py, pz) in GeV in the moving frame.
    beta : array_like, shape (..., 3)
        Velocity of the moving frame (|beta| < 1), broadcast against ``p4[..., 1:]``.

    Returns
    -------
    numpy.ndarray, shape (..., 4)

    >>> boost([1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.6]).round(12).tolist()
    [1.25, 0.0, 0.0, 0.75]
    """
    p4 = np.asarray(p4, dtype=float)
    beta = np.asarray(beta, dtype=float)
    b2 = np.sum(beta * beta, axis=-1)
    if np.any(b2 >= 1.0):
        raise PhysicsDomainError(
            f"|beta| = {float(np.sqrt(np.max(b2))):g} is outside the allowed range [0, 1)"
        )
    gamma = 1.0 / np.sqrt(1.0 - b2)
    e = p4[..., 0]
    p = p4[..., 1:]
    bp = np.sum(beta * p, axis=-1)
    coef = gamma * gamma / (1.0 + gamma) * bp + gamma * e
    out = np.empty(np.broadcast_shapes(p4.shape, (*beta.shape[:-1], 4)))
    out[..., 0] = gamma * (e + bp)
    out[..., 1:] = p + coef[..., None] * beta
    return out


def boost_to_rest_frame(p4, frame_p4) -> np.ndarray:
    """Four-vectors ``p4`` seen in the rest frame of ``frame_p4`` (both (..., 4), GeV)."""
    frame_p4 = np.asarray(frame_p4, dtype=float)
    return boost(p4, -frame_p4[..., 1:] / frame_p4[..., :1])
