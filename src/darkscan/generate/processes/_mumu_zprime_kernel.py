r"""Compiled kernels of the e+e- -> mu+ mu- Z' generator: analytic |M|^2 and phase space.

Analytic spin-summed matrix element
-----------------------------------
For e-(p1) e+(p2) -> gamma* -> mu-(k1) mu+(k2) Z'(q) with the Z' radiated from either muon
(amplitude in :mod:`darkscan.models._mumu_zprime`), the spin-averaged, polarisation-summed

    |M|^2 = 8 (e^2 g' / s)^2 R,

with R an explicit rational function of the invariants

    s = (p1 + p2)^2,  a1 = p1.k1,  a2 = p1.k2,  b1 = p2.k1,  b2 = p2.k2,
    D1 = 2 k1.q + m_Z'^2,  D2 = 2 k2.q + m_Z'^2,

and of m_mu^2, m_Z'^2 and m_e^2 (all masses kept), see :func:`reduced_m2`. It was obtained
at development time from the Dirac traces

    sum |M|^2 = (e^2 g'/s)^2 Tr[(p2 - m_e) g_mu (p1 + m_e) g_nu]
                Tr[(k1 + m) G^{mu rho} (k2 - m) Gbar^{nu sigma}] (-g_{rho sigma}),
    G^{mu rho} = g^rho (k1 + q + m) g^mu / D1 + g^mu (-k2 - q + m) g^rho / D2,

with the electron trace 4 [p1^mu p2^nu + p2^mu p1^nu - g^{mu nu} s/2] inserted as slashed
momenta and the traces of up to eight gamma matrices evaluated by the recursion
Tr(a1 ... an) = sum_j (-1)^j (a1.aj) Tr(... without a1, aj) with exact rational arithmetic
(:func:`_derive_polynomials` at the end of this module, pure Python, no computer algebra;
``python -m darkscan.generate.processes._mumu_zprime_kernel`` prints the monomials, and a
test checks that the compiled functions equal them), after which the dot products were
reduced with momentum conservation (p1.q = s/2 - a1 - a2, p2.q = s/2 - b1 - b2,
k1.k2 = (s - 2 m^2 + m_Z'^2 - D1 - D2)/2, p1.p2 = s/2 - m_e^2). The q q / m_Z'^2 term of the
polarisation sum drops out by current conservation. :func:`reduced_m2_polarised` is the
same trace with -g_{rho sigma} replaced by eps_rho eps_sigma for a real polarisation
vector eps, used for the longitudinal fraction of the Z'. Both are tested against the
explicit Dirac-matrix amplitudes of :mod:`darkscan.models._mumu_zprime` to 1e-10.

Phase space
-----------
e+e- -> Z' + X(mu mu), X -> mu- mu+ (sequential two-body decays, PDG Kinematics review):

* X mass: u = M_max^2 - M_X^2 = 2 sqrt(s) (E_Z' - m_Z') mapped logarithmically above the
  scale 2 sqrt(s) m_Z' (soft Z': d sigma ~ dE/E), with a piecewise-constant density in the
  mapped variable adapted to the maximum weight per bin of a pilot run (which raises the
  unweighting efficiency from 0.55 to ~0.62 at m_Z' = 1 GeV);
* Z' direction in the hard frame: uniform (a 1 + cos^2 theta proposal gives a lower
  unweighting efficiency, 0.43 instead of 0.55 at m_Z' = 1 GeV);
* mu- direction in the X rest frame with respect to the X flight direction: cos theta* from
  the mixture 1/2 [B/(L D1) + B/(L D2)] of the two propagators, which are linear in cos theta*
  (D1,2 = A +- B cos theta*, A = 2 E_mu E_Z'* + m_Z'^2, B = 2 k* q*, L = ln((A + B)/(A - B))),
  so that the collinear Z'-muon peaks are sampled exactly; A - B is computed without
  cancellation, (A - B) = 2 (m^2 E_Z'*^2 + k*^2 m_Z'^2)/(E_mu E_Z'* + k* q*) + m_Z'^2;
* phi* uniform.

References
----------
M. E. Peskin and D. V. Schroeder, *An Introduction to Quantum Field Theory* (1995), sec. 5.1
(trace technology, e+e- -> mu+mu-) and eq. (A.27) (trace theorems).
PDG Review "Kinematics", R. L. Workman et al., PTEP 2022, 083C01, sec. 49.4 (phase space).
W. Altmannshofer, S. Gori, M. Pospelov, I. Yavin, arXiv:1403.1269 (L_mu - L_tau couplings).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from darkscan.constants import ALPHA_EM, C_CM_PER_NS, GEV2_TO_FB, M_E, M_MU

__all__ = [
    "finish_block",
    "longitudinal_fraction",
    "matrix_element_squared",
    "phase_space_block",
    "reduced_m2",
    "reduced_m2_polarised",
    "sample_cos_one_plus_a_cos2",
]

_TWO_PI = 2.0 * math.pi


@njit(cache=True, fastmath=False)
def reduced_m2(s, me2, m2, M2, a1, a2, b1, b2, D1, D2):
    """R of |M|^2 = 8 (e^2 g'/s)^2 R for e+e- -> mu- mu+ Z' (module docstring; generated).

    Parameters are the invariants in GeV^2: s, m_e^2, m_mu^2, m_Z'^2, a1 = p1.k1, a2 = p1.k2,
    b1 = p2.k1, b2 = p2.k2, D1 = 2 k1.q + m_Z'^2, D2 = 2 k2.q + m_Z'^2.

    References
    ----------
    Derived from the Dirac traces in the module docstring (Peskin & Schroeder sec. 5.1).
    """
    r = 0.0
    r += (
        4.0 * M2 * a2 * b2
        - M2 * a2 * s
        - M2 * b2 * s
        - M2 * m2 * s
        - M2 * me2 * s
        + 8.0 * a2 * b2 * m2
        - 2.0 * a2 * m2 * s
        - 2.0 * b2 * m2 * s
        - 2.0 * m2 * m2 * s
        - 2.0 * m2 * me2 * s
    ) / (D1 * D1)
    r += (
        M2 * M2 * s
        - 4.0 * M2 * a1 * b2
        + M2 * a1 * s
        - 4.0 * M2 * a2 * b1
        + M2 * a2 * s
        + M2 * b1 * s
        + M2 * b2 * s
        + 2.0 * M2 * me2 * s
        + M2 * s * s
        - 4.0 * a1 * b1 * s
        - 8.0 * a1 * b2 * m2
        + 2.0 * a1 * m2 * s
        + a1 * s * s
        - 8.0 * a2 * b1 * m2
        - 4.0 * a2 * b2 * s
        + 2.0 * a2 * m2 * s
        + a2 * s * s
        + 2.0 * b1 * m2 * s
        + b1 * s * s
        + 2.0 * b2 * m2 * s
        + b2 * s * s
        - 4.0 * m2 * m2 * s
        - 4.0 * m2 * me2 * s
        + 2.0 * me2 * s * s
    ) / (D1 * D2)
    r += (-M2 * s - a1 * s - b1 * s - 2.0 * m2 * s - 2.0 * me2 * s) / D1
    r += (me2) * D2 / D1
    r += (
        4.0 * M2 * a1 * b1
        - M2 * a1 * s
        - M2 * b1 * s
        - M2 * m2 * s
        - M2 * me2 * s
        + 8.0 * a1 * b1 * m2
        - 2.0 * a1 * m2 * s
        - 2.0 * b1 * m2 * s
        - 2.0 * m2 * m2 * s
        - 2.0 * m2 * me2 * s
    ) / (D2 * D2)
    r += (-M2 * s - a2 * s - b2 * s - 2.0 * m2 * s - 2.0 * me2 * s) / D2
    r += (me2) * D1 / D2
    return r


@njit(cache=True, fastmath=False)
def reduced_m2_polarised(
    s,
    me2,
    m2,
    M2,
    a1,
    a2,
    b1,
    b2,
    D1,
    D2,
    ee,
    ek1,
    ek2,
    ep1,
    ep2,
    eq,
):
    """R_eps of |M(eps)|^2 = 8 (e^2 g'/s)^2 R_eps for a real Z' polarisation vector eps.

    Arguments as :func:`reduced_m2` plus the dot products eps.eps, eps.k1, eps.k2, eps.p1,
    eps.p2, eps.q (GeV^0 to GeV). Any eps + c q gives the same value (current conservation).

    References
    ----------
    As :func:`reduced_m2`, with -g_{rho sigma} replaced by eps_rho eps_sigma.
    """
    r = 0.0
    r += (
        -2.0 * M2 * a2 * b2 * ee
        + (1.0 / 2.0) * M2 * a2 * ee * s
        + (1.0 / 2.0) * M2 * b2 * ee * s
        + (1.0 / 2.0) * M2 * ee * m2 * s
        + (1.0 / 2.0) * M2 * ee * me2 * s
        - 8.0 * a2 * b2 * ek1 * ek1
        - 8.0 * a2 * b2 * ek1 * eq
        + 2.0 * a2 * ek1 * ek1 * s
        + 2.0 * a2 * ek1 * eq * s
        + 2.0 * b2 * ek1 * ek1 * s
        + 2.0 * b2 * ek1 * eq * s
        + 2.0 * ek1 * ek1 * m2 * s
        + 2.0 * ek1 * ek1 * me2 * s
        + 2.0 * ek1 * eq * m2 * s
        + 2.0 * ek1 * eq * me2 * s
    ) / (D1 * D1)
    r += (
        -(1.0 / 2.0) * M2 * M2 * ee * s
        + 2.0 * M2 * a1 * b2 * ee
        - (1.0 / 2.0) * M2 * a1 * ee * s
        + 2.0 * M2 * a2 * b1 * ee
        - (1.0 / 2.0) * M2 * a2 * ee * s
        - (1.0 / 2.0) * M2 * b1 * ee * s
        - (1.0 / 2.0) * M2 * b2 * ee * s
        + M2 * ee * m2 * s
        + M2 * ee * me2 * s
        - (1.0 / 2.0) * M2 * ee * s * s
        - 2.0 * M2 * ek1 * ek1 * me2
        - 4.0 * M2 * ek1 * ek2 * me2
        + 2.0 * M2 * ek1 * ek2 * s
        - M2 * ek1 * ep1 * s
        - M2 * ek1 * ep2 * s
        - 4.0 * M2 * ek1 * eq * me2
        + M2 * ek1 * eq * s
        - 2.0 * M2 * ek2 * ek2 * me2
        - M2 * ek2 * ep1 * s
        - M2 * ek2 * ep2 * s
        - 4.0 * M2 * ek2 * eq * me2
        + M2 * ek2 * eq * s
        + 2.0 * M2 * ep1 * ep2 * s
        - M2 * ep1 * eq * s
        - M2 * ep2 * eq * s
        - 2.0 * M2 * eq * eq * me2
        + M2 * eq * eq * s
        + 2.0 * a1 * b1 * ee * s
        + 2.0 * a1 * b2 * ee * s
        - 8.0 * a1 * b2 * ek1 * ek2
        - 4.0 * a1 * b2 * ek1 * eq
        - 4.0 * a1 * b2 * ek2 * eq
        - 4.0 * a1 * b2 * eq * eq
        - a1 * ee * s * s
        + 2.0 * a1 * ek1 * ek2 * s
        + 2.0 * a1 * ep2 * eq * s
        + 2.0 * a2 * b1 * ee * s
        - 8.0 * a2 * b1 * ek1 * ek2
        - 4.0 * a2 * b1 * ek1 * eq
        - 4.0 * a2 * b1 * ek2 * eq
        - 4.0 * a2 * b1 * eq * eq
        + 2.0 * a2 * b2 * ee * s
        - a2 * ee * s * s
        + 2.0 * a2 * ek1 * ek2 * s
        + 2.0 * a2 * ep2 * eq * s
        - b1 * ee * s * s
        + 2.0 * b1 * ek1 * ek2 * s
        + 2.0 * b1 * ep1 * eq * s
        - b2 * ee * s * s
        + 2.0 * b2 * ek1 * ek2 * s
        + 2.0 * b2 * ep1 * eq * s
        + (1.0 / 2.0) * ee * s**3
        - 4.0 * ek1 * ek2 * m2 * s
        - 4.0 * ek1 * ek2 * me2 * s
        - 2.0 * ek1 * ek2 * s * s
        - 2.0 * ek1 * eq * m2 * s
        - 2.0 * ek1 * eq * me2 * s
        - 2.0 * ek2 * eq * m2 * s
        - 2.0 * ek2 * eq * me2 * s
        - ep1 * eq * s * s
        - ep2 * eq * s * s
        - 2.0 * eq * eq * m2 * s
        - 2.0 * eq * eq * me2 * s
        + eq * eq * s * s
    ) / (D1 * D2)
    r += (
        (1.0 / 2.0) * M2 * ee * s
        + (1.0 / 2.0) * a1 * ee * s
        + (1.0 / 2.0) * a2 * ee * s
        - 4.0 * a2 * ek1 * ep2
        - 2.0 * a2 * ep2 * eq
        + (1.0 / 2.0) * b1 * ee * s
        + (1.0 / 2.0) * b2 * ee * s
        - 4.0 * b2 * ek1 * ep1
        - 2.0 * b2 * ep1 * eq
        - (1.0 / 2.0) * ee * s * s
        + ek1 * ep1 * s
        + ek1 * ep2 * s
        + 2.0 * ek1 * eq * me2
        - ek1 * eq * s
        + 2.0 * ek2 * eq * me2
        + ep1 * eq * s
        + ep2 * eq * s
        + 2.0 * eq * eq * me2
        - eq * eq * s
    ) / D1
    r += (-(1.0 / 2.0) * ee * me2) * D2 / D1
    r += (
        -2.0 * M2 * a1 * b1 * ee
        + (1.0 / 2.0) * M2 * a1 * ee * s
        + (1.0 / 2.0) * M2 * b1 * ee * s
        + (1.0 / 2.0) * M2 * ee * m2 * s
        + (1.0 / 2.0) * M2 * ee * me2 * s
        - 8.0 * a1 * b1 * ek2 * ek2
        - 8.0 * a1 * b1 * ek2 * eq
        + 2.0 * a1 * ek2 * ek2 * s
        + 2.0 * a1 * ek2 * eq * s
        + 2.0 * b1 * ek2 * ek2 * s
        + 2.0 * b1 * ek2 * eq * s
        + 2.0 * ek2 * ek2 * m2 * s
        + 2.0 * ek2 * ek2 * me2 * s
        + 2.0 * ek2 * eq * m2 * s
        + 2.0 * ek2 * eq * me2 * s
    ) / (D2 * D2)
    r += (
        (1.0 / 2.0) * M2 * ee * s
        + (1.0 / 2.0) * a1 * ee * s
        - 4.0 * a1 * ek2 * ep2
        - 2.0 * a1 * ep2 * eq
        + (1.0 / 2.0) * a2 * ee * s
        + (1.0 / 2.0) * b1 * ee * s
        - 4.0 * b1 * ek2 * ep1
        - 2.0 * b1 * ep1 * eq
        + (1.0 / 2.0) * b2 * ee * s
        - (1.0 / 2.0) * ee * s * s
        + 2.0 * ek1 * eq * me2
        + ek2 * ep1 * s
        + ek2 * ep2 * s
        + 2.0 * ek2 * eq * me2
        - ek2 * eq * s
        + ep1 * eq * s
        + ep2 * eq * s
        + 2.0 * eq * eq * me2
        - eq * eq * s
    ) / D2
    r += -ee * me2 + (1.0 / 2.0) * ee * s - 2.0 * ep1 * ep2
    r += (-(1.0 / 2.0) * ee * me2) * D1 / D2
    return r


@njit(cache=True, fastmath=False)
def _reduced_m2_light_like(s, me2, m2, M2, a1, a2, b1, b2, D1, D2, ek1, ek2, ep1, ep2, eq):
    """:func:`reduced_m2_polarised` for a light-like eps (eps.eps = 0), generated likewise."""
    r = 0.0
    r += (
        -8.0 * a2 * b2 * ek1 * ek1
        - 8.0 * a2 * b2 * ek1 * eq
        + 2.0 * a2 * ek1 * ek1 * s
        + 2.0 * a2 * ek1 * eq * s
        + 2.0 * b2 * ek1 * ek1 * s
        + 2.0 * b2 * ek1 * eq * s
        + 2.0 * ek1 * ek1 * m2 * s
        + 2.0 * ek1 * ek1 * me2 * s
        + 2.0 * ek1 * eq * m2 * s
        + 2.0 * ek1 * eq * me2 * s
    ) / (D1 * D1)
    r += (
        -2.0 * M2 * ek1 * ek1 * me2
        - 4.0 * M2 * ek1 * ek2 * me2
        + 2.0 * M2 * ek1 * ek2 * s
        - M2 * ek1 * ep1 * s
        - M2 * ek1 * ep2 * s
        - 4.0 * M2 * ek1 * eq * me2
        + M2 * ek1 * eq * s
        - 2.0 * M2 * ek2 * ek2 * me2
        - M2 * ek2 * ep1 * s
        - M2 * ek2 * ep2 * s
        - 4.0 * M2 * ek2 * eq * me2
        + M2 * ek2 * eq * s
        + 2.0 * M2 * ep1 * ep2 * s
        - M2 * ep1 * eq * s
        - M2 * ep2 * eq * s
        - 2.0 * M2 * eq * eq * me2
        + M2 * eq * eq * s
        - 8.0 * a1 * b2 * ek1 * ek2
        - 4.0 * a1 * b2 * ek1 * eq
        - 4.0 * a1 * b2 * ek2 * eq
        - 4.0 * a1 * b2 * eq * eq
        + 2.0 * a1 * ek1 * ek2 * s
        + 2.0 * a1 * ep2 * eq * s
        - 8.0 * a2 * b1 * ek1 * ek2
        - 4.0 * a2 * b1 * ek1 * eq
        - 4.0 * a2 * b1 * ek2 * eq
        - 4.0 * a2 * b1 * eq * eq
        + 2.0 * a2 * ek1 * ek2 * s
        + 2.0 * a2 * ep2 * eq * s
        + 2.0 * b1 * ek1 * ek2 * s
        + 2.0 * b1 * ep1 * eq * s
        + 2.0 * b2 * ek1 * ek2 * s
        + 2.0 * b2 * ep1 * eq * s
        - 4.0 * ek1 * ek2 * m2 * s
        - 4.0 * ek1 * ek2 * me2 * s
        - 2.0 * ek1 * ek2 * s * s
        - 2.0 * ek1 * eq * m2 * s
        - 2.0 * ek1 * eq * me2 * s
        - 2.0 * ek2 * eq * m2 * s
        - 2.0 * ek2 * eq * me2 * s
        - ep1 * eq * s * s
        - ep2 * eq * s * s
        - 2.0 * eq * eq * m2 * s
        - 2.0 * eq * eq * me2 * s
        + eq * eq * s * s
    ) / (D1 * D2)
    r += (
        -4.0 * a2 * ek1 * ep2
        - 2.0 * a2 * ep2 * eq
        - 4.0 * b2 * ek1 * ep1
        - 2.0 * b2 * ep1 * eq
        + ek1 * ep1 * s
        + ek1 * ep2 * s
        + 2.0 * ek1 * eq * me2
        - ek1 * eq * s
        + 2.0 * ek2 * eq * me2
        + ep1 * eq * s
        + ep2 * eq * s
        + 2.0 * eq * eq * me2
        - eq * eq * s
    ) / D1
    r += (
        -8.0 * a1 * b1 * ek2 * ek2
        - 8.0 * a1 * b1 * ek2 * eq
        + 2.0 * a1 * ek2 * ek2 * s
        + 2.0 * a1 * ek2 * eq * s
        + 2.0 * b1 * ek2 * ek2 * s
        + 2.0 * b1 * ek2 * eq * s
        + 2.0 * ek2 * ek2 * m2 * s
        + 2.0 * ek2 * ek2 * me2 * s
        + 2.0 * ek2 * eq * m2 * s
        + 2.0 * ek2 * eq * me2 * s
    ) / (D2 * D2)
    r += (
        -4.0 * a1 * ek2 * ep2
        - 2.0 * a1 * ep2 * eq
        - 4.0 * b1 * ek2 * ep1
        - 2.0 * b1 * ep1 * eq
        + 2.0 * ek1 * eq * me2
        + ek2 * ep1 * s
        + ek2 * ep2 * s
        + 2.0 * ek2 * eq * me2
        - ek2 * eq * s
        + ep1 * eq * s
        + ep2 * eq * s
        + 2.0 * eq * eq * me2
        - eq * eq * s
    ) / D2
    r += -2.0 * ep1 * ep2
    return r


@njit(cache=True, fastmath=False)
def _dot(a, b):
    return a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3]


@njit(cache=True, fastmath=False)
def _longitudinal_vector(q, out):
    """eps_L - q/m_Z' = -m_Z'/(E + |q|) (1, -q/|q|): light-like, gauge-equivalent to eps_L."""
    qabs = math.sqrt(q[1] * q[1] + q[2] * q[2] + q[3] * q[3])
    mass = math.sqrt(max(q[0] * q[0] - qabs * qabs, 0.0))
    c = -mass / (q[0] + qabs)
    out[0] = c
    for i in range(1, 4):
        out[i] = -c * q[i] / qabs


@njit(cache=True, fastmath=False)
def _m2_and_longitudinal(p1, p2, k1, k2, q, me2, m2, eps):
    """(R, R_L) of one event from its five four-momenta (eps: work array of length 4)."""
    s = _dot(p1, p1) + _dot(p2, p2) + 2.0 * _dot(p1, p2)
    big_m2 = _dot(q, q)
    a1, a2, b1, b2 = _dot(p1, k1), _dot(p1, k2), _dot(p2, k1), _dot(p2, k2)
    d1 = 2.0 * _dot(k1, q) + big_m2
    d2 = 2.0 * _dot(k2, q) + big_m2
    r = reduced_m2(s, me2, m2, big_m2, a1, a2, b1, b2, d1, d2)
    _longitudinal_vector(q, eps)
    r_long = _reduced_m2_light_like(
        s, me2, m2, big_m2, a1, a2, b1, b2, d1, d2,
        _dot(eps, k1), _dot(eps, k2), _dot(eps, p1), _dot(eps, p2), _dot(eps, q),
    )  # fmt: skip
    return s, r, r_long


@njit(cache=True, fastmath=False)
def _m2_loop(p1, p2, k1, k2, q, me2, m2, out_m2, out_fl):
    eps = np.empty(4)
    for i in range(p1.shape[0]):
        s, r, r_long = _m2_and_longitudinal(p1[i], p2[i], k1[i], k2[i], q[i], me2, m2, eps)
        out_m2[i] = r / (s * s)
        out_fl[i] = r_long / r


def _as_momenta(*arrays):
    out = [np.ascontiguousarray(np.atleast_2d(np.asarray(p, dtype=np.float64))) for p in arrays]
    n = out[0].shape[0]
    return [np.ascontiguousarray(np.broadcast_to(p, (n, 4))) for p in out]


def matrix_element_squared(
    p_electron,
    p_positron,
    p_mu_minus,
    p_mu_plus,
    p_zprime,
    *,
    g_prime: float = 1.0,
    m_mu: float = M_MU,
    m_e: float = M_E,
    alpha: float = ALPHA_EM,
) -> np.ndarray:
    """Spin-averaged |M|^2 of e+e- -> gamma* -> mu+ mu- Z' from the analytic trace formula.

    Same quantity as :func:`darkscan.models._mumu_zprime.matrix_element_squared` (the
    readable Dirac-matrix reference), about a thousand times faster.

    Parameters
    ----------
    p_electron, p_positron, p_mu_minus, p_mu_plus, p_zprime : array (N, 4)
        Four-momenta (E, px, py, pz) in GeV; the Z' mass is taken from ``p_zprime``.
    g_prime : float
        Z'-muon vector coupling.
    m_mu, m_e : float
        Muon and electron masses in GeV.
    alpha : float
        Fine-structure constant.

    Returns
    -------
    numpy.ndarray (N,)
        Dimensionless |M|^2.

    References
    ----------
    Module docstring (trace formula); Peskin & Schroeder (1995) sec. 5.1.

    Examples
    --------
    >>> from darkscan.models import _mumu_zprime as ref
    >>> ps = ref.sample_phase_space(10.58, 1.0, np.random.default_rng(1).random((3, 5)))
    >>> moms = [ps[k] for k in ("p_electron", "p_positron", "p_mu_minus", "p_mu_plus",
    ...                         "p_zprime")]
    >>> fast = matrix_element_squared(*moms, g_prime=0.1)
    >>> bool(np.allclose(fast, ref.matrix_element_squared(*moms, g_prime=0.1), rtol=1e-12))
    True
    """
    p1, p2, k1, k2, q = _as_momenta(p_electron, p_positron, p_mu_minus, p_mu_plus, p_zprime)
    out = np.empty(p1.shape[0])
    fl = np.empty(p1.shape[0])
    _m2_loop(p1, p2, k1, k2, q, m_e * m_e, m_mu * m_mu, out, fl)
    e2 = 4.0 * math.pi * alpha
    return 8.0 * (e2 * g_prime) ** 2 * out


def longitudinal_fraction(
    p_electron, p_positron, p_mu_minus, p_mu_plus, p_zprime, *, m_mu: float = M_MU, m_e: float = M_E
) -> np.ndarray:
    """Fraction |M(eps_L)|^2 / sum_pol |M|^2 of longitudinally polarised Z' per event.

    eps_L is the helicity-zero polarisation vector of the Z' in the frame of the given
    momenta (E, px, py, pz in GeV, arrays (N, 4)).

    References
    ----------
    Module docstring; helicity vectors of a massive spin-1 particle, e.g. Peskin & Schroeder
    (1995) sec. 21.1.
    """
    p1, p2, k1, k2, q = _as_momenta(p_electron, p_positron, p_mu_minus, p_mu_plus, p_zprime)
    out = np.empty(p1.shape[0])
    fl = np.empty(p1.shape[0])
    _m2_loop(p1, p2, k1, k2, q, m_e * m_e, m_mu * m_mu, out, fl)
    return fl


@njit(cache=True, fastmath=False)
def _frame(nx, ny, nz):
    """Two unit vectors perpendicular to the unit vector n and to each other."""
    if abs(nz) < 0.9:
        hx, hy, hz = 0.0, 0.0, 1.0
    else:
        hx, hy, hz = 1.0, 0.0, 0.0
    e1x = ny * hz - nz * hy
    e1y = nz * hx - nx * hz
    e1z = nx * hy - ny * hx
    norm = math.sqrt(e1x * e1x + e1y * e1y + e1z * e1z)
    e1x /= norm
    e1y /= norm
    e1z /= norm
    e2x = ny * e1z - nz * e1y
    e2y = nz * e1x - nx * e1z
    e2z = nx * e1y - ny * e1x
    return e1x, e1y, e1z, e2x, e2y, e2z


@njit(cache=True, fastmath=False)
def _boost_into(p, bx, by, bz, out):
    """out = p boosted by velocity (bx, by, bz) (a particle at rest acquires it)."""
    b2 = bx * bx + by * by + bz * bz
    if b2 == 0.0:
        for i in range(4):
            out[i] = p[i]
        return
    gamma = 1.0 / math.sqrt(1.0 - b2)
    bp = bx * p[1] + by * p[2] + bz * p[3]
    coef = gamma * gamma / (1.0 + gamma) * bp + gamma * p[0]
    out[0] = gamma * (p[0] + bp)
    out[1] = p[1] + coef * bx
    out[2] = p[2] + coef * by
    out[3] = p[3] + coef * bz


@njit(cache=True, fastmath=False)
def _cos_in(p, bx, by, bz, lab, lo_cms, hi_cms, lo_lab, hi_lab, d):
    """Is cos(theta) of p (hard frame, boosted by (bx, by, bz)) inside the CM and lab ranges?

    ``d`` is a work array of length 4 (receives the CM four-momentum).
    """
    _boost_into(p, bx, by, bz, d)
    e, px, py, pz = d[0], d[1], d[2], d[3]
    c = pz / math.sqrt(px * px + py * py + pz * pz)
    if c <= lo_cms or c >= hi_cms:
        return False
    if lo_lab <= -1.0 and hi_lab >= 1.0:
        return True
    lx = lab[1, 0] * e + lab[1, 1] * px + lab[1, 2] * py + lab[1, 3] * pz
    ly = lab[2, 0] * e + lab[2, 1] * px + lab[2, 2] * py + lab[2, 3] * pz
    lz = lab[3, 0] * e + lab[3, 1] * px + lab[3, 2] * py + lab[3, 3] * pz
    c = lz / math.sqrt(lx * lx + ly * ly + lz * lz)
    return lo_lab < c < hi_lab


@njit(cache=True, fastmath=False)
def phase_space_block(
    u, sqrt_s, beta, m_z, m_mu, m_e, coupling2, lab, cuts, w_max, weighted,
    out_p, out_w, out_index, start, x0_cdf, bin_max,
):  # fmt: skip
    """Draw a block of e+e- -> mu- mu+ Z' proposals, weight them and accept-reject.

    Parameters
    ----------
    u : array (B, 7)
        Uniform numbers: 5 phase-space coordinates, 1 propagator-branch choice, 1 for
        accept-reject.
    sqrt_s : array (B,) or (1,)
        Energy of the hard collision in GeV (after ISR and beam-energy spread); one value
        for all proposals if of length 1.
    beta : array (B, 3) or (1, 3)
        Velocity of the hard frame in the nominal CM frame (recoil against the ISR photons,
        :func:`darkscan.generate.isr.isr_photons_with_angles`), 0 without ISR.
    m_z, m_mu, m_e : float
        Z', muon and electron masses in GeV.
    coupling2 : float
        (e^2 g')^2 (dimensionless).
    lab : array (4, 4)
        CM -> lab matrix (p_lab = lab @ p_cm).
    cuts : array (4,)
        (cos_min, cos_max) of both muons in the CM frame, then in the lab.
    w_max : float
        Envelope for accept-reject (ignored if ``weighted``).
    weighted : bool
        Keep every proposal with a non-zero weight instead of accept-reject.
    out_p : array (n, 3, 4), output
        Hard-frame momenta of mu-, mu+, Z' of the kept proposals, written from row
        ``start`` on while rows are free (later kept proposals are counted, not stored).
    out_w : array (n,), output
        Their weights: d sigma per unit of the proposal density in fb.
    out_index : array (n,), output
        Their index in the block.
    start : int
        First free row of the outputs.
    x0_cdf : array (K + 1,)
        Cumulative probabilities (0 ... 1) of K equal bins of the first (Z' energy)
        coordinate: a piecewise-constant importance density adapted to the maximum weight
        per bin in a pilot run (``linspace(0, 1, K + 1)``: uniform).
    bin_max : array (K,), updated
        Largest weight per bin of that coordinate, relative to a uniform density in it.

    Returns
    -------
    (int, int, float, float, float, float)
        Number kept (stored or not), number of overweight proposals (weight above ``w_max``, unweighted
        mode), sum of the weights, sum of the squared weights, summed excess
        sum max(w - w_max, 0), and the largest weight.
    """
    m2 = m_mu * m_mu
    big_m2 = m_z * m_z
    me2 = m_e * m_e
    per_event_s = sqrt_s.shape[0] > 1
    n_bins = x0_cdf.shape[0] - 1
    has_cuts = cuts[0] > -1.0 or cuts[1] < 1.0 or cuts[2] > -1.0 or cuts[3] < 1.0
    per_event_beta = beta.shape[0] > 1
    n_kept = 0
    n_over = 0
    sum_w = 0.0
    sum_w2 = 0.0
    excess = 0.0
    largest = 0.0
    k1 = np.empty(4)
    k2 = np.empty(4)
    q = np.empty(4)
    rest = np.empty(4)
    work = np.empty(4)
    for i in range(u.shape[0]):
        rs = sqrt_s[i if per_event_s else 0]
        if rs <= m_z + 2.0 * m_mu:
            continue
        s = rs * rs
        # ---- mass of the mu mu system, log map in the Z' kinetic energy
        m_max2 = (rs - m_z) ** 2
        u_max = m_max2 - 4.0 * m2
        a = max(2.0 * rs * m_z, 1e-12 * u_max)
        log_range = math.log1p(u_max / a)
        # piecewise-constant density of the first coordinate (bin k, probability p_k)
        k = 0
        while k < n_bins - 1 and u[i, 0] >= x0_cdf[k + 1]:
            k += 1
        p_k = x0_cdf[k + 1] - x0_cdf[k]
        x0 = (k + (u[i, 0] - x0_cdf[k]) / p_k) / n_bins
        density_x0 = n_bins * p_k
        uu = a * math.expm1(x0 * log_range)
        jac_u = (uu + a) * log_range
        mx2 = max(m_max2 - uu, 4.0 * m2)
        mx = math.sqrt(mx2)
        lam = (s - (m_z + mx) ** 2) * (s - (m_z - mx) ** 2)
        if lam <= 0.0:
            continue
        p_star = math.sqrt(lam) / (2.0 * rs)
        # ---- Z' direction, uniform (flatter weights than 1 + c^2, measured)
        c = 2.0 * u[i, 1] - 1.0
        g_c = 0.5
        sin_t = math.sqrt(max(1.0 - c * c, 0.0))
        cos_phi = math.cos(_TWO_PI * u[i, 2])
        sin_phi = math.copysign(math.sqrt(max(1.0 - cos_phi * cos_phi, 0.0)), 0.5 - u[i, 2])
        nx, ny, nz = sin_t * cos_phi, sin_t * sin_phi, c
        e_q = math.sqrt(p_star * p_star + big_m2)
        q[0], q[1], q[2], q[3] = e_q, p_star * nx, p_star * ny, p_star * nz
        e_x = rs - e_q
        # ---- X -> mu- mu+ in the X rest frame, axis = X flight direction = -n
        k_star2 = 0.25 * mx2 - m2
        if k_star2 <= 0.0:
            continue
        k_star = math.sqrt(k_star2)
        e_mu = 0.5 * mx
        e_qs = (s - mx2 - big_m2) / (2.0 * mx)
        q_s = math.sqrt(max(e_qs * e_qs - big_m2, 0.0))
        big_b = 2.0 * k_star * q_s
        a_minus_b = (
            2.0 * (m2 * e_qs * e_qs + k_star2 * big_m2) / (e_mu * e_qs + k_star * q_s) + big_m2
        )
        if big_b <= 1e-300 or a_minus_b <= 0.0:
            continue
        log_d = math.log1p(2.0 * big_b / a_minus_b)
        if u[i, 5] < 0.5:  # peak of 1/D1 at cos theta* = -1
            d1 = a_minus_b * math.exp(u[i, 3] * log_d)
            one_plus = (d1 - a_minus_b) / big_b
            one_minus = 2.0 - one_plus
        else:  # peak of 1/D2 at cos theta* = +1
            d2 = a_minus_b * math.exp(u[i, 3] * log_d)
            one_minus = (d2 - a_minus_b) / big_b
            one_plus = 2.0 - one_minus
        cd = one_plus - 1.0 if one_plus < 1.0 else 1.0 - one_minus
        d1 = a_minus_b + big_b * one_plus
        d2 = a_minus_b + big_b * one_minus
        g_d = 0.5 * big_b / log_d * (1.0 / d1 + 1.0 / d2)
        sin_d = math.sqrt(max(one_plus * one_minus, 0.0))
        e1x, e1y, e1z, e2x, e2y, e2z = _frame(-nx, -ny, -nz)
        cp = math.cos(_TWO_PI * u[i, 4])
        sp = math.copysign(math.sqrt(max(1.0 - cp * cp, 0.0)), 0.5 - u[i, 4])
        dx = sin_d * (cp * e1x + sp * e2x) - cd * nx
        dy = sin_d * (cp * e1y + sp * e2y) - cd * ny
        dz = sin_d * (cp * e1z + sp * e2z) - cd * nz
        beta_x = p_star / e_x
        bx, by, bz = -beta_x * nx, -beta_x * ny, -beta_x * nz
        rest[0], rest[1], rest[2], rest[3] = e_mu, k_star * dx, k_star * dy, k_star * dz
        _boost_into(rest, bx, by, bz, k1)
        rest[1], rest[2], rest[3] = -rest[1], -rest[2], -rest[3]
        _boost_into(rest, bx, by, bz, k2)
        # ---- matrix element: invariants with the beams along +-z
        p_beam = math.sqrt(0.25 * s - me2)
        e_beam = 0.5 * rs
        a1 = e_beam * k1[0] - p_beam * k1[3]
        a2 = e_beam * k2[0] - p_beam * k2[3]
        b1 = e_beam * k1[0] + p_beam * k1[3]
        b2 = e_beam * k2[0] + p_beam * k2[3]
        r = reduced_m2(s, me2, m2, big_m2, a1, a2, b1, b2, d1, d2)
        m2_value = 8.0 * coupling2 / (s * s) * r
        flux = 4.0 * math.sqrt((0.5 * s - me2) ** 2 - me2 * me2)
        dphi_prod = p_star / (16.0 * math.pi * math.pi * rs) * _TWO_PI / g_c
        dphi_dec = k_star / (16.0 * math.pi * math.pi * mx) * _TWO_PI / g_d
        w_uniform = GEV2_TO_FB * m2_value / flux * dphi_prod * jac_u / _TWO_PI * dphi_dec
        w = w_uniform / density_x0
        ib = i if per_event_beta else 0
        bxi, byi, bzi = beta[ib, 0], beta[ib, 1], beta[ib, 2]
        if has_cuts and not (
            _cos_in(k1, bxi, byi, bzi, lab, cuts[0], cuts[1], cuts[2], cuts[3], work)
            and _cos_in(k2, bxi, byi, bzi, lab, cuts[0], cuts[1], cuts[2], cuts[3], work)
        ):
            continue
        sum_w += w
        sum_w2 += w * w
        largest = max(largest, w)
        bin_max[k] = max(bin_max[k], w_uniform)
        if weighted:
            keep = w > 0.0
        else:
            keep = u[i, 6] * w_max < w
            if w > w_max:
                n_over += 1
                excess += w - w_max
        if keep:
            row = start + n_kept
            if row < out_p.shape[0]:
                for j in range(4):
                    out_p[row, 0, j] = k1[j]
                    out_p[row, 1, j] = k2[j]
                    out_p[row, 2, j] = q[j]
                out_w[row] = w
                out_index[row] = i
            n_kept += 1
    return n_kept, n_over, sum_w, sum_w2, excess, largest


@njit(cache=True, fastmath=False)
def sample_cos_one_plus_a_cos2(a, x):
    """cos theta in [-1, 1] from the density proportional to 1 + a c^2 (a >= -1) at CDF x.

    Solves c + a c^3 / 3 = (2x - 1)(1 + a/3) in closed form (Cardano for a > 0, the
    trigonometric form for a < 0), followed by one Newton step.
    """
    t = (2.0 * x - 1.0) * (1.0 + a / 3.0)
    if abs(a) < 1e-9:
        return t
    if a > 0.0:
        p = 3.0 / a
        half_q = -1.5 * t / a
        root = math.sqrt(half_q * half_q + p * p * p / 27.0)
        y1 = -half_q + root
        y2 = -half_q - root
        c = math.copysign(abs(y1) ** (1.0 / 3.0), y1) + math.copysign(abs(y2) ** (1.0 / 3.0), y2)
    else:
        b = -a
        arg = min(max(-1.5 * t * math.sqrt(b), -1.0), 1.0)
        c = 2.0 / math.sqrt(b) * math.cos(math.acos(arg) / 3.0 - _TWO_PI / 3.0)
    slope = 1.0 + a * c * c
    if slope > 1e-6:
        c -= (c + a * c * c * c / 3.0 - t) / slope
    return min(max(c, -1.0), 1.0)


@njit(cache=True, fastmath=False)
def finish_block(
    p_hard, beta, m_daughter, u, decay_time, ctau, photons, lab, m_mu, m_e,
    e_out, px_out, py_out, pz_out, vx_out, vy_out, vz_out, t_out, f_long_out,
):  # fmt: skip
    """Decay the Z', boost each event to the CM (ISR) and the lab, fill the record columns.

    The polar angle of the fermion (first daughter) in the Z' rest frame, measured from the
    Z' flight direction in the hard frame (helicity axis), is drawn from
    f_L (1 - beta^2 c^2) + (1 - f_L) (1 + beta^2 c^2 / (2 - beta^2)) (each normalised),
    the distributions of a longitudinally and of a transversely (helicity +-1, equal mix)
    polarised vector decaying through a vector coupling to fermions of velocity beta, with
    f_L the exact longitudinal fraction of the event (:func:`longitudinal_fraction`). The
    off-diagonal spin-density-matrix elements (azimuthal correlations) are neglected.
    The Z' decays after the proper path ``ctau * decay_time`` (lab flight along its momentum).

    Parameters
    ----------
    p_hard : array (n, 3, 4)
        mu-, mu+, Z' in the hard frame (beams along +-z), GeV.
    beta : array (n, 3)
        Velocity of the hard frame in the CM frame (recoil against the ISR photons).
    m_daughter : array (n,)
        Daughter mass per event in GeV.
    u : array (n, 3)
        Uniform numbers (polarisation choice, cos theta*, phi*).
    decay_time : array (n,)
        Standard exponential numbers (proper decay time in units of the lifetime).
    ctau : float
        Proper decay length of the Z' in cm.
    photons : array (n, 2, 4)
        ISR photons in the CM frame (an (n, 0, 4) array without ISR).
    lab : array (4, 4)
        CM -> lab matrix.
    m_mu, m_e : float
        Muon and electron masses in GeV.
    e_out, px_out, py_out, pz_out, vx_out, vy_out, vz_out, t_out : float32 arrays (n, k)
        Output columns (k = 5 + number of photons): lab four-momenta (GeV), production
        vertices (cm) and times (ns).
    f_long_out : array (n,)
        Longitudinal fraction f_L per event.

    References
    ----------
    Vector -> f fbar angular distributions: PDG review "Cross-section formulae for specific
    processes" (e+e- -> f fbar, 1 + cos^2 + (1 - beta^2) sin^2 for a transverse photon);
    decay law: PDG "Kinematics" review.
    """
    eps = np.empty(4)
    p1 = np.zeros(4)
    p2 = np.zeros(4)
    rest = np.empty(4)
    d = np.empty(4)
    cm = np.empty((5, 4))
    me2 = m_e * m_e
    n_photons = photons.shape[1]
    for i in range(p_hard.shape[0]):
        k1 = p_hard[i, 0]
        k2 = p_hard[i, 1]
        q = p_hard[i, 2]
        rs = k1[0] + k2[0] + q[0]
        p_beam = math.sqrt(0.25 * rs * rs - me2)
        p1[0], p1[3] = 0.5 * rs, p_beam
        p2[0], p2[3] = 0.5 * rs, -p_beam
        _, r, r_long = _m2_and_longitudinal(p1, p2, k1, k2, q, me2, m_mu * m_mu, eps)
        f_long = min(max(r_long / r, 0.0), 1.0)
        f_long_out[i] = f_long
        # ---- Z' -> f fbar in the Z' rest frame, axis = Z' direction in the hard frame
        md = m_daughter[i]
        qabs = math.sqrt(q[1] * q[1] + q[2] * q[2] + q[3] * q[3])
        mass = math.sqrt(max(q[0] * q[0] - qabs * qabs, 0.0))
        beta2 = max(1.0 - 4.0 * md * md / (mass * mass), 0.0)
        a = -beta2 if u[i, 0] < f_long else beta2 / (2.0 - beta2)
        c = sample_cos_one_plus_a_cos2(a, u[i, 1])
        s_t = math.sqrt(max(1.0 - c * c, 0.0))
        nx, ny, nz = q[1] / qabs, q[2] / qabs, q[3] / qabs
        e1x, e1y, e1z, e2x, e2y, e2z = _frame(nx, ny, nz)
        phi = _TWO_PI * u[i, 2]
        cp, sp = math.cos(phi), math.sin(phi)
        k_star = 0.5 * mass * math.sqrt(beta2)
        rest[0] = 0.5 * mass
        rest[1] = k_star * (s_t * (cp * e1x + sp * e2x) + c * nx)
        rest[2] = k_star * (s_t * (cp * e1y + sp * e2y) + c * ny)
        rest[3] = k_star * (s_t * (cp * e1z + sp * e2z) + c * nz)
        bx, by, bz = q[1] / q[0], q[2] / q[0], q[3] / q[0]
        _boost_into(rest, bx, by, bz, cm[3])
        rest[1], rest[2], rest[3] = -rest[1], -rest[2], -rest[3]
        _boost_into(rest, bx, by, bz, cm[4])
        for j in range(3):
            for k in range(4):
                cm[j, k] = p_hard[i, j, k]
        # ---- hard frame -> CM (ISR recoil boost) -> lab
        bx_i, by_i, bz_i = beta[i, 0], beta[i, 1], beta[i, 2]
        n_particles = 5 + n_photons
        for j in range(n_particles):
            if j < 5:
                if bx_i != 0.0 or by_i != 0.0 or bz_i != 0.0:
                    _boost_into(cm[j], bx_i, by_i, bz_i, d)
                else:
                    for k in range(4):
                        d[k] = cm[j, k]
            else:
                for k in range(4):
                    d[k] = photons[i, j - 5, k]
            lab_e = lab[0, 0] * d[0] + lab[0, 1] * d[1] + lab[0, 2] * d[2] + lab[0, 3] * d[3]
            lab_x = lab[1, 0] * d[0] + lab[1, 1] * d[1] + lab[1, 2] * d[2] + lab[1, 3] * d[3]
            lab_y = lab[2, 0] * d[0] + lab[2, 1] * d[1] + lab[2, 2] * d[2] + lab[2, 3] * d[3]
            lab_z = lab[3, 0] * d[0] + lab[3, 1] * d[1] + lab[3, 2] * d[2] + lab[3, 3] * d[3]
            e_out[i, j] = lab_e
            px_out[i, j] = lab_x
            py_out[i, j] = lab_y
            pz_out[i, j] = lab_z
            vx_out[i, j] = 0.0
            vy_out[i, j] = 0.0
            vz_out[i, j] = 0.0
            t_out[i, j] = 0.0
            if j == 2:  # Z' decay point from its lab momentum
                proper = ctau * decay_time[i]
                vx_z = lab_x / mass * proper
                vy_z = lab_y / mass * proper
                vz_z = lab_z / mass * proper
                t_z = lab_e / mass * proper / C_CM_PER_NS
        for j in (3, 4):
            vx_out[i, j] = vx_z
            vy_out[i, j] = vy_z
            vz_out[i, j] = vz_z
            t_out[i, j] = t_z


# ---------------------------------------------------------------------------------------
# Development-time derivation of reduced_m2 / reduced_m2_polarised (not used at run time).
# ``python -m darkscan.generate.processes._mumu_zprime_kernel`` prints the generated code.
# Polynomials are dicts {monomial: Fraction}, a monomial a sorted tuple of (symbol, power).
# ---------------------------------------------------------------------------------------
def _poly_mul(a: dict, b: dict) -> dict:
    from collections import Counter

    out: dict = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            powers = Counter(dict(ma))
            powers.update(dict(mb))
            mono = tuple(sorted((s, p) for s, p in powers.items() if p != 0))
            out[mono] = out.get(mono, 0) + ca * cb
    return {m: c for m, c in out.items() if c != 0}


def _poly_add(a: dict, b: dict, scale=1) -> dict:
    out = dict(a)
    for m, c in b.items():
        out[m] = out.get(m, 0) + scale * c
    return {m: c for m, c in out.items() if c != 0}


def _poly(symbol: str | None = None, coefficient=1, power: int = 1) -> dict:
    from fractions import Fraction

    return {((symbol, power),) if symbol else (): Fraction(coefficient)}


def _trace(items: tuple) -> list:
    """Tr of gamma matrices: items ('p', momentum) (slashed) or ('i', index); terms
    (coefficient, factors) with factors ('d', p, q) = p.q, ('v', p, i) = p^i, ('g', i, j)."""
    if len(items) % 2:
        return []
    if not items:
        return [(4, ())]
    first, out = items[0], []
    for j in range(1, len(items)):
        a, b = first, items[j]
        if a[0] == "p" and b[0] == "p":
            factor = ("d", *sorted((a[1], b[1])))
        elif a[0] == "i" and b[0] == "i":
            factor = ("g", *sorted((a[1], b[1])))
        else:
            p, i = (a, b) if a[0] == "p" else (b, a)
            factor = ("v", p[1], i[1])
        for c, fs in _trace(items[1:j] + items[j + 1 :]):
            out.append(((1 if j % 2 else -1) * c, (*fs, factor)))
    return out


def _contract(factors: tuple) -> tuple[int, list[str]]:
    """Contract repeated Lorentz indices; returns (number, dot-product symbols)."""
    fs, number = list(factors), 1
    while True:
        positions: dict = {}
        for k, f in enumerate(fs):
            if f[0] == "g" and f[1] == f[2]:
                positions = {"trace": [k]}
                break
            for idx in (f[2],) if f[0] == "v" else (f[1], f[2]) if f[0] == "g" else ():
                positions.setdefault(idx, []).append(k)
        if "trace" in positions:
            fs.pop(positions["trace"][0])
            number *= 4
            continue
        pair = next(((lab, ks) for lab, ks in positions.items() if len(ks) == 2), None)
        if pair is None:
            break
        lab, (i, j) = pair

        def other(f, lab=lab):
            if f[0] == "v":
                return ("p", f[1])
            return ("i", f[2] if f[1] == lab else f[1])

        (ta, xa), (tb, xb) = other(fs[i]), other(fs[j])
        if ta == "p" and tb == "p":
            new = ("d", *sorted((xa, xb)))
        elif ta == "i" and tb == "i":
            new = ("g", *sorted((xa, xb)))
        else:
            new = ("v", xa, xb) if ta == "p" else ("v", xb, xa)
        fs = [f for k, f in enumerate(fs) if k not in (i, j)] + [new]
    return number, [f"{f[1]}.{f[2]}" for f in fs]


def _trace_sum(parts: list) -> dict:
    """Trace of a product of sums: parts = [[(coefficient poly, items), ...], ...]."""
    import itertools

    total: dict = {}
    for choice in itertools.product(*parts):
        coefficient, items = _poly(), ()
        for c, it in choice:
            coefficient = _poly_mul(coefficient, c)
            items = items + it
        value: dict = {}
        for c, fs in _trace(items):
            number, dots = _contract(fs)
            mono = tuple(sorted((d, dots.count(d)) for d in set(dots)))
            value = _poly_add(value, {mono: c * number})
        total = _poly_add(total, _poly_mul(coefficient, value))
    return total


def _derive_polynomials() -> dict:
    """8 R and 8 R_eps as polynomials in the reduced invariants (see the module docstring)."""
    one = _poly()

    def slot(x):
        return [(one, (("p", x[1:]),) if x.startswith("=") else (("i", x),))]

    k1m = [(one, (("p", "k1"),)), (_poly("m"), ())]
    k2m = [(one, (("p", "k2"),)), (_poly("m", -1), ())]
    s1 = [(one, (("p", "k1"),)), (one, (("p", "q"),)), (_poly("m"), ())]
    s2 = [(_poly(None, -1), (("p", "k2"),)), (_poly(None, -1), (("p", "q"),)), (_poly("m"), ())]
    inv_d1, inv_d2 = _poly("D1", 1, -1), _poly("D2", 1, -1)

    def muon_trace(mu, nu, rho, sig):
        total: dict = {}
        for c1, b1 in ((inv_d1, [slot(rho), s1, slot(mu)]), (inv_d2, [slot(mu), s2, slot(rho)])):
            for c2, b2 in (
                (inv_d1, [slot(nu), s1, slot(sig)]),
                (inv_d2, [slot(sig), s2, slot(nu)]),
            ):
                trace = _trace_sum([k1m, *b1, k2m, *b2])
                total = _poly_add(total, _poly_mul(_poly_mul(c1, c2), trace))
        return total

    from fractions import Fraction

    half = {(): Fraction(1, 2)}

    def lin(*terms):
        out: dict = {}
        for c, sym in terms:
            out = _poly_add(out, {((sym, 1),) if sym else (): Fraction(c)})
        return out

    rules = {
        "k1.k1": _poly("m", 1, 2), "k2.k2": _poly("m", 1, 2), "q.q": _poly("M2"),
        "k1.q": lin((half[()], "D1"), (-half[()], "M2")),
        "k2.q": lin((half[()], "D2"), (-half[()], "M2")),
        "k1.k2": _poly_add(lin((half[()], "s"), (half[()], "M2"), (-half[()], "D1"),
                               (-half[()], "D2")), _poly("m", 1, 2), -1),
        "k1.p1": _poly("a1"), "k2.p1": _poly("a2"), "k1.p2": _poly("b1"), "k2.p2": _poly("b2"),
        "p1.q": lin((half[()], "s"), (-1, "a1"), (-1, "a2")),
        "p2.q": lin((half[()], "s"), (-1, "b1"), (-1, "b2")),
        "p1.p2": lin((half[()], "s"), (-1, "me2")),
    }  # fmt: skip

    def substitute(poly):
        out: dict = {}
        for mono, c in poly.items():
            term = {(): c}
            for sym, power in mono:
                base = rules.get(sym, {((sym, 1),): Fraction(1)})
                for _ in range(power) if sym in rules else ():
                    term = _poly_mul(term, base)
                if sym not in rules:
                    term = _poly_mul(term, {((sym, power),): Fraction(1)})
            out = _poly_add(out, term)
        return out

    result = {}
    for name, (rho, sig, sign) in {"sum": ("r", "r", -1), "polarised": ("=e", "=e", 1)}.items():
        a = muon_trace("=p1", "=p2", rho, sig)
        b = muon_trace("=p2", "=p1", rho, sig)
        c = muon_trace("u", "u", rho, sig)
        total = _poly_add(_poly_add(a, b), _poly_mul(c, {(("s", 1),): Fraction(-1, 2)}))
        result[name] = substitute({m: sign * v for m, v in total.items()})
    return result


def _evaluate_polynomial(poly: dict, values: dict) -> float:
    """Numerical value of a derived polynomial (for tests): values of the symbols."""
    total = 0.0
    for mono, c in poly.items():
        term = float(c)
        for sym, power in mono:
            term *= values[sym] ** power
        total += term
    return total


if __name__ == "__main__":  # pragma: no cover - development tool
    for key, poly in _derive_polynomials().items():
        print(f"# {key}: 8 R as {len(poly)} monomials")
        for mono, c in sorted(poly.items()):
            print(f"{c / 8} * " + " * ".join(f"{s}**{p}" for s, p in mono))
