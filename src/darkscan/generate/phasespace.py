"""Vectorised relativistic kinematics and phase-space sampling.

Four-vectors are numpy arrays with last axis ``(E, px, py, pz)`` in GeV, computed in float64.
Everything works on whole batches of events at once (no Python loop over events): two-body
decays with a given angular distribution, general Lorentz boosts, RAMBO n-body phase space
for massive particles with its weight, and accept-reject sampling / unweighting.

References
----------
R. Kleiss, W. J. Stirling, S. D. Ellis, "A new Monte Carlo treatment of multiparticle phase
space at high energies", Comput. Phys. Commun. 40 (1986) 359 (RAMBO).
E. Byckling, K. Kajantie, *Particle Kinematics* (Wiley, 1973), ch. II (boosts) and V
(phase space).
R. L. Workman et al. (PDG), PTEP 2022, 083C01, "Kinematics" review, sections on two- and three-body
decays and phase space.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from darkscan._validate import in_range, non_negative, positive
from darkscan.constants import C_CM_PER_NS
from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.lorentz import (
    boost,
    boost_to_rest_frame,
    invariant_mass,
    kallen,
    two_body_momentum,
)

__all__ = [
    "UnweightingResult",
    "boost",
    "boost_to_rest_frame",
    "estimate_max_weight",
    "invariant_mass",
    "kallen",
    "rambo",
    "rambo_unweighted",
    "rotate_from_axis",
    "sample_accept_reject",
    "sample_decay_displacement",
    "sample_one_plus_a_cos2",
    "two_body_decay",
    "two_body_momentum",
    "unweight",
]


def rotate_from_axis(vec, axis) -> np.ndarray:
    """Rotate 3-vectors given in a local frame whose z axis is ``axis`` into the global frame.

    The local x axis is chosen perpendicular to ``axis`` in the plane of ``axis`` and the
    global z axis (global x if ``axis`` is along z), the local y axis completes a
    right-handed triad. Only the polar angle with respect to ``axis`` is meaningful to the
    caller; azimuths are drawn uniformly anyway.

    Parameters
    ----------
    vec : array_like, shape (..., 3)
        Components (along local x, y, z).
    axis : array_like, shape (..., 3)
        Direction of the local z axis (need not be normalised; zero length -> global z).

    Returns
    -------
    numpy.ndarray, shape (..., 3)
    """
    vec = np.asarray(vec, dtype=float)
    axis = np.asarray(axis, dtype=float)
    norm = np.linalg.norm(axis, axis=-1, keepdims=True)
    z_hat = np.where(norm > 0, axis / np.where(norm > 0, norm, 1.0), np.array([0.0, 0.0, 1.0]))
    ref = np.where(
        np.abs(z_hat[..., 2:3]) < 0.9, np.array([0.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0])
    )
    x_hat = np.cross(ref, z_hat)
    x_hat /= np.linalg.norm(x_hat, axis=-1, keepdims=True)
    y_hat = np.cross(z_hat, x_hat)
    return vec[..., 0:1] * x_hat + vec[..., 1:2] * y_hat + vec[..., 2:3] * z_hat


def two_body_decay(parent_p4, m1, m2, rng: np.random.Generator, *, cos_theta=None):
    """Decay parents into two daughters, vectorised over events.

    In the parent rest frame daughter 1 gets momentum p* (:func:`two_body_momentum`) at
    polar angle theta relative to the parent's flight direction (the helicity axis; the
    global z axis for a parent at rest) and a uniform azimuth; daughter 2 recoils. Both are
    then boosted with the parent's velocity.

    Parameters
    ----------
    parent_p4 : array_like, shape (n, 4)
        Parent four-momenta (E, px, py, pz) in GeV.
    m1, m2 : float or array_like (n,)
        Daughter masses in GeV.
    rng : numpy.random.Generator
        Random-number generator.
    cos_theta : array_like (n,), optional
        cos(theta) of daughter 1 in the rest frame w.r.t. the helicity axis (for example from
        :func:`sample_one_plus_a_cos2`). Default: isotropic.

    Returns
    -------
    p1, p2 : numpy.ndarray, shape (n, 4)
        Daughter four-momenta in the frame of ``parent_p4``.
    """
    parent = np.asarray(parent_p4, dtype=float)
    n = parent.shape[0]
    m_parent = invariant_mass(parent)
    p_star = two_body_momentum(m_parent, m1, m2)
    if cos_theta is None:
        cos_theta = rng.uniform(-1.0, 1.0, n)
    cos_theta = in_range("cos_theta", cos_theta, -1.0, 1.0)
    phi = rng.uniform(0.0, 2.0 * math.pi, n)
    sin_theta = np.sqrt(1.0 - np.square(cos_theta))
    local = np.stack([sin_theta * np.cos(phi), sin_theta * np.sin(phi), cos_theta], axis=-1)
    direction = rotate_from_axis(local, parent[:, 1:])
    p3 = p_star[..., None] * direction
    rest1 = np.concatenate([np.sqrt(np.square(p_star) + np.square(m1))[..., None], p3], axis=-1)
    rest2 = np.concatenate([np.sqrt(np.square(p_star) + np.square(m2))[..., None], -p3], axis=-1)
    beta = parent[:, 1:] / parent[:, :1]
    return boost(rest1, beta), boost(rest2, beta)


def sample_accept_reject(
    rng: np.random.Generator,
    n: int,
    propose: Callable[[np.random.Generator, int], tuple[np.ndarray, ...]],
    accept_probability: Callable[..., np.ndarray],
    *,
    max_rounds: int = 1000,
) -> tuple[tuple[np.ndarray, ...], float]:
    """Draw exactly ``n`` samples by accept-reject, in vectorised rounds.

    Each round proposes a batch sized from the acceptance seen so far, keeps each proposal
    with probability ``accept_probability(*proposal)`` (in [0, 1]), and stops when ``n`` are
    kept (the first ``n`` accepted, in proposal order, so the result depends only on the
    random stream).

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Number of samples wanted (> 0).
    propose : callable (rng, m) -> tuple of arrays with first axis m
        Proposal sampler.
    accept_probability : callable (*arrays) -> array (m,)
        Acceptance probability of each proposal (must not exceed 1).
    max_rounds : int
        Give up (ConfigError) after this many rounds.

    Returns
    -------
    samples : tuple of numpy.ndarray
        Accepted proposals, each with first axis ``n``.
    efficiency : float
        Fraction of all proposals drawn that were accepted.
    """
    kept: list[tuple[np.ndarray, ...]] = []
    n_kept = 0
    n_trials = 0
    efficiency = 0.5
    for _ in range(max_rounds):
        m = int(min(max(1.2 * (n - n_kept) / efficiency + 16, 64), 4_000_000))
        proposal = propose(rng, m)
        prob = np.asarray(accept_probability(*proposal), dtype=float)
        if np.any(prob > 1.0 + 1e-9):
            raise ConfigError(
                f"accept-reject envelope too small: acceptance probability {prob.max():g} > 1"
            )
        accept = rng.random(m) < prob
        n_trials += m
        kept.append(tuple(np.asarray(a)[accept] for a in proposal))
        n_kept += int(accept.sum())
        efficiency = max(n_kept / n_trials, 1e-6)
        if n_kept >= n:
            break
    else:
        raise ConfigError(
            f"accept-reject kept {n_kept} of {n} samples after {max_rounds} rounds "
            f"(efficiency {n_kept / max(n_trials, 1):.2g})"
        )
    out = tuple(np.concatenate([k[i] for k in kept])[:n] for i in range(len(kept[0])))
    return out, n_kept / n_trials


def sample_one_plus_a_cos2(
    rng: np.random.Generator, n: int, a: float = 1.0, cos_range=(-1.0, 1.0)
) -> np.ndarray:
    """Draw cos(theta) from the density proportional to 1 + a cos^2(theta) on ``cos_range``.

    Exact accept-reject against a flat envelope (efficiency >= 1/2 for a >= -1/2).

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Number of values.
    a : float
        Coefficient, a >= -1 (a = 1: vector decaying to massless fermions, or e+e- -> f fbar).
    cos_range : (float, float)
        Limits within [-1, 1].

    Returns
    -------
    numpy.ndarray (n,)
    """
    a = in_range("a", a, -1.0, math.inf)
    lo, hi = (in_range("cos_range", c, -1.0, 1.0) for c in cos_range)
    if not lo < hi:
        raise PhysicsDomainError(f"cos_range = ({lo:g}, {hi:g}) must have low < high")
    c2max = max(lo * lo, hi * hi)
    c2min = 0.0 if lo <= 0.0 <= hi else min(lo * lo, hi * hi)
    fmax = 1.0 + max(a * c2max, a * c2min)
    (c,), _ = sample_accept_reject(
        rng,
        n,
        lambda r, m: (r.uniform(lo, hi, m),),
        lambda c: (1.0 + a * c * c) / fmax,
    )
    return c


def _rambo_massless(rng: np.random.Generator, n_events: int, n: int, sqrt_s) -> np.ndarray:
    """RAMBO massless momenta, shape (n_events, n, 4) (Kleiss-Stirling-Ellis, sec. 3)."""
    u = rng.random((n_events, n, 4))
    cos_t = 2.0 * u[..., 0] - 1.0
    sin_t = np.sqrt(1.0 - cos_t * cos_t)
    phi = 2.0 * math.pi * u[..., 1]
    q0 = -np.log(u[..., 2] * u[..., 3] + np.finfo(float).tiny)
    q = np.stack([q0, q0 * sin_t * np.cos(phi), q0 * sin_t * np.sin(phi), q0 * cos_t], axis=-1)
    big_q = q.sum(axis=1)  # (n_events, 4)
    m_q = np.sqrt(big_q[:, 0] ** 2 - np.sum(big_q[:, 1:] ** 2, axis=-1))
    b = -big_q[:, 1:] / m_q[:, None]
    x = np.asarray(sqrt_s, dtype=float) / m_q
    gamma = big_q[:, 0] / m_q
    a = 1.0 / (1.0 + gamma)
    bq = np.einsum("ek,eik->ei", b, q[..., 1:])
    p = np.empty_like(q)
    p[..., 0] = x[:, None] * (gamma[:, None] * q[..., 0] + bq)
    p[..., 1:] = x[:, None, None] * (
        q[..., 1:] + b[:, None, :] * q[..., :1] + (a[:, None] * bq)[..., None] * b[:, None, :]
    )
    return p


def rambo(rng: np.random.Generator, n_events: int, sqrt_s, masses) -> tuple[np.ndarray, np.ndarray]:
    """RAMBO n-body phase space for massive particles in the centre-of-mass frame, with weights.

    Massless momenta are generated uniformly in phase space (RAMBO, Kleiss-Stirling-Ellis
    1986, sec. 3), then rescaled p_i -> xi p_i with E_i = sqrt(m_i^2 + xi^2 |p_i|^2) and xi
    solved by Newton's method from sum_i E_i = sqrt(s) (sec. 4). The weight is the phase
    space density ratio (their sec. 4)

        W = W_0 * (sum|k_i| / sqrt(s))^(2n-3) * prod(|k_i| / E_i) * sqrt(s) / sum(|k_i|^2/E_i),
        W_0 = (pi/2)^(n-1) s^(n-2) / ((n-1)! (n-2)!) * (2 pi)^(4-3n),

    so that the mean weight is the Lorentz-invariant phase-space volume
    Phi_n = int prod_i d^3p_i / ((2 pi)^3 2 E_i) (2 pi)^4 delta^4(P - sum p_i).

    Parameters
    ----------
    rng : numpy.random.Generator
    n_events : int
        Number of events (> 0).
    sqrt_s : float or array_like (n_events,)
        Total energy in GeV.
    masses : sequence of float, length n >= 2
        Particle masses in GeV.

    Returns
    -------
    p4 : numpy.ndarray, shape (n_events, n, 4)
        Momenta (E, px, py, pz) in GeV, summing to (sqrt_s, 0, 0, 0).
    weight : numpy.ndarray, shape (n_events,)
        Phase-space weights in GeV^(2n-4).

    >>> p, w = rambo(np.random.default_rng(1), 3, 10.0, [0.0, 0.0])
    >>> round(float(w[0] * 8 * math.pi), 12)  # two massless bodies: Phi_2 = 1/(8 pi)
    1.0
    """
    if int(n_events) != n_events or n_events <= 0:
        raise ConfigError(f"n_events = {n_events} must be a positive integer")
    masses = np.asarray(non_negative("masses", masses, unit="GeV"), dtype=float).reshape(-1)
    n = masses.size
    if n < 2:
        raise ConfigError(f"rambo needs at least 2 particles, got {n}")
    sqrt_s = np.broadcast_to(np.asarray(positive("sqrt_s", sqrt_s, unit="GeV")), (n_events,))
    if np.any(masses.sum() >= sqrt_s):
        raise PhysicsDomainError(
            f"sum of masses {masses.sum():g} GeV is above the kinematic threshold "
            f"sqrt_s = {float(np.min(sqrt_s)):g} GeV"
        )
    p = _rambo_massless(rng, n_events, n, sqrt_s)
    s = sqrt_s * sqrt_s
    w0 = (
        (math.pi / 2.0) ** (n - 1)
        * s ** (n - 2)
        / (math.factorial(n - 1) * math.factorial(n - 2))
        * (2.0 * math.pi) ** (4 - 3 * n)
    )
    if not np.any(masses > 0):
        return p, np.asarray(w0 * np.ones(n_events), dtype=float)
    e0 = p[..., 0]  # massless energies = |p|
    xi = np.full(n_events, math.sqrt(1.0 - (masses.sum() / sqrt_s.min()) ** 2))
    m2 = masses * masses
    for _ in range(100):
        e = np.sqrt(m2 + (xi[:, None] * e0) ** 2)
        f = e.sum(axis=1) - sqrt_s
        df = np.sum(xi[:, None] * e0 * e0 / e, axis=1)
        step = f / df
        xi = np.clip(xi - step, 1e-300, 1.0)
        if np.max(np.abs(step)) < 1e-15:
            break
    k = xi[:, None] * e0  # |k_i|
    e = np.sqrt(m2 + k * k)
    out = np.empty_like(p)
    out[..., 0] = e
    out[..., 1:] = xi[:, None, None] * p[..., 1:]
    weight = (
        w0
        * (k.sum(axis=1) / sqrt_s) ** (2 * n - 3)
        * np.prod(k / e, axis=1)
        * sqrt_s
        / np.sum(k * k / e, axis=1)
    )
    return out, weight


def estimate_max_weight(pilot_weights, safety: float = 1.2) -> float:
    """Maximum weight for unweighting: ``safety`` times the largest weight of a pilot run.

    Parameters
    ----------
    pilot_weights : array_like
        Weights of a pilot sample (non-negative).
    safety : float
        Safety factor >= 1 against maxima the pilot missed.

    Returns
    -------
    float

    >>> estimate_max_weight([0.5, 2.0, 1.0], safety=1.5)
    3.0
    """
    w = np.asarray(non_negative("pilot_weights", pilot_weights, error=ConfigError), dtype=float)
    safety = in_range("safety", safety, 1.0, math.inf, error=ConfigError)
    if w.size == 0 or w.max() <= 0:
        raise ConfigError("pilot_weights must contain a positive weight to estimate the maximum")
    return float(safety * w.max())


@dataclass(frozen=True)
class UnweightingResult:
    """Outcome of :func:`unweight`.

    Attributes
    ----------
    accepted : numpy.ndarray of int
        Indices of the accepted events.
    residual_weight : numpy.ndarray
        Weight of each accepted event relative to the others: 1, or w / max_weight > 1 for
        overweight events (keeping these makes the unweighted sample unbiased).
    max_weight : float
        Maximum weight used.
    efficiency : float
        Fraction of events accepted.
    expected_efficiency : float
        mean(w) / max_weight.
    n_overweight : int
        Number of events with w > max_weight.
    overweight_fraction : float
        Fraction of the total weight above max_weight, sum(max(w - w_max, 0)) / sum(w).
    """

    accepted: np.ndarray
    residual_weight: np.ndarray
    max_weight: float
    efficiency: float
    expected_efficiency: float
    n_overweight: int
    overweight_fraction: float


def unweight(weights, rng: np.random.Generator, max_weight: float) -> UnweightingResult:
    """Unweight events by accept-reject: keep event i with probability min(1, w_i / max_weight).

    Parameters
    ----------
    weights : array_like (n,)
        Non-negative event weights.
    rng : numpy.random.Generator
    max_weight : float
        Envelope, e.g. from :func:`estimate_max_weight`.

    Returns
    -------
    UnweightingResult
    """
    w = np.asarray(non_negative("weights", weights, error=ConfigError), dtype=float)
    max_weight = positive("max_weight", max_weight, error=ConfigError)
    ratio = w / max_weight
    keep = rng.random(w.shape) < ratio
    idx = np.flatnonzero(keep)
    over = w > max_weight
    total = float(w.sum())
    return UnweightingResult(
        accepted=idx,
        residual_weight=np.maximum(ratio[idx], 1.0),
        max_weight=float(max_weight),
        efficiency=float(idx.size / w.size) if w.size else 0.0,
        expected_efficiency=float(w.mean() / max_weight) if w.size else 0.0,
        n_overweight=int(over.sum()),
        overweight_fraction=float(np.sum(np.clip(w - max_weight, 0, None)) / total)
        if total > 0
        else 0.0,
    )


def sample_decay_displacement(rng: np.random.Generator, p4, ctau) -> tuple[np.ndarray, np.ndarray]:
    """Decay points of moving particles: exponential flight distance along the momentum.

    The flight distance is exponential with mean beta*gamma*c*tau = (|p| / m) c tau (the
    decay law in the lab frame, PDG Kinematics review); the decay happens after the time
    d / (beta c) = d E / (|p| c).

    Parameters
    ----------
    rng : numpy.random.Generator
    p4 : array_like, shape (n, 4)
        Four-momenta (E, px, py, pz) of the decaying particles, GeV (mass > 0).
    ctau : float or array_like (n,)
        Proper decay length c*tau in cm (>= 0; 0 = prompt).

    Returns
    -------
    displacement : numpy.ndarray, shape (n, 3)
        Decay point relative to the production point, cm.
    time : numpy.ndarray (n,)
        Time from production to decay, ns.
    """
    p4 = np.asarray(p4, dtype=float)
    ctau = non_negative("ctau", ctau, unit="cm")
    p = np.linalg.norm(p4[:, 1:], axis=-1)
    m = invariant_mass(p4)
    proper = np.asarray(ctau) * rng.standard_exponential(p4.shape[0])  # c * proper time
    distance = p / m * proper
    time = p4[:, 0] / m * proper / C_CM_PER_NS
    with np.errstate(invalid="ignore", divide="ignore"):
        direction = np.where(p[:, None] > 0, p4[:, 1:] / np.where(p > 0, p, 1.0)[:, None], 0.0)
    return distance[:, None] * direction, time


def rambo_unweighted(
    rng: np.random.Generator,
    n_events: int,
    sqrt_s: float,
    masses,
    *,
    safety: float = 1.5,
    n_pilot: int = 20_000,
) -> tuple[np.ndarray, UnweightingResult]:
    """Unweighted RAMBO events: flat n-body phase space by accept-reject on the weight.

    The maximum weight is ``safety`` times the largest weight of a pilot run of
    ``n_pilot`` events (:func:`estimate_max_weight`); events are then drawn in rounds and
    kept with probability min(1, w / w_max) (:func:`unweight`). Overweight events are kept
    and counted (their residual weight w / w_max > 1 is reported, not applied).

    Parameters
    ----------
    rng : numpy.random.Generator
    n_events : int
        Number of events wanted.
    sqrt_s : float
        Total energy in GeV (scalar).
    masses : sequence of float
        Particle masses in GeV.
    safety : float
        Safety factor on the pilot maximum.
    n_pilot : int
        Size of the pilot run.

    Returns
    -------
    p4 : numpy.ndarray, shape (n_events, n, 4)
        Momenta in the centre-of-mass frame.
    info : UnweightingResult
        Summary over all rounds: ``max_weight``, ``efficiency`` (accepted / drawn),
        ``expected_efficiency``, ``n_overweight`` and ``overweight_fraction``; ``accepted``
        and ``residual_weight`` refer to the returned events (indices 0..n-1).
    """
    _, w_pilot = rambo(rng, n_pilot, sqrt_s, masses)
    w_max = estimate_max_weight(w_pilot, safety)
    kept: list[np.ndarray] = []
    residual: list[np.ndarray] = []
    n_kept = n_drawn = n_over = 0
    sum_w = sum_over = 0.0
    efficiency = max(float(w_pilot.mean()) / w_max, 1e-3)
    while n_kept < n_events:
        m = int(min(1.2 * (n_events - n_kept) / efficiency + 16, 2_000_000))
        p, w = rambo(rng, m, sqrt_s, masses)
        res = unweight(w, rng, w_max)
        kept.append(p[res.accepted])
        residual.append(res.residual_weight)
        n_kept += res.accepted.size
        n_drawn += m
        n_over += res.n_overweight
        sum_w += float(w.sum())
        sum_over += res.overweight_fraction * float(w.sum())
        efficiency = max(n_kept / n_drawn, 1e-3)
    p4 = np.concatenate(kept)[:n_events]
    info = UnweightingResult(
        accepted=np.arange(n_events),
        residual_weight=np.concatenate(residual)[:n_events],
        max_weight=w_max,
        efficiency=n_kept / n_drawn,
        expected_efficiency=sum_w / n_drawn / w_max,
        n_overweight=n_over,
        overweight_fraction=sum_over / sum_w if sum_w > 0 else 0.0,
    )
    return p4, info
