r"""Generator for e+e- -> mu+ mu- Z' (L_mu - L_tau) with the Z' decaying by its branching ratios.

Hard process. e+e- -> gamma* -> mu+ mu- Z' at tree level with the Z' radiated from either
muon, all masses kept (Z(0) exchange neglected). The spin-averaged |M|^2 is the analytic
trace formula of :mod:`darkscan.generate.processes._mumu_zprime_kernel` (tested against the
Dirac-matrix amplitudes of :mod:`darkscan.models._mumu_zprime` to 1e-10), evaluated in a
numba kernel together with the phase-space map. The phase space is sampled with a map adapted
to the peaks of |M|^2: logarithmic in the Z' kinetic energy (soft Z'), 1 + cos^2 in the Z'
polar angle, and, in the mu+ mu- rest frame, exactly proportional to the sum of the two
muon propagators 1/D1 + 1/D2 (collinear Z'), see the kernel module.

Unweighting. A pilot run (``n_pilot`` proposals) gives the largest weight per bin of the
(log-mapped) Z' energy; the proposal density in that variable is then made proportional to
these maxima and proposals are accepted with probability min(1, w / w_max), w_max =
``safety`` * (largest pilot weight under the adapted density). Proposals above w_max (missed by the pilot) are kept with probability one and
counted: ``generator_settings["n_overweight"]`` and ``["overweight_fraction"]`` (the
fraction of the total weight above w_max, i.e. the size of the resulting bias). With
``weighted=True`` every proposal with a non-zero weight is returned with its weight.

Cross section. The total cross section (all Z' decays, within the generator cuts) is the
Monte-Carlo integral of all proposal weights drawn (pilot included), sigma = <w>, with its
statistical uncertainty std(w)/sqrt(N); it is an independent estimate of
:meth:`darkscan.models.lmu_ltau.LmuLtauZprime.cross_section_mumu_zprime` (VEGAS with the
Dirac-matrix |M|^2), with which the tests compare it.

Z' decays. The channel is drawn per event with the model's branching ratios: mu+ mu-,
tau+ tau- (taus stored undecayed, ``is_final`` True, for a tau-decay library or the
detector stage to handle), nu_mu nubar_mu, nu_tau nubar_tau, chi chibar. The invisible
channels keep their (invisible) daughters, and the Z' itself carries ``is_invisible``. The
decay angle in the Z' rest frame, measured from the Z' flight direction in the hard frame,
follows the exact longitudinal fraction f_L of the produced event: f_L (1 - beta^2 c^2) +
(1 - f_L)(1 + beta^2 c^2 / (2 - beta^2)) (vector coupling, fermion velocity beta; for the
left-handed neutrinos the helicity +-1 states are taken equally populated, which gives the
same 1 + c^2). Azimuthal spin correlations (off-diagonal density-matrix elements) are
neglected. The decay vertex is drawn from the exponential law with the lab decay length
(prompt for the usual couplings).

ISR and beam-energy spread (optional) as in :mod:`darkscan.generate.isr`: x1, x2 drawn from
the Kuraev-Fadin structure function, one photon per beam carrying (1 - x_i) E_beam at a polar
angle from the eikonal law (:func:`darkscan.generate.isr.isr_photons_with_angles`), the hard
collision at sqrt(x1 x2 s) boosted with the recoil velocity (transverse part included, also
in the generator-level muon cuts); the two photons are stored; sqrt(s) smeared with ``collider.sample_sqrt_s`` (the CM frame
is kept at the nominal one). Finally ``collider.to_lab`` (crossing angle and boost).

Event record per event: mu-, mu+, Z' (``is_final`` False), the two Z' daughters (mother 2,
at the decay vertex), then with ISR the photons from the e- and from the e+.

References
----------
W. Altmannshofer, S. Gori, M. Pospelov, I. Yavin, Phys. Rev. D 89, 095033 (2014),
arXiv:1403.1269; E. Kou et al. (Belle II Physics Book), PTEP 2019, 123C01, arXiv:1808.10567,
sec. 16; Belle II, Phys. Rev. Lett. 124, 141801 (2020), arXiv:1912.11276 (the process and
the 17-150 deg muon acceptance).
E. A. Kuraev, V. S. Fadin, Sov. J. Nucl. Phys. 41 (1985) 466 (ISR).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from darkscan._validate import as_finite, below_threshold, in_range
from darkscan.constants import ALPHA_EM, M_E, M_MU, M_TAU
from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.generate import isr as _isr
from darkscan.generate.event_record import (
    PDG_APRIME,
    PDG_CHI,
    Sample,
    events_from_arrays,
    seed_record,
)
from darkscan.generate.processes import _mumu_zprime_kernel as _kernel

__all__ = ["MUMU_ZPRIME_CUTS", "generate_mumu_zprime"]

GENERATOR_NAME = "darkscan.generate.processes.mumu_zprime"
_FLOAT_COLUMNS = ("E", "px", "py", "pz", "vx", "vy", "vz", "t")
#: Bins of the adaptive density in the (log-mapped) Z' energy.
_N_ENERGY_BINS = 16

#: Supported generator-level cuts (both muons): lab polar angle range (rad) and CM cos range.
MUMU_ZPRIME_CUTS = ("theta_mu_lab", "cos_theta_mu_cms")

#: name, PDG code of the fermion, mass (GeV), invisible?
_CHANNELS = (
    ("mu", 13, M_MU, False),
    ("tau", 15, M_TAU, False),
    ("nu_mu", 14, 0.0, True),
    ("nu_tau", 16, 0.0, True),
    ("chi", PDG_CHI, None, True),
)


def _check_basic(n_events, rng) -> int:
    if isinstance(n_events, bool) or not isinstance(n_events, int | np.integer) or n_events <= 0:
        raise ConfigError(f"n_events = {n_events!r} must be a positive integer")
    if not isinstance(rng, np.random.Generator):
        raise ConfigError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return int(n_events)


def _cut_array(cuts: Mapping | None) -> tuple[np.ndarray, dict]:
    """[cos_min_cms, cos_max_cms, cos_min_lab, cos_max_lab] and the cuts as JSON."""
    out = np.array([-2.0, 2.0, -2.0, 2.0])
    if cuts is None:
        return out, {}
    if not isinstance(cuts, Mapping):
        raise ConfigError(f"cuts must be a dict with keys {MUMU_ZPRIME_CUTS}, got {cuts!r}")
    unknown = set(cuts) - set(MUMU_ZPRIME_CUTS)
    if unknown:
        raise ConfigError(f"unknown cut(s) {sorted(unknown)}; allowed: {list(MUMU_ZPRIME_CUTS)}")
    record = {}
    if "theta_mu_lab" in cuts:
        lo, hi = (float(v) for v in cuts["theta_mu_lab"])
        in_range("cuts['theta_mu_lab'][0]", lo, 0.0, math.pi, unit="rad")
        in_range("cuts['theta_mu_lab'][1]", hi, 0.0, math.pi, unit="rad")
        if not lo < hi:
            raise PhysicsDomainError(f"cuts['theta_mu_lab'] = ({lo:g}, {hi:g}) rad needs min < max")
        out[2], out[3] = math.cos(hi), math.cos(lo)
        record["theta_mu_lab"] = [lo, hi]
    if "cos_theta_mu_cms" in cuts:
        lo, hi = (float(v) for v in cuts["cos_theta_mu_cms"])
        in_range("cuts['cos_theta_mu_cms'][0]", lo, -1.0, 1.0)
        in_range("cuts['cos_theta_mu_cms'][1]", hi, -1.0, 1.0)
        if not lo < hi:
            raise PhysicsDomainError(f"cuts['cos_theta_mu_cms'] = ({lo:g}, {hi:g}) needs min < max")
        out[0], out[1] = lo, hi
        record["cos_theta_mu_cms"] = [lo, hi]
    return out, record


def _decay_channels(model, m_z: float) -> list[tuple[str, int, float, bool, float]]:
    """Open channels (name, pdg, daughter mass, invisible, BR) with BR > 0."""
    brs = {k: float(np.asarray(v)) for k, v in model.branching_ratios().items()}
    out = []
    for name, pdg, mass, invisible in _CHANNELS:
        if name == "chi":
            if model.m_chi is None:
                continue
            mass = float(model.m_chi)
        br = brs.get(name, 0.0)
        if br > 0.0 and 2.0 * mass < m_z:
            out.append((name, pdg, mass, invisible, br))
    return out


class _Proposals:
    """Draws blocks of proposals, runs the phase-space kernel and stores the kept events."""

    def __init__(self, rng, collider, m_z, coupling2, cut_array, isr, energy_spread, n):
        self.rng = rng
        self.collider = collider
        self.m_z = m_z
        self.coupling2 = coupling2
        self.cuts = cut_array
        self.has_cuts = bool(np.any(np.asarray(cut_array)[[0, 2]] > -1.0)) or bool(
            np.any(np.asarray(cut_array)[[1, 3]] < 1.0)
        )
        self.isr = isr
        self.energy_spread = energy_spread
        self.sqrt_s = float(collider.sqrt_s)
        self.lab = np.ascontiguousarray(collider.to_lab(np.eye(4)).T)
        self.capacity = n
        self.p_hard = np.empty((n, 3, 4))
        self.weight = np.empty(n)
        self.index = np.empty(n, dtype=np.int64)
        self.roots = np.full(n, self.sqrt_s)
        self.beta = np.zeros((n, 3))
        self.photons = np.zeros((n, 2, 4))
        self.n_stored = 0
        self.n_kept = 0  # including kept proposals beyond the capacity (last block)
        self.sum_w = 0.0
        self.sum_w2 = 0.0
        self.n_proposed = 0
        self.n_over = 0
        self.sum_excess = 0.0
        self.largest = 0.0
        self.x0_cdf = np.linspace(0.0, 1.0, _N_ENERGY_BINS + 1)
        self.bin_max = np.zeros(_N_ENERGY_BINS)

    def adapt(self) -> float:
        """Adapt the Z'-energy density to the pilot's maxima per bin; returns the new w_max."""
        top = self.bin_max.max()
        p = np.maximum(self.bin_max, 0.05 * top)
        p /= p.sum()
        self.x0_cdf = np.concatenate([[0.0], np.cumsum(p)])
        self.x0_cdf[-1] = 1.0
        return float(np.max(self.bin_max / (_N_ENERGY_BINS * p)))

    def block(self, size: int, w_max: float, weighted: bool, *, store: bool = True) -> None:
        rng = self.rng
        u = rng.random((size, 7))
        if self.energy_spread:
            roots = self.collider.sample_sqrt_s(rng, size)
        else:
            roots = np.full(1, self.sqrt_s)
        # the recoil velocity matters in the kernel only through the muon cuts: without cuts
        # the photon angles are drawn for the kept proposals only (same distribution)
        angles_first = self.isr and self.has_cuts
        if self.isr:
            x1, x2 = _isr.sample_isr_fractions(rng, size, self.sqrt_s**2)
            hard = roots * np.sqrt(x1 * x2)
            beta = np.zeros((1, 3))
            if angles_first:  # one photon per beam at an eikonal angle; the hard frame recoils
                photons, beta = _isr.isr_photons_with_angles(rng, x1, x2, roots)
        else:
            hard = roots
            beta = np.zeros((1, 3))
        if store:
            outputs = (self.p_hard, self.weight, self.index)
        else:
            outputs = (np.empty((0, 3, 4)), np.empty(0), np.empty(0, dtype=np.int64))
        start = self.n_stored
        n_kept, n_over, sum_w, sum_w2, excess, largest = _kernel.phase_space_block(
            u, hard, beta, self.m_z, M_MU, M_E, self.coupling2, self.lab, self.cuts,
            w_max, weighted, *outputs, start, self.x0_cdf, self.bin_max,
        )  # fmt: skip
        self.sum_w += sum_w
        self.sum_w2 += sum_w2
        self.n_proposed += size
        self.n_over += int(n_over)
        self.sum_excess += excess
        self.largest = max(self.largest, largest)
        if not store:
            return
        self.n_kept += int(n_kept)
        stop = min(start + int(n_kept), self.capacity)
        idx = self.index[start:stop]
        if roots.size > 1:
            self.roots[start:stop] = roots[idx]
        if self.isr:
            if not angles_first:
                r_idx = roots[idx] if roots.size > 1 else roots
                photons, beta = _isr.isr_photons_with_angles(rng, x1[idx], x2[idx], r_idx)
                idx = slice(None)
            self.beta[start:stop] = beta[idx]
            self.photons[start:stop] = photons[idx]
        self.n_stored = stop

    @property
    def sigma(self) -> tuple[float, float]:
        n = self.n_proposed
        mean = self.sum_w / n
        var = max(self.sum_w2 / n - mean * mean, 0.0)
        return mean, math.sqrt(var / n)


def generate_mumu_zprime(
    model,
    collider,
    n_events: int,
    rng: np.random.Generator,
    *,
    isr: bool = False,
    energy_spread: bool = False,
    weighted: bool = False,
    cuts: Mapping | None = None,
    n_pilot: int = 200_000,
    safety: float = 1.0,
    block_size: int = 500_000,
) -> Sample:
    """Generate e+e- -> mu+ mu- Z' events (Z' from either muon) with Z' decays at a collider.

    Parameters
    ----------
    model : darkscan.models.lmu_ltau.LmuLtauZprime
        Z' model with a scalar ``m_zprime`` (GeV) and ``g_prime`` != 0.
    collider : darkscan.beams.Collider
        Beam set-up (sqrt(s), CM -> lab transformation, energy spread).
    n_events : int
        Number of events (> 0).
    rng : numpy.random.Generator
        The only source of randomness.
    isr : bool
        Initial-state radiation (Kuraev-Fadin structure function; one photon per beam with
        an eikonal polar angle stored, the hard system recoils against them).
    energy_spread : bool
        Smear sqrt(s) per event with ``collider.sample_sqrt_s``.
    weighted : bool
        Return weighted events (weights sum to the cross section) instead of unweighted ones.
    cuts : dict, optional
        Generator-level cuts on both muons: ``"theta_mu_lab": (theta_min, theta_max)`` in rad
        (lab polar angle, e.g. ``(np.radians(17), np.radians(150))``) and/or
        ``"cos_theta_mu_cms": (lo, hi)`` (CM frame). The booked cross section is after cuts.
    n_pilot : int
        Proposals of the pilot run that fixes the maximum weight.
    safety : float
        w_max = safety * (largest pilot weight), >= 1.
    block_size : int
        Largest number of proposals drawn at once (memory: ~170 bytes each).

    Returns
    -------
    Sample
        ``cross_section_fb``: sigma(e+e- -> mu+ mu- Z') within the cuts, summed over the Z'
        decays (Monte-Carlo integral of the proposal weights; ISR-convolved with ``isr``),
        ``cross_section_uncertainty_fb`` its statistical error. ``generator_settings`` holds
        the unweighting efficiency, w_max, the number of proposals and the overweight count
        and fraction.

    Raises
    ------
    ConfigError
        ``n_events`` not a positive integer, ``rng`` not a Generator, unknown cuts.
    PhysicsDomainError
        Array model parameters, g_prime = 0, m_zprime above sqrt(s) - 2 m_mu, bad cut ranges
        or cuts that leave no phase space.

    Examples
    --------
    >>> from darkscan.beams import belle2
    >>> from darkscan.models.lmu_ltau import LmuLtauZprime
    >>> s = generate_mumu_zprime(LmuLtauZprime(m_zprime=1.0, g_prime=1e-2), belle2(), 100,
    ...                          np.random.default_rng(1), n_pilot=20_000)
    >>> s.n_events, round(s.cross_section_fb)  # fb: about 100 pb x g_prime^2
    (100, 10)
    """
    n = _check_basic(n_events, rng)
    if np.ndim(model.m_zprime):
        raise PhysicsDomainError(
            f"generate_mumu_zprime needs a scalar m_zprime, got shape {np.shape(model.m_zprime)}"
        )
    m_z = float(model.m_zprime)
    g_prime = float(as_finite("g_prime", model.g_prime))
    if g_prime == 0.0:
        raise PhysicsDomainError("g_prime = 0 produces no Z'; allowed: any finite non-zero value")
    sqrt_s = float(collider.sqrt_s)
    below_threshold(
        "m_zprime", m_z, sqrt_s - 2.0 * M_MU, f"e+e- -> mu+mu- Z' at sqrt(s) = {sqrt_s:g} GeV"
    )
    if isinstance(n_pilot, bool) or not isinstance(n_pilot, int | np.integer) or n_pilot < 1000:
        raise ConfigError(f"n_pilot = {n_pilot!r} must be an integer >= 1000")
    safety = float(in_range("safety", safety, 1.0, math.inf, error=ConfigError))
    cut_array, cut_record = _cut_array(cuts)
    channels = _decay_channels(model, m_z)
    if not channels:
        raise PhysicsDomainError(f"m_zprime = {m_z:g} GeV: the Z' has no open decay channel")
    ctau = float(model.ctau())
    state = seed_record(rng)

    coupling2 = (4.0 * math.pi * ALPHA_EM * g_prime) ** 2
    props = _Proposals(rng, collider, m_z, coupling2, cut_array, bool(isr), bool(energy_spread), n)

    # ---- pilot (its weights also enter the cross-section estimate)
    w_max = math.inf
    if not weighted:
        props.block(int(n_pilot), math.inf, False, store=False)
        if props.largest <= 0.0:
            raise PhysicsDomainError(f"cuts {cut_record} leave no phase space for e+e- -> mu mu Z'")
        w_max = safety * props.adapt()
        efficiency = max(props.sum_w / props.n_proposed / w_max, 1e-4)
    else:
        efficiency = 1.0
    n_before = props.n_proposed
    for _ in range(100_000):
        size = int(min(max(1.1 * (n - props.n_stored) / efficiency + 1000, 10_000), block_size))
        props.block(size, w_max, bool(weighted))
        if props.n_stored >= n:
            break
        if props.sum_w <= 0.0 and props.n_proposed > 10 * n_pilot:
            raise PhysicsDomainError(f"cuts {cut_record} leave no phase space for e+e- -> mu mu Z'")
        efficiency = max(props.n_kept / (props.n_proposed - n_before), 1e-4)
    p_hard = props.p_hard
    beta = props.beta
    sigma, sigma_err = props.sigma

    # ---- Z' decays (in the hard frame), ISR boost, lab frame, record columns
    brs = np.array([c[4] for c in channels])
    choice = np.searchsorted(np.cumsum(brs / brs.sum()), rng.random(n), side="right")
    choice = np.minimum(choice, len(channels) - 1)
    m_daughter = np.array([c[2] for c in channels])[choice]
    u_decay = rng.random((n, 3))
    decay_time = rng.standard_exponential(n)
    photons = props.photons if isr else np.empty((n, 0, 4))
    k = 5 + photons.shape[1]
    columns = {name: np.empty((n, k), dtype=np.float32) for name in _FLOAT_COLUMNS}
    f_long = np.empty(n)
    _kernel.finish_block(
        p_hard, beta, m_daughter, u_decay, decay_time, ctau,
        np.ascontiguousarray(photons), props.lab, M_MU, M_E,
        *(columns[name] for name in _FLOAT_COLUMNS), f_long,
    )  # fmt: skip

    pdg_f = np.array([c[1] for c in channels], dtype=np.int32)[choice]
    invisible = np.array([c[3] for c in channels], dtype=bool)[choice]
    pdg = np.empty((n, k), dtype=np.int32)
    pdg[:, 0], pdg[:, 1], pdg[:, 2] = 13, -13, PDG_APRIME
    pdg[:, 3], pdg[:, 4] = pdg_f, -pdg_f
    pdg[:, 5:] = 22
    is_final = np.ones((n, k), dtype=bool)
    is_final[:, 2] = False
    is_invisible = np.zeros((n, k), dtype=bool)
    is_invisible[:, 2] = invisible
    is_invisible[:, 3] = invisible
    is_invisible[:, 4] = invisible
    mother = np.full((n, k), -1, dtype=np.int32)
    mother[:, 3:5] = 2
    columns.update(pdg=pdg, is_final=is_final, is_invisible=is_invisible, mother=mother)
    if weighted:
        weight = sigma * props.weight / props.weight.sum()
    else:
        weight = np.full(n, sigma / n)
    events = events_from_arrays(columns, weight)

    n_unweighting = props.n_proposed - n_before
    total_w = props.sum_w
    brs_all = {kk: float(np.asarray(v)) for kk, v in model.branching_ratios().items()}
    return Sample(
        events=events,
        process="e+e- -> mu+ mu- Z'",
        model_parameters={
            "model": "LmuLtauZprime",
            "m_zprime": m_z,
            "g_prime": g_prime,
            "m_chi": model.m_chi,
            "g_chi": model.g_chi,
            "ctau": ctau,
            "branching_ratios": brs_all,
        },
        generator=GENERATOR_NAME,
        generator_settings={
            "collider": collider.name,
            "sqrt_s": sqrt_s,
            "isr": bool(isr),
            "isr_photons": "ISR photons with eikonal angles" if isr else "none",
            "energy_spread": bool(energy_spread),
            "weighted": bool(weighted),
            "n_proposals": props.n_proposed,
            "n_pilot": 0 if weighted else int(n_pilot),
            "safety": safety,
            "max_weight": w_max if math.isfinite(w_max) else None,
            "accept_reject_efficiency": (props.n_kept / n_unweighting) if not weighted else None,
            "n_overweight": props.n_over,
            "overweight_fraction": props.sum_excess / total_w if total_w > 0 else 0.0,
            "matrix_element": "exact tree-level |M|^2 (analytic trace, all masses)",
            "zprime_decay": "channel by BR; cos theta* from the event's exact longitudinal "
            "fraction (helicity axis), azimuthal spin correlations neglected",
            "tau_decays": "taus stored undecayed (is_final True)",
            "mean_longitudinal_fraction": float(f_long.mean()),
        },
        seed=state,
        cross_section_fb=sigma,
        cross_section_uncertainty_fb=sigma_err,
        generator_cuts=cut_record,
        weighted=bool(weighted),
    )
