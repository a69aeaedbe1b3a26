"""Reconstruction-level quantities: recoil mass, invariant masses, CM-frame variables.

Four-momenta are numpy arrays of shape ``(..., 4)`` ordered ``(E, px, py, pz)`` in GeV, as
:meth:`darkscan.beams.Collider.to_cms` takes them; CM-frame quantities carry a ``_cms``
suffix (basf2 ``useCMSFrame``). The event-level function :func:`dimuon_variables` reads the
reconstructed-event record of :mod:`darkscan.detector` (plain awkward arrays with the basf2
field names: ``tracks``, ``clusters``, ``trigger``, ``weight``) and returns one flat numpy
array per variable, vectorised over events with awkward (no Python loop over events).

Recoil mass
-----------
For e+e- -> mu+ mu- X the mass of the recoiling system X is

    M_rec^2 = (P_beams - p_mu+ - p_mu-)^2 = s + M_mumu^2 - 2 sqrt(s) (E*_mu+ + E*_mu-),

with ``E*`` the muon energies in the CM frame (the second form is the first evaluated in the
CM frame, where P_beams = (sqrt(s), 0)). Detector resolution makes M_rec^2 negative for
events near M_rec = 0; the signed square root keeps them: M_rec = sqrt(M_rec^2) if
M_rec^2 >= 0 and -sqrt(-M_rec^2) otherwise (Belle II, PRL 124, 141801 (2020)).

References
----------
I. Adachi et al. (Belle II), Phys. Rev. Lett. 124, 141801 (2020), arXiv:1912.11276 (recoil
mass against the dimuon system, signed square root for negative M_rec^2).
I. Adachi et al. (Belle II), arXiv:2212.03066 (the 79.7 fb^-1 update).
PDG Review "Kinematics", R. L. Workman et al., PTEP 2022, 083C01 (invariants, boosts).
"""

from __future__ import annotations

from collections.abc import Mapping

import awkward as ak
import numpy as np

from darkscan._validate import in_range, non_negative, positive
from darkscan.errors import ConfigError

__all__ = [
    "cluster_four_momenta",
    "cms_variables",
    "cos_theta",
    "dimuon_pair",
    "dimuon_variables",
    "extra_energy",
    "invariant_mass",
    "invariant_mass_squared",
    "min_angle_to_direction",
    "momentum",
    "n_pi0_candidates",
    "opening_angle",
    "polar_angle",
    "recoil_four_momentum",
    "recoil_mass",
    "recoil_mass_squared",
    "recoil_mass_squared_cms",
    "signed_sqrt",
    "to_cms",
    "transverse_momentum",
    "transverse_momentum_wrt",
]

#: pi0 candidate window on the di-photon mass in GeV (the pi0 mass 0.135 GeV +- 10 MeV).
PI0_MASS_WINDOW = (0.125, 0.145)


# ---------------------------------------------------------------------------- helpers
def _p4(p4) -> np.ndarray:
    """``p4`` as a float64 array of shape (..., 4); ConfigError otherwise."""
    arr = np.asarray(p4, dtype=np.float64)
    if arr.ndim == 0 or arr.shape[-1] != 4:
        raise ConfigError(
            f"four-momenta must have shape (..., 4) ordered (E, px, py, pz), got shape {arr.shape}"
        )
    return arr


def _minkowski_square(p4: np.ndarray) -> np.ndarray:
    return p4[..., 0] ** 2 - np.sum(p4[..., 1:] ** 2, axis=-1)


def signed_sqrt(x) -> np.ndarray:
    """Signed square root: sqrt(x) for x >= 0, -sqrt(-x) for x < 0.

    The convention Belle II uses to plot a recoil mass whose square is negative through
    resolution (PRL 124, 141801 (2020), arXiv:1912.11276).

    Examples
    --------
    >>> signed_sqrt([4.0, -9.0, 0.0]).tolist()
    [2.0, -3.0, 0.0]
    """
    x = np.asarray(x, dtype=np.float64)
    return np.sign(x) * np.sqrt(np.abs(x))


def momentum(p4) -> np.ndarray:
    """Magnitude |p| of the three-momentum in GeV."""
    p4 = _p4(p4)
    return np.sqrt(np.sum(p4[..., 1:] ** 2, axis=-1))


def transverse_momentum(p4) -> np.ndarray:
    """Transverse momentum sqrt(px^2 + py^2) in GeV (with respect to the z axis of the frame)."""
    p4 = _p4(p4)
    return np.hypot(p4[..., 1], p4[..., 2])


def cos_theta(p4) -> np.ndarray:
    """Cosine of the polar angle pz/|p| (NaN for zero momentum)."""
    p4 = _p4(p4)
    p = momentum(p4)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(p > 0, p4[..., 3] / np.where(p > 0, p, 1.0), np.nan)


def polar_angle(p4) -> np.ndarray:
    """Polar angle theta in rad, in [0, pi], measured from the +z axis of the frame."""
    p4 = _p4(p4)
    return np.arctan2(np.hypot(p4[..., 1], p4[..., 2]), p4[..., 3])


def opening_angle(p4_a, p4_b) -> np.ndarray:
    """Angle in rad between the three-momenta of ``p4_a`` and ``p4_b`` (broadcast).

    Computed as atan2(|a x b|, a.b), accurate also for nearly (anti)parallel vectors.

    Examples
    --------
    >>> round(float(opening_angle([1, 1, 0, 0], [1, 0, 1, 0])), 12) == round(np.pi / 2, 12)
    True
    """
    a = _p4(p4_a)[..., 1:]
    b = _p4(p4_b)[..., 1:]
    cross = np.linalg.norm(np.cross(a, b), axis=-1)
    return np.arctan2(cross, np.sum(a * b, axis=-1))


def transverse_momentum_wrt(p4, axis_p4) -> np.ndarray:
    """Momentum of ``p4`` transverse to the three-momentum of ``axis_p4``: |p| sin(angle)."""
    return momentum(p4) * np.sin(opening_angle(p4, axis_p4))


def invariant_mass_squared(*p4s) -> np.ndarray:
    """Invariant mass squared (sum p)^2 in GeV^2 of one or more four-momenta (broadcast).

    Examples
    --------
    >>> float(invariant_mass_squared([5.0, 0, 0, 3.0], [5.0, 0, 0, -3.0]))
    100.0
    """
    if not p4s:
        raise ConfigError("invariant_mass_squared needs at least one four-momentum")
    total = sum(_p4(p) for p in p4s)
    return _minkowski_square(total)


def invariant_mass(*p4s) -> np.ndarray:
    """Invariant mass in GeV with the signed-sqrt convention (see :func:`signed_sqrt`)."""
    return signed_sqrt(invariant_mass_squared(*p4s))


def to_cms(p4_lab, collider) -> np.ndarray:
    """Lab four-momenta to the CM frame of ``collider`` (:meth:`Collider.to_cms`)."""
    return collider.to_cms(_p4(p4_lab))


# ---------------------------------------------------------------------------- recoil
def recoil_four_momentum(p_mu_plus, p_mu_minus, collider, *, frame: str = "lab") -> np.ndarray:
    """Four-momentum P_beams - p_mu+ - p_mu- of the system recoiling against two tracks.

    Parameters
    ----------
    p_mu_plus, p_mu_minus : array_like, shape (..., 4)
        Lab four-momenta (E, px, py, pz) in GeV.
    collider : darkscan.beams.Collider
        Beam set-up: its lab four-momentum ``p_total`` and its CM transformation.
    frame : {"lab", "cms"}
        Frame of the returned four-momentum.

    Returns
    -------
    numpy.ndarray, shape (..., 4)
        In GeV. In the CM frame this is (sqrt(s) - E*_1 - E*_2, -(p*_1 + p*_2)).

    References
    ----------
    Belle II, PRL 124, 141801 (2020), arXiv:1912.11276.
    """
    rec = np.asarray(collider.p_total, dtype=np.float64) - _p4(p_mu_plus) - _p4(p_mu_minus)
    if frame == "lab":
        return rec
    if frame == "cms":
        return collider.to_cms(rec)
    raise ConfigError(f"frame must be 'lab' or 'cms', got {frame!r}")


def recoil_mass_squared(p_mu_plus, p_mu_minus, collider) -> np.ndarray:
    """Recoil mass squared M_rec^2 = (P_beams - p_mu+ - p_mu-)^2 in GeV^2 from lab momenta.

    Uses the full lab four-momentum of the two beams (crossing angle and electron masses
    included), so that it equals the CM-frame expression of
    :func:`recoil_mass_squared_cms` by Lorentz invariance.

    Parameters
    ----------
    p_mu_plus, p_mu_minus : array_like, shape (..., 4)
        Lab four-momenta (E, px, py, pz) in GeV.
    collider : darkscan.beams.Collider
        Beam set-up (``p_total``).

    Returns
    -------
    numpy.ndarray
        M_rec^2 in GeV^2 (may be negative through resolution).

    References
    ----------
    Belle II, PRL 124, 141801 (2020), arXiv:1912.11276.

    Examples
    --------
    >>> from darkscan.beams import symmetric
    >>> b = symmetric(10.0)
    >>> p = np.sqrt(25.0 - 0.105658**2)
    >>> round(float(recoil_mass_squared([5, 0, 0, p], [5, 0, 0, -p], b)), 9)
    0.0
    """
    rec = recoil_four_momentum(p_mu_plus, p_mu_minus, collider, frame="lab")
    return _minkowski_square(rec)


def recoil_mass_squared_cms(p_mu_plus_cms, p_mu_minus_cms, sqrt_s) -> np.ndarray:
    """M_rec^2 = s + M_mumu^2 - 2 sqrt(s) (E*_1 + E*_2) in GeV^2 from CM four-momenta.

    Parameters
    ----------
    p_mu_plus_cms, p_mu_minus_cms : array_like, shape (..., 4)
        CM-frame four-momenta (E, px, py, pz) in GeV.
    sqrt_s : float
        Centre-of-mass energy in GeV (> 0).

    Returns
    -------
    numpy.ndarray
        M_rec^2 in GeV^2.

    References
    ----------
    Belle II, PRL 124, 141801 (2020), arXiv:1912.11276; (P - p1 - p2)^2 with
    P = (sqrt(s), 0) in the CM frame.

    Examples
    --------
    >>> float(recoil_mass_squared_cms([2.0, 0, 0, 2.0], [2.0, 0, 0, -2.0], 10.0))
    36.0
    """
    sqrt_s = positive("sqrt_s", sqrt_s, unit="GeV")
    p1 = _p4(p_mu_plus_cms)
    p2 = _p4(p_mu_minus_cms)
    m2 = invariant_mass_squared(p1, p2)
    return sqrt_s**2 + m2 - 2.0 * sqrt_s * (p1[..., 0] + p2[..., 0])


def recoil_mass(p_mu_plus, p_mu_minus, collider) -> np.ndarray:
    """Signed recoil mass in GeV: :func:`signed_sqrt` of :func:`recoil_mass_squared`.

    References
    ----------
    Belle II, PRL 124, 141801 (2020), arXiv:1912.11276 (signed-sqrt convention).
    """
    return signed_sqrt(recoil_mass_squared(p_mu_plus, p_mu_minus, collider))


# ---------------------------------------------------------------------------- clusters
def cluster_four_momenta(clusters) -> ak.Array:
    """Massless four-momenta (E, px, py, pz) of ECL clusters from E, theta, phi (lab).

    Parameters
    ----------
    clusters : awkward.Array
        Jagged records with fields ``E``, ``theta``, ``phi``.

    Returns
    -------
    awkward.Array
        Jagged records with fields ``E``, ``px``, ``py``, ``pz`` (float64).
    """
    e = ak.values_astype(clusters.E, np.float64)
    th = ak.values_astype(clusters.theta, np.float64)
    ph = ak.values_astype(clusters.phi, np.float64)
    return ak.zip(
        {
            "E": e,
            "px": e * np.sin(th) * np.cos(ph),
            "py": e * np.sin(th) * np.sin(ph),
            "pz": e * np.cos(th),
        }
    )


def _jagged_to_numpy4(rec: ak.Array) -> tuple[np.ndarray, np.ndarray]:
    """Flatten jagged (E, px, py, pz) records to an (N, 4) array and the counts per event."""
    counts = ak.to_numpy(ak.num(rec, axis=1))
    flat = ak.flatten(rec, axis=1)
    arr = np.stack([ak.to_numpy(flat[f]).astype(np.float64) for f in ("E", "px", "py", "pz")], -1)
    return arr.reshape(-1, 4), counts


def cms_variables(objects, collider) -> ak.Array:
    """CM-frame variables of every track or cluster: ``E_cms``, ``p_cms``, ``pt_cms``,
    ``cosTheta_cms``, ``phi_cms`` (basf2 ``useCMSFrame(E)``, ``useCMSFrame(p)``, ...).

    Parameters
    ----------
    objects : awkward.Array
        Jagged records per event: tracks (fields ``E``, ``px``, ``py``, ``pz``) or clusters
        (``E``, ``theta``, ``phi``; taken massless), lab frame.
    collider : darkscan.beams.Collider
        Gives the lab -> CM transformation.

    Returns
    -------
    awkward.Array
        Jagged records with the same counts; GeV and rad.
    """
    fields = ak.fields(objects)
    if {"px", "py", "pz", "E"} <= set(fields):
        p4 = ak.zip({f: ak.values_astype(objects[f], np.float64) for f in ("E", "px", "py", "pz")})
    elif {"E", "theta", "phi"} <= set(fields):
        p4 = cluster_four_momenta(objects)
    else:
        raise ConfigError(
            "cms_variables needs fields E, px, py, pz (tracks) or E, theta, phi (clusters), "
            f"got {fields}"
        )
    arr, counts = _jagged_to_numpy4(p4)
    cms = collider.to_cms(arr)
    columns = {
        "E_cms": cms[:, 0],
        "p_cms": momentum(cms),
        "pt_cms": transverse_momentum(cms),
        "cosTheta_cms": cos_theta(cms),
        "phi_cms": np.arctan2(cms[:, 2], cms[:, 1]),
    }
    return ak.zip({k: ak.unflatten(v, counts) for k, v in columns.items()})


def extra_energy(clusters, *, min_energy: float = 0.0) -> np.ndarray:
    """Sum of lab energies (GeV) of clusters not matched to a track, per event.

    Parameters
    ----------
    clusters : awkward.Array
        Jagged cluster records with fields ``E`` (GeV) and ``isTrackMatched``.
    min_energy : float
        Only clusters with E > ``min_energy`` (GeV) are summed.

    Returns
    -------
    numpy.ndarray
        One value per event in GeV (0 for no clusters).

    Examples
    --------
    >>> c = ak.Array([[{"E": 0.3, "isTrackMatched": False}, {"E": 1.0, "isTrackMatched": True}],
    ...               []])
    >>> extra_energy(c).tolist()
    [0.3, 0.0]
    """
    min_energy = non_negative("min_energy", min_energy, unit="GeV")
    keep = (~ak.values_astype(clusters.isTrackMatched, bool)) & (clusters.E > min_energy)
    return ak.to_numpy(ak.sum(ak.values_astype(clusters.E[keep], np.float64), axis=1))


def n_pi0_candidates(
    clusters,
    *,
    mass_window: tuple[float, float] = PI0_MASS_WINDOW,
    min_photon_energy: float = 0.0,
) -> np.ndarray:
    """Number of photon pairs with invariant mass inside ``mass_window``, per event.

    Photons are clusters not matched to a track with E > ``min_photon_energy`` (lab); the
    pair mass is m^2 = 2 E1 E2 (1 - cos alpha) for massless photons at opening angle alpha.

    Parameters
    ----------
    clusters : awkward.Array
        Jagged records with ``E``, ``theta``, ``phi``, ``isTrackMatched``.
    mass_window : (float, float)
        Lower and upper di-photon mass in GeV (default 0.125-0.145 GeV).
    min_photon_energy : float
        Photon energy threshold in GeV.

    Returns
    -------
    numpy.ndarray of int
        Candidate count per event.
    """
    lo, hi = (float(x) for x in mass_window)
    in_range("pi0 mass_window low", lo, 0.0, unit="GeV", error=ConfigError)
    in_range("pi0 mass_window high", hi, lo, low_inclusive=False, unit="GeV", error=ConfigError)
    min_photon_energy = non_negative("min_photon_energy", min_photon_energy, unit="GeV")
    keep = (~ak.values_astype(clusters.isTrackMatched, bool)) & (clusters.E > min_photon_energy)
    photons = cluster_four_momenta(clusters[keep])
    a, b = ak.unzip(ak.combinations(photons, 2, axis=1))
    m2 = (a.E + b.E) ** 2 - (a.px + b.px) ** 2 - (a.py + b.py) ** 2 - (a.pz + b.pz) ** 2
    m = np.sqrt(np.maximum(m2, 0.0))
    return ak.to_numpy(ak.sum((m > lo) & (m < hi), axis=1)).astype(np.int64)


def min_angle_to_direction(clusters, direction_p4, *, min_energy: float = 0.0, collider=None):
    """Smallest angle (rad) between any unmatched cluster and a direction, per event.

    Parameters
    ----------
    clusters : awkward.Array
        Jagged records with ``E``, ``theta``, ``phi``, ``isTrackMatched`` (lab frame).
    direction_p4 : array_like, shape (n_events, 4)
        The direction per event as a four-momentum (e.g. the recoil); only its
        three-momentum is used. NaN entries give NaN.
    min_energy : float
        Only clusters with lab E > ``min_energy`` (GeV) are considered.
    collider : darkscan.beams.Collider, optional
        If given, the clusters are boosted to the CM frame first, and ``direction_p4`` must
        be a CM-frame four-momentum.

    Returns
    -------
    numpy.ndarray
        Angle in rad; +inf for events with no such cluster.
    """
    min_energy = non_negative("min_energy", min_energy, unit="GeV")
    keep = (~ak.values_astype(clusters.isTrackMatched, bool)) & (clusters.E > min_energy)
    arr, counts = _jagged_to_numpy4(cluster_four_momenta(clusters[keep]))
    if collider is not None:
        arr = collider.to_cms(arr)
    direction = _p4(direction_p4)
    per_cluster = np.repeat(direction, counts, axis=0)
    angles = opening_angle(arr, per_cluster)
    jag = ak.unflatten(angles, counts)
    out = ak.to_numpy(ak.fill_none(ak.min(jag, axis=1), np.inf)).astype(np.float64)
    return np.where(np.all(np.isfinite(direction[..., 1:]), axis=-1), out, np.nan)


# ---------------------------------------------------------------------------- events
def _good_tracks(tracks, d0_max: float, z0_max: float):
    return tracks[(abs(tracks.d0) < d0_max) & (abs(tracks.z0) < z0_max)]


def dimuon_pair(tracks) -> dict[str, np.ndarray]:
    """The two tracks of each event as (mu+, mu-) lab four-momenta, for a two-track selection.

    The first two tracks of each event are taken; the positive one is returned as mu+ (if
    both have the same charge, the first is 'mu+'). Events with fewer than two tracks get NaN
    four-momenta.

    Parameters
    ----------
    tracks : awkward.Array
        Jagged track records with ``E``, ``px``, ``py``, ``pz``, ``charge``, ``muonID``.

    Returns
    -------
    dict
        ``p_mu_plus``, ``p_mu_minus`` (n, 4) arrays in GeV; ``charge_product`` (NaN if fewer
        than two tracks); ``muon_id_plus``, ``muon_id_minus``.
    """
    padded = ak.pad_none(tracks, 2, axis=1, clip=True)
    t0, t1 = padded[:, 0], padded[:, 1]

    def col(t, f):
        return ak.to_numpy(ak.fill_none(ak.values_astype(t[f], np.float64), np.nan))

    p0 = np.stack([col(t0, f) for f in ("E", "px", "py", "pz")], axis=-1)
    p1 = np.stack([col(t1, f) for f in ("E", "px", "py", "pz")], axis=-1)
    q0, q1 = col(t0, "charge"), col(t1, "charge")
    first_is_plus = ~(q1 > q0)
    sel = first_is_plus[:, None]
    return {
        "p_mu_plus": np.where(sel, p0, p1),
        "p_mu_minus": np.where(sel, p1, p0),
        "charge_product": q0 * q1,
        "muon_id_plus": np.where(first_is_plus, col(t0, "muonID"), col(t1, "muonID")),
        "muon_id_minus": np.where(first_is_plus, col(t1, "muonID"), col(t0, "muonID")),
    }


#: Parameters of :func:`dimuon_variables` and their defaults.
DIMUON_VARIABLE_DEFAULTS: dict[str, object] = {
    # track quality: |d0| < 2 cm and |z0| < 5 cm, as the basf2 skim
    # DimuonPlusMissingEnergy (skim/scripts/skim/WGs/dark.py: abs(dr) < 2, abs(dz) < 5)
    "track_d0_max": 2.0,
    "track_z0_max": 5.0,
    # photon (cluster) energy threshold in GeV for E_extra, the pi0 count and the veto
    "extra_energy_cluster_min": 0.0,
    "pi0_photon_energy_min": 0.05,
    "pi0_mass_window": PI0_MASS_WINDOW,
    "veto_cluster_energy_min": 0.1,
    # frame in which the cluster-to-recoil angle is measured
    "veto_frame": "lab",
}


def dimuon_variables(events, collider, config: Mapping | None = None) -> dict[str, np.ndarray]:
    """All per-event variables of the e+e- -> mu+ mu- + invisible selection.

    Parameters
    ----------
    events : awkward.Array
        Reconstructed events with ``tracks`` (E, px, py, pz, charge, d0, z0, muonID, ...),
        ``clusters`` (E, theta, phi, isTrackMatched), ``trigger`` (bool fields) and
        ``weight`` (fb); all lab frame. Optional ``run`` and ``event`` numbers are copied.
    collider : darkscan.beams.Collider
        Beam set-up (beam four-momentum, CM transformation).
    config : mapping, optional
        Overrides of :data:`DIMUON_VARIABLE_DEFAULTS` (unknown keys raise ConfigError).

    Returns
    -------
    dict of numpy.ndarray
        One array per variable, one entry per event (angles in rad, energies and momenta
        in GeV, masses in GeV, squared masses in GeV^2). The muon pair is made of the first
        two good tracks (|d0|, |z0| cuts); events without two good tracks get NaN
        kinematics. Names: ``n_tracks``, ``n_tracks_all``, ``charge_product``,
        ``muon_id_min``, ``theta_mu_plus``, ``theta_mu_minus``, ``p_mu_plus_cms``,
        ``p_mu_minus_cms``, ``m_mumu``, ``pt_mumu``, ``pt_mumu_cms``,
        ``recoil_mass_squared``, ``recoil_mass``, ``recoil_theta``, ``recoil_theta_cms``,
        ``recoil_cos_theta``, ``recoil_cos_theta_cms``, ``recoil_p_cms``,
        ``opening_angle``, ``opening_angle_cms``, ``muon_pt_wrt_recoil_cms_max``,
        ``muon_pt_wrt_recoil_cms_min``, ``extra_energy``, ``n_pi0``,
        ``min_cluster_recoil_angle``, ``trigger_<line>`` for every trigger field, ``weight``,
        and ``run``/``event`` when present.

    References
    ----------
    Belle II, PRL 124, 141801 (2020), arXiv:1912.11276;
    arXiv:2212.03066 (the variables of the mu mu + invisible search).
    """
    cfg = dict(DIMUON_VARIABLE_DEFAULTS)
    if config:
        unknown = set(config) - set(cfg)
        if unknown:
            raise ConfigError(
                f"unknown dimuon_variables parameter(s) {sorted(unknown)}; allowed: {sorted(cfg)}"
            )
        cfg.update(config)
    if cfg["veto_frame"] not in ("lab", "cms"):
        raise ConfigError(f"veto_frame must be 'lab' or 'cms', got {cfg['veto_frame']!r}")
    d0_max = positive("track_d0_max", cfg["track_d0_max"], unit="cm")
    z0_max = positive("track_z0_max", cfg["track_z0_max"], unit="cm")

    good = _good_tracks(events.tracks, d0_max, z0_max)
    pair = dimuon_pair(good)
    p1, p2 = pair["p_mu_plus"], pair["p_mu_minus"]
    p1c, p2c = collider.to_cms(p1), collider.to_cms(p2)
    rec_lab = recoil_four_momentum(p1, p2, collider, frame="lab")
    rec_cms = collider.to_cms(rec_lab)
    mumu = p1 + p2
    mumu_cms = p1c + p2c
    m_rec2 = _minkowski_square(rec_lab)

    out: dict[str, np.ndarray] = {
        "n_tracks": ak.to_numpy(ak.num(good, axis=1)).astype(np.int64),
        "n_tracks_all": ak.to_numpy(ak.num(events.tracks, axis=1)).astype(np.int64),
        "charge_product": pair["charge_product"],
        "muon_id_min": np.minimum(pair["muon_id_plus"], pair["muon_id_minus"]),
        "theta_mu_plus": polar_angle(p1),
        "theta_mu_minus": polar_angle(p2),
        "p_mu_plus_cms": momentum(p1c),
        "p_mu_minus_cms": momentum(p2c),
        "m_mumu": signed_sqrt(_minkowski_square(mumu)),
        "pt_mumu": transverse_momentum(mumu),
        "pt_mumu_cms": transverse_momentum(mumu_cms),
        "recoil_mass_squared": m_rec2,
        "recoil_mass": signed_sqrt(m_rec2),
        "recoil_theta": polar_angle(rec_lab),
        "recoil_theta_cms": polar_angle(rec_cms),
        "recoil_cos_theta": cos_theta(rec_lab),
        "recoil_cos_theta_cms": cos_theta(rec_cms),
        "recoil_p_cms": momentum(rec_cms),
        "opening_angle": opening_angle(p1, p2),
        "opening_angle_cms": opening_angle(p1c, p2c),
    }
    pt1 = transverse_momentum_wrt(p1c, rec_cms)
    pt2 = transverse_momentum_wrt(p2c, rec_cms)
    out["muon_pt_wrt_recoil_cms_max"] = np.maximum(pt1, pt2)
    out["muon_pt_wrt_recoil_cms_min"] = np.minimum(pt1, pt2)

    clusters = events.clusters
    out["extra_energy"] = extra_energy(clusters, min_energy=float(cfg["extra_energy_cluster_min"]))
    out["n_pi0"] = n_pi0_candidates(
        clusters,
        mass_window=tuple(cfg["pi0_mass_window"]),
        min_photon_energy=float(cfg["pi0_photon_energy_min"]),
    )
    if cfg["veto_frame"] == "lab":
        out["min_cluster_recoil_angle"] = min_angle_to_direction(
            clusters, rec_lab, min_energy=float(cfg["veto_cluster_energy_min"])
        )
    else:
        out["min_cluster_recoil_angle"] = min_angle_to_direction(
            clusters,
            rec_cms,
            min_energy=float(cfg["veto_cluster_energy_min"]),
            collider=collider,
        )
    fields = ak.fields(events)
    if "trigger" in fields:
        for line in ak.fields(events.trigger):
            out[f"trigger_{line}"] = ak.to_numpy(events.trigger[line]).astype(bool)
    n = len(events)
    out["weight"] = (
        ak.to_numpy(events.weight).astype(np.float64) if "weight" in fields else np.ones(n)
    )
    for key in ("run", "event"):
        if key in fields:
            out[key] = ak.to_numpy(events[key]).astype(np.int64)
    return out
