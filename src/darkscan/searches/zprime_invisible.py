r"""The Z' -> invisible search: e+e- -> mu+ mu- Z', Z' -> nu nubar (L_mu - L_tau), at Belle II.

This module declares the search; the generic machinery lives in the pipeline stages
(:mod:`darkscan.generate`, :mod:`darkscan.detector`, :mod:`darkscan.select`,
:mod:`darkscan.stats`, :mod:`darkscan.interpret`, :mod:`darkscan.report`) and in
:mod:`darkscan.runner` (chunks, seeds, workers). The configuration (sample sizes, selection,
binning, systematics, statistics) is the YAML file ``darkscan/data/searches/
zprime_invisible.yaml`` validated by :mod:`darkscan.searches.config`.

Samples
-------
* Signal e+e- -> mu+ mu- Z' (:func:`darkscan.generate.processes.mumu_zprime.generate_mumu_zprime`,
  exact tree-level |M|^2, ISR and beam-energy spread) on a grid of Z' masses whose spacing
  is ``spacing_in_sigma`` times the nominal recoil-mass-squared resolution; generator filter:
  both muons in a lab polar-angle range. Only events with Z' -> invisible enter the
  selection; the efficiency is relative to sigma(e+e- -> mu mu Z', full phase space) x BR_inv.
* Backgrounds: e+e- -> mu+ mu-(gamma) (in-house, :mod:`~darkscan.generate.processes.mumu_gamma`),
  e+e- -> tau+ tau-(gamma) (in-house, :mod:`~darkscan.generate.processes.tautau`, or Pythia 8),
  e+e- -> e+ e- mu+ mu- (in-house two-photon generator,
  :mod:`~darkscan.generate.processes.two_photon`: EPA x Breit-Wheeler, W_mumu > 0.5 GeV, the
  scattered e+- down the beam pipe; generator filter: both muons in a lab polar-angle range,
  p_T(mu mu, CM) and the true recoil direction looser than the selection), and
  e+e- -> pi+ pi-(gamma) (in-house, :mod:`~darkscan.generate.processes.pipi_gamma`: Born x
  |F_pi|^2 with the ISR radiative return to the rho; both pions in a lab polar-angle range),
  a background through the card's pion -> muon mis-identification. Every sample is
  generated with its own simulated luminosity (weights in fb) and scaled to the analysis
  luminosity.

Selection and observable
------------------------
:func:`darkscan.select.cuts.zprime_selection` on :func:`darkscan.select.kinematics.
dimuon_variables`: trigger fired, exactly two opposite-charge muon tracks in the KLM barrel,
p_T(mu mu, CM) above threshold, recoil in the ECL barrel, no cluster within 15 deg of the
recoil, no pi0 candidate, extra energy below threshold; and (``muon_cluster_energy_max``)
no muon-matched ECL cluster above a few MIP energies: a photon radiated collinear with a muon
lands in the muon's cluster, which the recoil-photon veto does not look at (in mu mu(gamma)
events with the photon in the barrel this is how most of the survivors escape the veto).
The observable is the recoil mass squared against the dimuon,

    M_rec^2 = s + M_mumu^2 - 2 sqrt(s) (E*_mu+ + E*_mu-)   (CM frame),

plotted as the signed square root M_rec = sign(M_rec^2) sqrt(|M_rec^2|) (Belle II,
PRL 124, 141801 (2020), arXiv:1912.11276).

Per-chunk work
--------------
:func:`process_chunk` (generate -> simulate -> select -> fill histograms) is a pure function
of a :class:`darkscan.runner.Task` and a Generator; it fills, per sample and with event
weights in fb (luminosity 1 fb^-1; yields are scaled to the analysis luminosity only at the
end, so results scale exactly with ``--lumi``):

* ``m2_pt_cos``: M_rec^2 (fine bins) x p_T(mu mu, CM) x |cos theta_rec(CM)| after the
  general selection: the input of the cut optimisation, of the counting limits and of the
  template fit;
* ``spectrum``: the signed recoil mass after the general selection (plots);
* cut-flow scalars ``cutflow/NN/<cut>/w`` (sum of weights) and ``.../n`` (raw count).

Windows, tau suppression, limits
--------------------------------
Background model: the simulated sum of weights of every fine M_rec^2 bin, distributed over
(p_T, |cos theta_rec|) cells as the product of the two marginal distributions averaged over
+-``shape_smoothing`` GeV^2 (:func:`smooth_background`): the default background samples are
far smaller than the data (equivalent luminosity a few fb^-1), and raw weighted Monte Carlo
in narrow cells is mostly empty. Row totals, hence every window total, are the simulation's.
For every mass hypothesis the signal peak in M_rec^2 is fitted with a Gaussian (core,
+-2 sigma, iterated); the mass window is the fitted mean +- ``window_half_width`` fitted
sigmas. In each window the tau-pair suppression cuts (p_T(mu mu, CM) range and
|cos theta_rec(CM)| maximum) maximise the Punzi figure of merit eps / (a/2 + sqrt(B)),
a = 1.64 (G. Punzi, arXiv:physics/0308063, eq. 7; :func:`darkscan.stats.optimise_cuts`).
The optimisation carries a simulated-statistics guard (``tau_suppression.mc_guard``): a
background sample with simulated events in the window but none passing a cut combination
counts 1.14 x its per-event weight there (zero-MC-event convention, 68% CL), and the
selected region must keep at least ``min_raw_events`` simulated background events (default
3, capped at the window content), so that no window's cuts rest on an estimate from zero or
one simulated event. Where the Gaussian peak fit fails (few events, truncated peak near the
kinematic end point at 9-10 GeV), the window is centred on the signal's median with the
inter-quartile width (or, with too few events, on m^2 with the nominal resolution), and the
output says so.
With ``tau_suppression.method: mva`` (the shipped default) a boosted-tree score
(:mod:`darkscan.select.mva`) replaces |cos theta_rec| and the optimised cut is a lower cut
on the score; the classifier is trained by :func:`train_tau_classifier` on samples generated
from random streams of their own, so that no training event enters a yield.
Limits at 90% CL on sigma(e+e- -> mu mu Z') x BR(Z' -> inv):

* ``bayes``: Bayesian counting limit per window with a flat prior and Gaussian nuisances
  (:func:`darkscan.stats.bayesian_upper_limit`), as Belle II (PRL 124, 141801); the
  background's simulated statistics enter as a Gamma nuisance (``statistics.mc_stat``:
  Gamma(m + 1) for m effective simulated events, J. Conway arXiv:1103.0354);
* ``cls``: CLs template fit (pyhf, :class:`darkscan.stats.TemplateModel`) on M_rec^2 in bins
  of the third axis within each window, with background normsys, staterror (simulated
  statistics) and the signal normsys: trigger, tracking, PID, mu mu yield, signal MC
  statistics and luminosity (the Belle II seminar's systematics table).

Expected limits are the limits for background-only pseudo-experiments (Bayes: at the
Poisson quantiles of the background expectation for -2..+2 sigma; CLs: asymptotic
Asimov bands). The "observed" limits come from a **pseudo-dataset** drawn from the
background model with the run seed; real data are never read (blinding). Limits translate
to g' with :func:`darkscan.interpret.zprime_g_prime_limit`, using the signal generator's
own cross section (ISR included, full phase space) at the generated coupling.

References
----------
I. Adachi et al. (Belle II), Phys. Rev. Lett. 124, 141801 (2020), arXiv:1912.11276.
I. Adachi et al. (Belle II), Phys. Rev. Lett. 130, 231801 (2023), arXiv:2212.03066.
W. Altmannshofer, S. Gori, M. Pospelov, I. Yavin, Phys. Rev. D 89, 095033 (2014),
arXiv:1403.1269 (the model).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import hist
import numpy as np
from scipy import optimize, stats

from darkscan import runner
from darkscan._validate import as_finite
from darkscan.beams import belle2
from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.searches.config import SearchConfig, load_search_config, merge_config

__all__ = [
    "NAME",
    "TAU_TO_MU_BRANCHING_RATIO",
    "AnalysisResult",
    "analyse",
    "coupling_limits",
    "cut_config",
    "event_table",
    "fit_peak",
    "mass_grid",
    "muon_cluster_energy_max",
    "plan",
    "process_chunk",
    "reference_cross_section",
    "run",
    "sample_params",
    "selection",
    "variables_config",
    "write_outputs",
]

#: Name of the search on the command line and of its results folder.
NAME = "zprime-invisible"
#: BR(tau- -> mu- nubar_mu nu_tau), PDG 2022 (R. L. Workman et al., PTEP 2022, 083C01):
#: 17.39 %. Used to weight Pythia tau pairs generated with forced muonic decays.
TAU_TO_MU_BRANCHING_RATIO = 0.1739
#: Order of the background stack (bottom first) and their labels.
BACKGROUND_LABELS = {
    "mumu": r"$\mu^+\mu^-(\gamma)$",
    "tautau": r"$\tau^+\tau^-(\gamma)$",
    "eemumu": r"$e^+e^-\mu^+\mu^-$",
    "pipi": r"$\pi^+\pi^-(\gamma)$",
}
_SIGNAL_PREFIX = "signal_m"
_MISSING_BACKGROUNDS = (
    "e+e- -> e+e- e+e- (two-photon, electrons mis-identified as muons) and "
    "e+e- -> e+e- pi+pi- / K+K-: not generated",
    "e+e- -> pi+ pi- pi0 (gamma), K+ K- (gamma) and other hadronic final states with "
    "mis-identified muons: not generated",
)


# --------------------------------------------------------------------------------------
# declaration: selection, grid, samples
# --------------------------------------------------------------------------------------
def cut_config(cfg: SearchConfig) -> dict[str, Any]:
    """Overrides of :data:`darkscan.select.cuts.ZPRIME_CUT_DEFAULTS` (angles to rad).

    >>> d = cut_config(load_search_config())
    >>> round(d["recoil_photon_veto_angle"], 4), d["n_tracks"]
    (0.2618, 2)
    """
    s = cfg.selection
    rad = math.radians
    return {
        "trigger_lines": tuple(s.trigger_lines),
        "n_tracks": s.n_tracks,
        "muon_id_min": s.muon_id_min,
        "muon_theta_range": (rad(s.muon_theta_range[0]), rad(s.muon_theta_range[1])),
        "pt_mumu_cms_min": s.pt_mumu_cms_min,
        "recoil_theta_range": (rad(s.recoil_theta_range[0]), rad(s.recoil_theta_range[1])),
        "recoil_photon_veto_angle": rad(s.recoil_photon_veto_angle),
        "max_pi0": s.max_pi0,
        "extra_energy_max": s.extra_energy_max,
        "muon_cluster_energy_max": s.muon_cluster_energy_max,
    }


def variables_config(cfg: SearchConfig) -> dict[str, Any]:
    """Overrides of :data:`darkscan.select.kinematics.DIMUON_VARIABLE_DEFAULTS`."""
    s = cfg.selection
    return {
        "track_d0_max": s.track_d0_max,
        "track_z0_max": s.track_z0_max,
        "veto_cluster_energy_min": s.veto_cluster_energy_min,
        "extra_energy_cluster_min": s.extra_energy_cluster_min,
        "pi0_photon_energy_min": s.pi0_photon_energy_min,
    }


def nominal_sigma_m2(masses, cfg: SearchConfig) -> np.ndarray:
    """Nominal sigma(M_rec^2) in GeV^2 at Z' masses (GeV): linear interpolation of the table."""
    table = cfg.signal.resolution
    return np.interp(np.asarray(masses, dtype=float), table.masses, table.sigma_m2)


def mass_grid(cfg: SearchConfig) -> np.ndarray:
    """Z' masses (GeV) of the search: the configured list, or a resolution-driven grid.

    The grid is uniform in units of the resolution in M_rec^2: consecutive points are
    ``spacing_in_sigma`` x sigma(M_rec^2) apart (edges of
    :func:`darkscan.select.histograms.mass_bins_from_resolution` on [m_min^2, m_max^2]).

    >>> cfg = load_search_config(overrides={"signal": {"spacing_in_sigma": 100.0}})
    >>> [round(float(m), 3) for m in mass_grid(cfg)]
    [0.1, 4.596, 6.256, 7.301, 8.034, 8.579, 9.0]
    """
    from darkscan.select.histograms import mass_bins_from_resolution

    if cfg.signal.masses is not None:
        return np.unique(np.asarray(cfg.signal.masses, dtype=float))
    lo, hi = cfg.signal.mass_min**2, cfg.signal.mass_max**2

    def sigma(m2):
        return nominal_sigma_m2(np.sqrt(np.clip(m2, 0.0, None)), cfg)

    edges = mass_bins_from_resolution(lo, hi, sigma, cfg.signal.spacing_in_sigma)
    return np.sqrt(edges)


def _signal_name(m: float) -> str:
    return f"{_SIGNAL_PREFIX}{m:.4f}"


def _m2_lattice(cfg: SearchConfig) -> tuple[float, float, int]:
    lo, hi = cfg.binning.m2_range
    w = cfg.binning.m2_bin_width
    return lo, w, round((hi - lo) / w)


def _third_axis(cfg: SearchConfig) -> tuple[str, np.ndarray, str]:
    """Third histogram axis: (name, edges, cut direction): |cos theta_rec| or the MVA score."""
    if cfg.tau_suppression.method == "mva":
        return "score", np.asarray(cfg.tau_suppression.mva.score_edges, dtype=float), "lower"
    return "cos", np.asarray(cfg.binning.cos_edges, dtype=float), "upper"


def sample_params(
    cfg: SearchConfig, masses, mva_path=None
) -> tuple[dict[str, int], dict[str, dict]]:
    """Samples to simulate: name -> events, and name -> parameters for :func:`process_chunk`.

    The parameters are plain JSON (stored in the runner's manifest). ``mva_path`` is the
    trained classifier (tau suppression ``mva``), see :func:`train_tau_classifier`.
    """
    lo, w, n = _m2_lattice(cfg)
    common = {
        "card": cfg.detector_card,
        "cuts": cut_config(cfg),
        "variables": variables_config(cfg),
        "energy_spread": cfg.signal.energy_spread,
        "pt_edges": list(cfg.binning.pt_edges),
        "third": _third_axis(cfg)[0],
        "third_edges": _third_axis(cfg)[1].tolist(),
        "mva_path": None if mva_path is None else str(Path(mva_path).resolve()),
        "mva_sha256": None if mva_path is None else _sha256(mva_path),
        "spectrum": [*cfg.binning.spectrum_range, cfg.binning.spectrum_bins],
    }
    sizes: dict[str, int] = {}
    params: dict[str, dict] = {}
    for name, b in cfg.backgrounds.items():
        if b.n_events == 0:
            continue
        sizes[name] = b.n_events
        params[name] = {
            **common,
            "kind": "background",
            "n_total": b.n_events,
            "generator": b.generator,
            "process": b.process,
            "cos_theta_cms_range": b.cos_theta_cms_range,
            "theta_range": b.theta_range,
            "force_muonic_tau_decays": b.force_muonic_tau_decays,
            "w_min": b.w_min,
            "pt_cms_min": b.pt_cms_min,
            "recoil_theta_range": b.recoil_theta_range,
            "tau_decay_channels": b.tau_decay_channels,
            "m2_axis": [n, lo, lo + n * w],
        }
    half = cfg.binning.signal_m2_half_range
    for m in np.atleast_1d(masses):
        m = float(m)
        i0 = max(0, math.floor((m * m - half - lo) / w))
        i1 = min(n, math.ceil((m * m + half - lo) / w))
        name = _signal_name(m)
        sizes[name] = cfg.signal.n_events
        params[name] = {
            **common,
            "kind": "signal",
            "n_total": cfg.signal.n_events,
            "m_zprime": m,
            "g_prime": cfg.signal.g_prime,
            "isr": cfg.signal.isr,
            "theta_range": list(cfg.signal.generator_theta_range),
            "m2_axis": [i1 - i0, lo + i0 * w, lo + i1 * w],
            "m2_offset": i0,
        }
    return sizes, params


def plan(cfg: SearchConfig, masses, mva_path=None) -> runner.Plan:
    """The runner plan: every sample cut into units of ``run.unit_size`` events (or of its
    ``run.unit_sizes`` entry), one unit per chunk."""
    sizes, params = sample_params(cfg, masses, mva_path)
    unit = cfg.run.unit_size
    per_sample = {k: v for k, v in cfg.run.unit_sizes.items() if k in sizes}
    return runner.plan_chunks(
        sizes, chunk_size=unit, unit_size=unit, unit_sizes=per_sample, params=params
    )


# --------------------------------------------------------------------------------------
# per-chunk work
# --------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _classifier(path: str, sha256: str):
    from darkscan.select.mva import load_classifier

    if _sha256(path) != sha256:
        raise ConfigError(f"MVA classifier {path} changed since the run was planned")
    return load_classifier(path)


def _sha256(path) -> str:
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@functools.lru_cache(maxsize=8)
def _card(name: str):
    from darkscan.detector.card import load_card

    return load_card(name)


def _generate(p: Mapping[str, Any], n: int, rng: np.random.Generator, collider):
    """Truth sample of ``n`` events and the factor its weights must be multiplied with."""
    if p["kind"] == "signal":
        from darkscan.generate.processes.mumu_zprime import generate_mumu_zprime
        from darkscan.models import LmuLtauZprime

        lo, hi = (math.radians(t) for t in p["theta_range"])
        model = LmuLtauZprime(m_zprime=p["m_zprime"], g_prime=p["g_prime"])
        sample = generate_mumu_zprime(
            model, collider, n, rng, isr=p["isr"], energy_spread=p["energy_spread"],
            cuts={"theta_mu_lab": (lo, hi)}, n_pilot=int(min(200_000, max(20_000, 20 * n))),
        )  # fmt: skip
        return sample, 1.0
    gen = p["generator"]
    if gen == "two_photon":
        return _generate_two_photon(p, n, rng, collider), 1.0
    if gen == "pipi_gamma":
        from darkscan.generate.processes.pipi_gamma import generate_pipi_gamma

        cuts = None
        if p.get("theta_range"):
            cuts = {"theta_pi_lab": tuple(math.radians(t) for t in p["theta_range"])}
        return generate_pipi_gamma(collider, n, rng, cuts=cuts, n_pilot=50_000), 1.0
    cos_range = p.get("cos_theta_cms_range")
    cuts = {"cos_theta_mu_cms": tuple(cos_range)} if cos_range else {}
    if gen == "mumu_gamma":
        from darkscan.generate.processes.mumu_gamma import generate_mumu_gamma

        if p.get("pt_cms_min") is not None:
            cuts["pt_mumu_cms_min"] = p["pt_cms_min"]
        return generate_mumu_gamma(
            collider, n, rng, cuts=cuts or None, energy_spread=p["energy_spread"]
        ), 1.0
    if gen == "tautau":
        from darkscan.generate.processes.tautau import generate_tautau

        return generate_tautau(
            collider, n, rng, cuts=cuts or None, energy_spread=p["energy_spread"],
            decay_channels=p.get("tau_decay_channels"),
        ), 1.0  # fmt: skip
    from darkscan.generate.pythia import AcceptanceFilter, generate_pythia

    flt = None
    if p.get("theta_range"):
        flt = AcceptanceFilter(theta_min=p["theta_range"][0], theta_max=p["theta_range"][1])
    settings, factor = None, 1.0
    if p.get("force_muonic_tau_decays"):
        settings = {"15:onMode": "off", "15:onIfAny": "13"}
        factor = TAU_TO_MU_BRANCHING_RATIO**2
    return generate_pythia(p["process"], collider, n, rng, filter=flt, settings=settings), factor


def _two_photon_filter(sample, p: Mapping[str, Any], collider) -> np.ndarray:
    """Generator filter of the two-photon sample: muon angles, p_T(mu mu, CM), true recoil."""
    import awkward as ak

    parts = sample.events.particles
    mu = np.stack(
        [np.stack([ak.to_numpy(parts[f][:, j]) for f in ("E", "px", "py", "pz")], axis=-1)
         for j in (2, 3)], axis=1,
    ).astype(float)  # fmt: skip
    keep = np.ones(len(mu), dtype=bool)
    if p.get("theta_range"):
        lo, hi = p["theta_range"]
        theta = np.degrees(np.arctan2(np.hypot(mu[..., 1], mu[..., 2]), mu[..., 3]))
        keep &= np.all((theta >= lo) & (theta <= hi), axis=1)
    pair = mu.sum(axis=1)
    if p.get("pt_cms_min") is not None:
        cms = collider.to_cms(pair)
        keep &= np.hypot(cms[:, 1], cms[:, 2]) > p["pt_cms_min"]
    if p.get("recoil_theta_range"):
        lo, hi = p["recoil_theta_range"]
        recoil = collider.to_lab(np.array([float(collider.sqrt_s), 0.0, 0.0, 0.0])) - pair
        theta = np.degrees(np.arctan2(np.hypot(recoil[:, 1], recoil[:, 2]), recoil[:, 3]))
        keep &= (theta >= lo) & (theta <= hi)
    return keep


def _generate_two_photon(p: Mapping[str, Any], n: int, rng: np.random.Generator, collider):
    """``n`` two-photon e+e- mu+mu- events passing the generator filter (batches <= 1e6).

    The booked cross section is sigma(W > w_min) times the filter's acceptance, counted over
    the generated events up to the n-th accepted one (as the other generators do).
    """
    import awkward as ak

    from darkscan.generate.processes.two_photon import generate_two_photon

    batches, n_kept, n_gen, sigma_sum, n_batches = [], 0, 0, 0.0, 0
    rate = 0.002  # first guess of the filter acceptance (default filter: 0.18 %)
    while n_kept < n:
        m = int(min(max(1.3 * (n - n_kept) / rate, 100_000), 1_000_000))
        sample = generate_two_photon(collider, m, rng, w_min=p.get("w_min") or 0.5, n_pilot=50_000)
        idx = np.flatnonzero(_two_photon_filter(sample, p, collider))
        if n_kept + idx.size >= n:
            idx = idx[: n - n_kept]
            m = int(idx[-1]) + 1 if idx.size else m
        sigma_sum += sample.cross_section_fb
        n_batches += 1
        n_gen += m
        n_kept += idx.size
        batches.append(ak.to_packed(sample.events[idx]))  # drop the 1e6-event buffers
        rate = max(n_kept / n_gen, 1e-5)
    events = ak.concatenate(batches)
    sigma = sigma_sum / n_batches * n_kept / n_gen
    events["weight"] = np.full(n_kept, sigma / n_kept)
    return dataclasses.replace(
        sample, events=events, cross_section_fb=sigma,
        generator_cuts={**sample.generator_cuts, "filter": {
            k: p.get(k) for k in ("theta_range", "pt_cms_min", "recoil_theta_range")},
            "n_generated_before_filter": n_gen},
    )  # fmt: skip


def _m2_pt_cos_hist(p: Mapping[str, Any]) -> hist.Hist:
    n, lo, hi = p["m2_axis"]
    return hist.Hist(
        hist.axis.Regular(int(n), lo, hi, name="m2", flow=False),
        hist.axis.Variable(p["pt_edges"], name="pt", flow=False),
        hist.axis.Variable(p["third_edges"], name=p["third"], flow=False),
        storage=hist.storage.Weight(),
    )


def _spectrum_hist(p: Mapping[str, Any]) -> hist.Hist:
    lo, hi, n = p["spectrum"]
    return hist.Hist(
        hist.axis.Regular(int(n), lo, hi, name="recoil_mass", label=r"$M_\mathrm{rec}$ [GeV]"),
        storage=hist.storage.Weight(),
    )


def process_chunk(task, rng: np.random.Generator) -> dict[str, Any]:
    """Generate, simulate, select and histogram one unit of a sample (pure function).

    Parameters
    ----------
    task : darkscan.runner.Task
        ``task.n_events`` events of sample ``task.sample`` with ``task.params`` from
        :func:`sample_params`.
    rng : numpy.random.Generator
        The unit's own random stream (the runner spawns it from the run seed).

    Returns
    -------
    dict
        Histograms ``m2_pt_cos`` (``m2_pt_cos:<sample>`` for signal samples) and ``spectrum`` (weights in fb: yields for 1 fb^-1) and
        scalars: ``n_generated``, ``sigma`` (this unit's share of the sample's cross section
        within the generator filter, fb), ``n_simulated``, ``sum_w`` (simulated events, fb;
        for the signal only Z' -> invisible) and the cut flow ``cutflow/NN/<cut>/w|n``.
    """
    from darkscan.detector.simulate import simulate

    p = task.params
    collider = belle2()
    sample, factor = _generate(p, int(task.n_events), rng, collider)
    scale = factor * task.n_events / p["n_total"]
    out: dict[str, Any] = {
        "n_generated": float(sample.n_events),
        "sigma": float(sample.cross_section_fb) * scale,
    }
    if p["kind"] == "signal":
        invisible = np.asarray(sample.events.particles.is_invisible[:, 2], dtype=bool)
        sample = dataclasses.replace(sample, events=sample.events[invisible])
    out["n_simulated"] = float(sample.n_events)
    if sample.n_events:
        reco = simulate(sample, _card(p["card"]), rng)
        out.update(select_and_fill(reco.events, p, collider, scale=scale))
    else:
        out.update(select_and_fill(None, p, collider, scale=scale))
    # signal histograms have per-mass axes: keyed by sample (the runner also merges over
    # samples per key, which needs equal axes)
    out[_hist_key(task.sample, p)] = out.pop("m2_pt_cos")
    return out


def muon_cluster_energy_max(events, variables: Mapping[str, Any]) -> np.ndarray:
    """Largest ECL cluster energy (GeV) matched to a good track, per event (0 if none).

    Good tracks are those the dimuon variables use (|d0| < ``track_d0_max``, |z0| <
    ``track_z0_max``); with exactly two good tracks these are the muon candidates. A muon
    deposits ~0.2 GeV (minimum ionising, card ``mip_energy``); a photon radiated collinear
    with it (FSR) merges into the same cluster and shows up as a larger energy.
    """
    import awkward as ak

    tr = events.tracks
    good = (np.abs(tr.d0) < variables["track_d0_max"]) & (np.abs(tr.z0) < variables["track_z0_max"])
    energy = ak.fill_none(
        ak.max(ak.where(np.isfinite(tr.clusterE), tr.clusterE, 0.0)[good], axis=1), 0.0
    )
    return np.asarray(ak.to_numpy(energy), dtype=float)


def event_table(events, p: Mapping[str, Any], collider) -> dict[str, np.ndarray]:
    """The per-event variables of the selection (:func:`~darkscan.select.kinematics.
    dimuon_variables` plus ``muon_cluster_energy_max``)."""
    from darkscan.select.kinematics import dimuon_variables

    table = dimuon_variables(events, collider, p["variables"])
    table["muon_cluster_energy_max"] = muon_cluster_energy_max(events, p["variables"])
    return table


def selection(p: Mapping[str, Any]):
    """The general selection: :func:`darkscan.select.cuts.zprime_selection` with the search's
    cuts, then the muon-cluster-energy requirement (if configured)."""
    from darkscan.select.cuts import Cut, Selection, zprime_selection

    cuts = dict(p["cuts"])
    e_max = cuts.pop("muon_cluster_energy_max", None)
    base = zprime_selection(cuts)
    if e_max is None:
        return base
    extra = Cut("muon_cluster_energy", "muon_cluster_energy_max", "<", float(e_max), "GeV")
    return Selection((*base.cuts, extra), name=base.name)


def select_and_fill(
    events, p: Mapping[str, Any], collider, *, scale: float = 1.0
) -> dict[str, Any]:
    """Select reconstructed events and fill the search's histograms and cut-flow scalars.

    Parameters
    ----------
    events : awkward.Array or None
        Reconstructed events (``tracks``, ``clusters``, ``trigger``, ``weight`` in fb), as
        :func:`darkscan.detector.simulate.simulate` returns; None for an empty sample.
    p : mapping
        Sample parameters from :func:`sample_params`.
    collider : darkscan.beams.Collider
    scale : float
        Factor applied to the event weights (share of the sample in this unit).

    Returns
    -------
    dict
        ``m2_pt_cos`` (M_rec^2 x p_T(mu mu, CM) x |cos theta_rec(CM)|), ``spectrum`` (signed
        M_rec), ``sum_w`` and ``cutflow/NN/<cut>/w|n`` (weights in fb).
    """
    m2_pt_cos, spectrum = _m2_pt_cos_hist(p), _spectrum_hist(p)
    sel = selection(p)
    out: dict[str, Any] = {}
    if events is not None and len(events):
        table = event_table(events, p, collider)
        w = table["weight"] * scale
        mask, flow = sel.apply(table, luminosity=1.0, weights=w)
        if p.get("mva_path"):
            selected = {k: np.asarray(v)[mask] for k, v in table.items()}
            clf = _classifier(p["mva_path"], p["mva_sha256"])
            third = clf.score(selected) if mask.any() else np.zeros(0)
            third = np.clip(third, 0.0, 1.0 - 1e-12)  # a score of exactly 1 stays in range
        else:
            third = np.abs(table["recoil_cos_theta_cms"][mask])
        m2_pt_cos.fill(
            m2=table["recoil_mass_squared"][mask],
            pt=table["pt_mumu_cms"][mask],
            weight=w[mask],
            **{p["third"]: third},
        )
        spectrum.fill(recoil_mass=table["recoil_mass"][mask], weight=w[mask])
        out["sum_w"] = float(np.sum(w))
        rows = [(r.name, r.sum_weights, r.events) for r in flow.rows]
    else:
        out["sum_w"] = 0.0
        rows = [("all", 0.0, 0)] + [(name, 0.0, 0) for name in sel.names]
    for k, (name, sw, n) in enumerate(rows):
        out[f"cutflow/{k:02d}/{name}/w"] = float(sw)
        out[f"cutflow/{k:02d}/{name}/n"] = float(n)
    out["m2_pt_cos"] = m2_pt_cos
    out["spectrum"] = spectrum
    return out


def _hist_key(sample: str, p: Mapping[str, Any]) -> str:
    return f"m2_pt_cos:{sample}" if p["kind"] == "signal" else "m2_pt_cos"


# --------------------------------------------------------------------------------------
# MVA tau suppression: training on samples of its own
# --------------------------------------------------------------------------------------
def _selected_table(p, n, rng, collider):
    from darkscan.detector.simulate import simulate

    sample, factor = _generate(p, n, rng, collider)
    if p["kind"] == "signal":
        invisible = np.asarray(sample.events.particles.is_invisible[:, 2], dtype=bool)
        sample = dataclasses.replace(sample, events=sample.events[invisible])
    if not sample.n_events:
        return {}
    table = event_table(simulate(sample, _card(p["card"]), rng).events, p, collider)
    mask = selection(p).mask(table)
    out = {k: np.asarray(v)[mask] for k, v in table.items()}
    out["weight"] = out["weight"] * factor
    return out


def train_tau_classifier(cfg: SearchConfig, masses, seed: int, path) -> Path:
    """Train the boosted-tree tau suppression and save it to ``path``.

    Training samples are generated here, from random streams of their own
    (``SeedSequence(seed, spawn_key=(stable_hash("mva-train:<sample>"), 0))``), which the
    runner never gives to :func:`process_chunk`: no event used for training ever enters a
    yield (train and evaluation samples are disjoint by construction). Signal: all mass
    points mixed, each event weighted 1/(events of its mass) so that every mass counts
    equally; background: tau pairs and mu pairs with their physical weights; the classes
    are balanced (:func:`darkscan.select.mva.train_classifier`). The events are those
    passing the general selection.

    Returns
    -------
    pathlib.Path
        The saved classifier (:func:`darkscan.select.mva.save_classifier`).

    References
    ----------
    Belle II, PRL 124, 141801 (2020), arXiv:1912.11276 (tau pairs are the dominant
    background; MVA-based suppression in the update, arXiv:2212.03066).
    """
    from darkscan.select.mva import save_classifier, train_classifier

    mva = cfg.tau_suppression.mva
    collider = belle2()
    _, params = sample_params(cfg, masses)
    signal, background = [], []
    for name, p in params.items():
        if p["kind"] == "signal":
            n = mva.n_train_signal
        elif p["process"] in ("tautau", "mumu"):
            n = mva.n_train_background
        else:
            continue
        p = {**p, "n_total": n}
        rng = runner.unit_rng(seed, f"mva-train:{name}", 0)
        table = _selected_table(p, n, rng, collider)
        if not table or not len(table["weight"]):
            continue
        if p["kind"] == "signal":
            table["weight"] = np.full(len(table["weight"]), 1.0 / len(table["weight"]))
            signal.append(table)
        else:
            background.append(table)
    if not signal or not background:
        raise ConfigError(
            "tau_suppression.mva: no selected training events; increase n_train_signal / "
            "n_train_background"
        )

    def stack(tables):
        return {k: np.concatenate([t[k] for t in tables]) for k in tables[0]}

    sig, bkg = stack(signal), stack(background)
    clf = train_classifier(
        sig, bkg, features=mva.features, signal_weights=sig["weight"],
        background_weights=bkg["weight"], random_state=seed % (2**32), max_iter=mva.max_iter,
    )  # fmt: skip
    return save_classifier(clf, path)


# --------------------------------------------------------------------------------------
# analysis: peak fits, windows, tau suppression, limits
# --------------------------------------------------------------------------------------
def _gauss(x, a, mu, s):
    return a * np.exp(-0.5 * ((x - mu) / s) ** 2)


def smooth_peaks(masses, mean, sigma, sigma_error, scale, neighbours: int):
    """Peak mean and width from the fits, averaged over neighbouring mass points.

    The fitted offset ``mean - m^2`` and width ``sigma`` of every successful fit (finite
    ``sigma_error``) are expressed in units of the nominal width ``scale`` (the resolution
    table, which carries the mass dependence), and for every mass point these ratios are
    averaged over the ``neighbours`` nearest grid points on each side (the point included)
    with weights ``(scale / sigma_error)^2``: a local weighted mean of quantities that vary
    slowly with mass, which divides the scatter of one signal sample's fit (~10 % with
    3000 events) by up to sqrt(2 neighbours + 1). Neighbours whose width differs from the
    point's by more than three combined errors are left out (no averaging across a real
    change of the resolution). Points whose own fit failed keep their
    values (the fallback window, e.g. a peak truncated at the kinematic end point) and do
    not enter their neighbours' averages; ``neighbours = 0`` returns the inputs.

    >>> m = np.array([1.0, 2.0, 3.0])
    >>> nominal = np.array([0.1, 0.2, 0.3])
    >>> mu, sg = smooth_peaks(m, m**2 + [0.0, 0.06, 0.0], np.array([0.1, 0.26, 0.3]),
    ...                       0.1 * nominal, nominal, 1)
    >>> np.round(mu - m**2, 3).tolist(), np.round(sg / nominal, 3).tolist()
    ([0.015, 0.02, 0.045], [1.15, 1.1, 1.15])
    """
    masses = np.asarray(masses, float)
    scale = np.asarray(scale, float)
    offset = (np.asarray(mean, float) - masses**2) / scale
    ratio = np.asarray(sigma, float) / scale
    err = np.asarray(sigma_error, float) / scale
    if neighbours <= 0:
        return np.asarray(mean, float), np.asarray(sigma, float)
    ok = np.isfinite(err) & (err > 0) & np.isfinite(ratio) & np.isfinite(offset)
    w = np.where(ok, 1.0 / np.where(ok, err, 1.0) ** 2, 0.0)
    out_offset, out_ratio = offset.copy(), ratio.copy()
    order = np.argsort(masses)
    for pos, k in enumerate(order):
        if not ok[k]:
            continue
        near = order[max(pos - neighbours, 0) : pos + neighbours + 1]
        # only neighbours compatible with this point's width (within 3 combined errors):
        # where the width changes faster than the fits scatter (e.g. at the lowest mass,
        # below the dimuon threshold) the point keeps its own fit
        compatible = np.abs(ratio[near] - ratio[k]) < 3.0 * np.hypot(err[near], err[k])
        wk = np.where(compatible, w[near], 0.0)
        if wk.sum() > 0:
            out_offset[k] = np.sum(wk * np.where(ok[near], offset[near], 0.0)) / wk.sum()
            out_ratio[k] = np.sum(wk * np.where(ok[near], ratio[near], 0.0)) / wk.sum()
    return out_offset * scale + masses**2, out_ratio * scale


def fit_peak(values, edges, *, n_iter: int = 4, window: float = 2.0) -> tuple[float, float, float]:
    """Gaussian fit of the core of a peak: (mean, sigma, error of sigma), in x units.

    Starting from the weighted median and the half inter-quartile range / 0.6745, the
    Gaussian is least-squares fitted to the bin contents within mean +- ``window`` sigma,
    iterated ``n_iter`` times. Returns NaNs when fewer than 4 bins are non-empty.

    Examples
    --------
    >>> e = np.linspace(-5, 5, 101)
    >>> c = 0.5 * (e[1:] + e[:-1])
    >>> mu, s, _ = fit_peak(np.exp(-0.5 * ((c - 0.3) / 0.8) ** 2), e)
    >>> round(mu, 3), round(s, 3)
    (0.3, 0.8)
    """
    y = np.asarray(values, dtype=float)
    e = np.asarray(edges, dtype=float)
    x = 0.5 * (e[1:] + e[:-1])
    if np.count_nonzero(y > 0) < 4 or y.sum() <= 0:
        return math.nan, math.nan, math.nan
    cdf = np.cumsum(y) / y.sum()
    q1, mu, q3 = np.interp([0.25, 0.5, 0.75], cdf, x)
    s = max((q3 - q1) / (2 * 0.6745), np.min(np.diff(e)))
    err = math.nan
    for _ in range(n_iter):
        sel = np.abs(x - mu) < window * s
        if np.count_nonzero(y[sel] > 0) < 4:
            break
        try:
            (_a, mu_new, s_new), cov = optimize.curve_fit(
                _gauss, x[sel], y[sel], p0=(y[sel].max(), mu, s),
                sigma=np.sqrt(np.maximum(y[sel], y[sel][y[sel] > 0].min())),
            )  # fmt: skip
        except (RuntimeError, optimize.OptimizeWarning):
            break
        if not (np.isfinite(s_new) and abs(s_new) > 0):
            break
        mu, s = float(mu_new), abs(float(s_new))
        err = float(np.sqrt(cov[2, 2])) if np.isfinite(cov[2, 2]) else math.nan
    return float(mu), float(s), err


def _peak_fallback(values, edges, m: float, nominal: float) -> tuple[float, float, str]:
    """Window centre and width when the Gaussian fit fails (few events, truncated peak).

    With >= 5 non-empty bins in the histogram: the weighted median and the half
    inter-quartile range / 0.6745 (the Gaussian-equivalent width), bounded to [0.5, 2] x the
    nominal resolution; otherwise m^2 and the nominal resolution. Returns (mean, sigma,
    description) in GeV^2.
    """
    y = np.clip(np.asarray(values, dtype=float), 0.0, None)
    e = np.asarray(edges, dtype=float)
    x = 0.5 * (e[1:] + e[:-1])
    if np.count_nonzero(y) >= 5 and y.sum() > 0:
        cdf = np.cumsum(y) / y.sum()
        q1, med, q3 = np.interp([0.25, 0.5, 0.75], cdf, x)
        width = float(np.clip((q3 - q1) / (2 * 0.6745), 0.5 * nominal, 2.0 * nominal))
        if abs(med - m * m) < 3 * max(width, nominal):
            return float(med), width, "the median and inter-quartile width of the signal"
    return m * m, float(nominal), "m^2 and the nominal resolution table"


def reference_cross_section(masses, cfg: SearchConfig, rng: np.random.Generator) -> np.ndarray:
    """sigma(e+e- -> mu+ mu- Z') in fb at g' = 1, full phase space, with the signal's ISR setting.

    Monte-Carlo integral of the signal generator (weighted mode, 50000 events per mass;
    statistical precision ~0.5 %), so that it matches the signal samples exactly in its
    physics content (ISR). sigma scales as g'^2.

    References
    ----------
    Exact tree-level cross section of :mod:`darkscan.generate.processes.mumu_zprime`
    (Altmannshofer et al., arXiv:1403.1269; Belle II, arXiv:1912.11276).
    """
    from darkscan.generate.processes.mumu_zprime import generate_mumu_zprime
    from darkscan.models import LmuLtauZprime

    g = cfg.signal.g_prime
    collider = belle2()
    out = []
    for m in np.atleast_1d(np.asarray(masses, dtype=float)):
        s = generate_mumu_zprime(
            LmuLtauZprime(m_zprime=float(m), g_prime=g), collider, 50_000, rng,
            isr=cfg.signal.isr, energy_spread=cfg.signal.energy_spread, weighted=True,
        )  # fmt: skip
        out.append(s.cross_section_fb / g**2)
    return np.asarray(out)


def coupling_limits(masses, sigma_upper, sigma_reference) -> np.ndarray:
    """g'_UL = sqrt(sigma_UL / (sigma_ref(g'=1) BR_inv)) for the L_mu - L_tau Z' (no chi).

    Wraps :func:`darkscan.interpret.zprime_g_prime_limit` (BR_inv does not depend on g').

    Parameters
    ----------
    masses : array_like
        Z' masses in GeV.
    sigma_upper : array_like
        Upper limits on sigma(e+e- -> mu mu Z') x BR(Z' -> inv) in fb (NaN/inf kept as NaN).
    sigma_reference : array_like
        sigma(e+e- -> mu mu Z') at g' = 1 in fb.

    Examples
    --------
    >>> round(float(coupling_limits(0.1, 4.0, 1.0e5)), 6)   # BR_inv = 1 below 2 m_mu
    0.006325
    """
    from darkscan.interpret import zprime_g_prime_limit

    s = np.asarray(sigma_upper, dtype=float)
    ok = np.isfinite(s) & (s > 0)
    safe = np.where(ok, s, 1.0)
    g = zprime_g_prime_limit(
        masses, safe, belle2(), sigma_reference=sigma_reference, reference_g_prime=1.0
    )
    return np.where(ok, g, np.nan)


@dataclasses.dataclass
class AnalysisResult:
    """Everything the outputs are made of (arrays over the mass points)."""

    masses: np.ndarray
    luminosity: float
    method: str
    cl: float
    sigma_limits: dict[str, np.ndarray]
    coupling_limits: dict[str, np.ndarray]
    efficiency: np.ndarray
    efficiency_unc: np.ndarray
    background: dict[str, np.ndarray]
    n_pseudo_data: np.ndarray
    windows: np.ndarray
    peak: dict[str, np.ndarray]
    cuts: dict[str, np.ndarray]
    sigma_reference: np.ndarray
    branching_invisible: np.ndarray
    samples: dict[str, dict[str, float]]
    cutflow_steps: dict[str, list]
    spectra: dict[str, hist.Hist]
    spectrum_signals: dict[str, hist.Hist]
    pseudo_spectrum: hist.Hist | None
    raw_background: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    missing_backgrounds: tuple[str, ...] = _MISSING_BACKGROUNDS
    notes: list[str] = dataclasses.field(default_factory=list)
    sideband: dict[str, np.ndarray] | None = None


def _values(h: hist.Hist) -> tuple[np.ndarray, np.ndarray]:
    v = h.view(flow=False)
    return np.asarray(v["value"], dtype=float), np.asarray(v["variance"], dtype=float)


def _cumsum0(a: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros((1, *a.shape[1:])), np.cumsum(a, axis=0)])


def _cutflow_steps(scalars: Mapping[str, float], luminosity: float) -> list[tuple[str, float, int]]:
    keys = sorted(k for k in scalars if k.startswith("cutflow/") and k.endswith("/w"))
    steps = []
    for k in keys:
        name = k.split("/")[2]
        steps.append(
            ("generated" if name == "all" else name, luminosity * scalars[k],
             round(scalars[k[:-1] + "n"]))
        )  # fmt: skip
    return steps


def smooth_background(values: np.ndarray, half_width: int) -> np.ndarray:
    """Background model M_rec^2 x p_T x third axis: MC row totals times a smoothed joint shape.

    With weighted Monte Carlo most (p_T, third-axis) cells of one narrow M_rec^2 row hold no
    simulated event; a cut optimiser then "finds" background-free corners that are
    fluctuations, and limits inherit them. The model keeps the simulated total of every
    M_rec^2 row exactly (so the M_rec^2 shape and every window total are the simulation's)
    and distributes it over the (p_T, third-axis) cells with the *joint* distribution of
    the rows within +-``half_width`` rows (box kernel along M_rec^2 only). The joint shape
    keeps the p_T correlation with the third axis: the tau-suppression score uses p_T as an
    input, and a product of marginals underestimated the background in tight corners by up
    to 8x (0.63 GeV window, ``benchmarks/study_low_mass_background.py``).
    ``half_width = 0`` returns the simulation itself.

    Parameters
    ----------
    values : numpy.ndarray
        Shape (n_m2, n_pt, n_third): sums of weights (or of squared weights).
    half_width : int
        Rows on each side used for the shape (>= 0).

    Returns
    -------
    numpy.ndarray
        Same shape; ``values.sum(axis=(1, 2))`` is preserved.

    Examples
    --------
    >>> v = np.zeros((3, 2, 2)); v[1, 0, 0] = 1.0; v[1, 1, 1] = 1.0; v[0, 0, 1] = 2.0
    >>> smooth_background(v, 1)[1].tolist()   # row 1's 2 events spread as rows 0-2's shape
    [[0.5, 1.0], [0.0, 0.5]]
    >>> smooth_background(v, 0)[1].tolist()   # no smoothing: the row itself
    [[1.0, 0.0], [0.0, 1.0]]
    """
    v = np.asarray(values, dtype=float)
    n = v.shape[0]
    totals = v.sum(axis=(1, 2))
    c = np.concatenate([np.zeros((1, *v.shape[1:])), np.cumsum(v, axis=0)])
    i = np.arange(n)
    shape = c[np.minimum(i + half_width + 1, n)] - c[np.maximum(i - half_width, 0)]
    norm = shape.sum(axis=(1, 2))
    shape /= np.where(norm > 0, norm, 1.0)[:, None, None]
    return totals[:, None, None] * shape


def _systematics(cfg: SearchConfig, masses: np.ndarray, tau_cuts: bool):
    sy = cfg.systematics
    trigger = np.where(masses < sy.trigger.boundary_mass, sy.trigger.low, sy.trigger.high)
    eff = np.column_stack(
        [
            trigger,
            np.full(masses.shape, sy.tracking),
            np.full(masses.shape, sy.pid),
            np.full(masses.shape, sy.mumu_yield_discrepancy),
        ]
    )
    bkg = [sy.background_before_tau_suppression] + ([sy.tau_suppression] if tau_cuts else [])
    return eff, np.asarray(bkg), sy.luminosity


@dataclasses.dataclass(frozen=True)
class _TemplateBinning:
    """Template bins of one window: groups of fine M_rec^2 rows x groups of |cos| columns."""

    i_lo: int
    i_hi: int
    pt_ok: np.ndarray
    j_lo: int
    j_hi: int
    m_starts: np.ndarray
    c_starts: np.ndarray
    m_edges: np.ndarray
    c_edges: np.ndarray

    def reduce(self, a: np.ndarray) -> np.ndarray:
        """Fine (m2, pt, cos) array -> template (m2 group, cos group) within the cuts."""
        a = a[self.i_lo : self.i_hi][:, self.pt_ok][:, :, self.j_lo : self.j_hi].sum(axis=1)
        a = np.add.reduceat(a, self.m_starts - self.i_lo, axis=0)
        return np.add.reduceat(a, self.c_starts - self.j_lo, axis=1)

    def make(self, values: np.ndarray, variances: np.ndarray) -> hist.Hist:
        """A Weight-storage template with these bins."""
        h = hist.Hist(
            hist.axis.Variable(self.m_edges, name="m2_bin"),
            hist.axis.Variable(self.c_edges, name="third"),
            storage=hist.storage.Weight(),
        )
        h.view()["value"] = values
        h.view()["variance"] = variances
        return h


def _template_binning(i_lo, i_hi, pt_ok, j_lo, j_hi, n_m, n_c, edges3,
                      flanks=None) -> _TemplateBinning:  # fmt: skip
    """Template bins: ``n_m`` M_rec^2 groups of the window rows ``[i_lo, i_hi)`` (plus, with
    ``flanks = (a, b)``, one bin of the rows ``[a, i_lo)`` and one of ``[i_hi, b)`` where
    not empty) x ``n_c`` groups of the third-axis columns ``[j_lo, j_hi)``."""
    m_groups = np.array_split(np.arange(i_lo, i_hi), n_m)
    lo, hi = int(i_lo), int(i_hi)
    if flanks is not None:
        a, b = int(flanks[0]), int(flanks[1])
        if a < i_lo:
            m_groups = [np.arange(a, i_lo), *m_groups]
            lo = a
        if b > i_hi:
            m_groups = [*m_groups, np.arange(i_hi, b)]
            hi = b
    c_groups = np.array_split(np.arange(j_lo, j_hi), n_c)
    return _TemplateBinning(
        i_lo=lo, i_hi=hi, pt_ok=pt_ok, j_lo=j_lo, j_hi=j_hi,
        m_starts=np.asarray([g[0] for g in m_groups]), c_starts=np.asarray([g[0] for g in c_groups]),
        m_edges=np.asarray([-0.5 + g[0] for g in m_groups] + [hi - 0.5], dtype=float),
        c_edges=np.asarray([edges3[g[0]] for g in c_groups] + [edges3[j_hi]]),
    )  # fmt: skip


def _template_limits(cfg, lumi, masses, windows, pass_mask, v_bkg, var_bkg, v_sig, pseudo,
                     sig_norm, rng, signal_syst=None, raw_fine=None, n_min=0.0,
                     coarsened=None, flanks=None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """CLs template fit per mass: M_rec^2 sub-bins x third-axis bins inside the window, and,
    with ``flanks`` (rows ``(low, high)`` per mass: the outer edges of the sidebands), one
    M_rec^2 bin on each side from the window to the sideband's outer edge: the signal
    template covers them too, and the background normalisations are measured there."""
    coarsened = [] if coarsened is None else coarsened

    b = cfg.binning
    _, edges3, _ = _third_axis(cfg)
    sy = cfg.systematics
    norm = math.hypot(sy.background_before_tau_suppression, sy.tau_suppression)
    obs = np.full(len(masses), np.nan)
    exp = np.full((len(masses), 5), np.nan)
    toy_seed = int(rng.integers(2**63))
    jobs = []
    for k in range(len(masses)):
        i_lo, i_hi = windows[k]
        sel = pass_mask[k]
        pt_ok = sel.any(axis=1)
        cos_ok = sel.any(axis=0)
        if not pt_ok.any() or sig_norm[k] <= 0:
            continue
        cols = np.flatnonzero(cos_ok)
        j_lo, j_hi = int(cols[0]), int(cols[-1]) + 1
        # template bins: the configured M_rec^2 x third-axis grouping, coarsened (third axis
        # first, then M_rec^2) until every bin holds >= min(N_min, all) simulated background
        # events: a template bin with no simulated event has no background estimate and no
        # staterror, and the fit would exploit it as the optimiser did (mc_guard)
        n_m0 = min(b.template_m2_bins, i_hi - i_lo)
        n_c0 = min(b.template_theta_bins, j_hi - j_lo)
        options = [(n_m0, c) for c in range(n_c0, 0, -1)] + [(m, 1) for m in range(n_m0 - 1, 0, -1)]
        for n_m, n_c in options:
            tb = _template_binning(
                i_lo, i_hi, pt_ok, j_lo, j_hi, n_m, n_c, edges3,
                None if flanks is None else (flanks[0][k], flanks[1][k]),
            )  # fmt: skip
            if raw_fine is None:
                break
            raw = tb.reduce(raw_fine)
            if np.all(raw >= min(n_min, raw.sum()) - 1e-9):
                break
        if (n_m, n_c) != (n_m0, n_c0):
            coarsened.append(f"{masses[k]:g} GeV: {n_m}x{n_c}")
        reduce, make = tb.reduce, tb.make

        backgrounds = {}
        total = None
        for name in v_bkg:
            vals = lumi * reduce(v_bkg[name])
            total = vals if total is None else total + vals
            backgrounds[name] = [vals, lumi**2 * reduce(var_bkg[name])]
        floor = 1e-3  # events: pyhf's staterror needs a positive total background per bin
        first = next(iter(backgrounds))
        backgrounds[first][0] = backgrounds[first][0] + np.where(total > floor, 0.0, floor)
        templates = {n: make(v, var) for n, (v, var) in backgrounds.items()}
        signal_vals = reduce(v_sig[k]) * lumi / sig_norm[k]
        if signal_vals.sum() <= 0:
            continue
        jobs.append((
            k, templates, {n: norm for n in templates},
            None if signal_syst is None else signal_syst[k],
            make(signal_vals, np.zeros_like(signal_vals)), reduce(pseudo).ravel(),
            cfg.statistics.cl, cfg.statistics.cls_calculator, cfg.statistics.n_toys,
            np.random.SeedSequence([toy_seed, k]),
        ))  # fmt: skip
    # the fits are independent: spread over the run's workers (toys: one seed per mass, so
    # the limits do not depend on the number of workers)
    n_workers = min(cfg.run.n_workers, len(jobs))
    if n_workers > 1 and cfg.run.executor != "inprocess":
        import concurrent.futures
        import multiprocessing

        ctx = multiprocessing.get_context("forkserver")
        with concurrent.futures.ProcessPoolExecutor(n_workers, mp_context=ctx) as pool:
            results = list(pool.map(_template_fit, jobs, chunksize=4))
    else:
        results = [_template_fit(job) for job in jobs]
    for k, o, e in results:
        obs[k], exp[k] = o, e
    return obs, exp


def _template_fit(job) -> tuple[int, float, np.ndarray]:
    """One mass point's CLs template fit (a top-level function: runs in worker processes)."""
    from darkscan.stats import TemplateModel

    k, templates, norms, signal_syst, signal, observed, cl, calc, n_toys, seq = job
    model = TemplateModel(templates, norm_uncertainties=norms, signal_uncertainties=signal_syst)
    res = model.upper_limit(
        signal, observed, cl=cl, method=calc, n_toys=n_toys, rng=np.random.default_rng(seq),
        rtol=1e-3,
    )  # fmt: skip
    return k, float(res.observed), np.asarray(res.expected, dtype=float)


def _sidebands(sb, windows, n_rows, pass_mask, lumi, cum_b, cum_var, cum_p, cum_sig, s_pass):
    """Background, pseudo-data and signal in the recoil-mass sidebands of every window.

    The region around the window that holds the central ``signal_containment`` of the
    selected signal (quantiles of its M_rec^2 distribution, the radiative tail included; at
    least the window itself) is excluded; the sidebands are the ``width`` window widths of
    fine M_rec^2 rows on either side of it (clipped to the histogram), with the window's
    tau-suppression cells. Returns None when disabled, else a dict of arrays over the
    masses: ``background`` (events), ``mc_weight`` (events per simulated event: sum w^2 /
    sum w), ``observed`` (pseudo-data), ``signal_fraction`` (selected signal in the
    sidebands / in the window) and ``low``, ``high`` (the sidebands' outer M_rec^2 rows).
    """
    if not sb.enabled:
        return None
    n_mass = windows.shape[0]
    tail = 0.5 * (1.0 - sb.signal_containment)
    lo_ex = windows[:, 0].copy()
    hi_ex = windows[:, 1].copy()
    for k in range(n_mass):
        rows = np.diff(np.sum(cum_sig[k] * pass_mask[k], axis=(1, 2)))  # selected signal / row
        total = rows.sum()
        if total > 0:
            cdf = np.cumsum(rows) / total
            lo_ex[k] = min(lo_ex[k], int(np.searchsorted(cdf, tail, side="right")))
            hi_ex[k] = max(hi_ex[k], int(np.searchsorted(cdf, 1.0 - tail, side="left")) + 1)
    width = np.maximum(np.round(sb.width * np.maximum(windows[:, 1] - windows[:, 0], 1)), 1)
    width = width.astype(int)
    parts = [
        (np.clip(lo_ex - width, 0, n_rows), np.clip(lo_ex, 0, n_rows)),
        (np.clip(hi_ex, 0, n_rows), np.clip(hi_ex + width, 0, n_rows)),
    ]

    def total(cum, k=None):
        out = 0.0
        for a, b in parts:
            if k is None:
                out = out + np.sum((cum[b] - cum[a]) * pass_mask, axis=(1, 2))
            else:
                out = out + np.sum((cum[b[k]] - cum[a[k]]) * pass_mask[k])
        return out

    background = lumi * sum(total(c) for c in cum_b.values())
    variance = lumi**2 * sum(total(c) for c in cum_var.values())
    mc_weight = np.divide(variance, background, out=np.ones_like(background), where=background > 0)
    mc_weight = np.where(mc_weight > 0, mc_weight, 1.0)
    signal = np.array([total(c, k) for k, c in enumerate(cum_sig)])
    return {
        "background": background,
        "mc_weight": mc_weight,
        "observed": total(cum_p),
        "signal_fraction": np.divide(signal, s_pass, out=np.zeros_like(signal), where=s_pass > 0),
        "low": parts[0][0].astype(float),
        "high": parts[1][1].astype(float),
    }


def analyse(
    result,
    cfg: SearchConfig,
    masses,
    *,
    luminosity: float | None = None,
    method: str | None = None,
    seed: int | None = None,
) -> AnalysisResult:
    """From the merged histograms of a run to limits on sigma x BR and on g'.

    Parameters
    ----------
    result : darkscan.runner.RunResult
        Output of :func:`darkscan.runner.run` with :func:`process_chunk` over :func:`plan`.
    cfg : SearchConfig
    masses : array_like
        The Z' masses of the plan (GeV).
    luminosity : float, optional
        Analysis luminosity in fb^-1 (default ``cfg.luminosity``).
    method : {"bayes", "cls"}, optional
        Default ``cfg.statistics.method``.
    seed : int, optional
        Seed of the pseudo-dataset and of the reference cross sections (default
        ``cfg.run.seed``).

    Returns
    -------
    AnalysisResult
    """
    from darkscan.models import LmuLtauZprime
    from darkscan.stats import bayesian_upper_limit, optimise_cuts

    masses = np.atleast_1d(np.asarray(masses, dtype=float))
    lumi = float(as_finite("luminosity", cfg.luminosity if luminosity is None else luminosity))
    if not lumi > 0:
        raise PhysicsDomainError(
            f"luminosity = {lumi:g} fb^-1 is outside the allowed range (0, inf)"
        )
    method = method or cfg.statistics.method
    if method not in ("bayes", "cls"):
        raise ConfigError(f"method must be 'bayes' or 'cls', got {method!r}")
    seed = cfg.run.seed if seed is None else int(seed)
    cl = cfg.statistics.cl
    b = cfg.binning
    m2_lo, m2_w, n_m2 = _m2_lattice(cfg)
    pt_edges = np.asarray(b.pt_edges)
    tau_cuts = cfg.tau_suppression.method in ("punzi", "mva")
    notes: list[str] = []

    # ---- samples, cross sections, equivalent luminosities
    sc = result.scalars_by_sample
    samples = {}
    for name in result.by_sample:
        s = sc[name]
        samples[name] = {
            "n_generated": s["n_generated"],
            "n_simulated": s["n_simulated"],
            "cross_section": s["sigma"],
            "equivalent_luminosity": s["n_generated"] / s["sigma"] if s["sigma"] > 0 else math.inf,
        }
    bkg_names = [n for n in result.by_sample if not n.startswith(_SIGNAL_PREFIX)]
    v_bkg, var_bkg, raw_n = {}, {}, {}
    smooth_rows = round(b.shape_smoothing / m2_w)
    for name in bkg_names:
        raw, raw_var = _values(result.by_sample[name]["m2_pt_cos"])
        v_bkg[name] = smooth_background(raw, smooth_rows)
        var_bkg[name] = smooth_background(raw_var, smooth_rows)
        # simulated events per cell: (sum w)^2 / sum w^2, exact for the equal weights of
        # one sample (unweighted generators)
        raw_n[name] = np.divide(raw**2, raw_var, out=np.zeros_like(raw), where=raw_var > 0)
    # expected events (at lumi) per simulated event of each background sample
    event_weight = {
        n: lumi / samples[n]["equivalent_luminosity"] if samples[n]["cross_section"] > 0 else 0.0
        for n in bkg_names
    }

    # ---- signal: peak fits -> windows
    rng_ref = np.random.default_rng(np.random.SeedSequence([seed, runner.stable_hash("sigma_ref")]))
    sigma_ref = reference_cross_section(masses, cfg, rng_ref)
    br_inv = np.asarray(LmuLtauZprime(m_zprime=masses, g_prime=1.0).invisible_branching_ratio())
    half = b.window_half_width
    nominal = nominal_sigma_m2(masses, cfg)
    peak = {k: np.full(masses.shape, np.nan) for k in ("mean", "sigma", "sigma_error")}
    windows = np.zeros((masses.size, 2), dtype=int)
    v_sig = []
    sum_inv = np.zeros(masses.shape)
    n_sig_mc = np.zeros(masses.shape)
    for k, m in enumerate(masses):
        name = _signal_name(float(m))
        h = result.by_sample[name][f"m2_pt_cos:{name}"]
        vals, _ = _values(h)
        offset = round((h.axes[0].edges[0] - m2_lo) / m2_w)
        full = np.zeros((n_m2, *vals.shape[1:]))
        full[offset : offset + vals.shape[0]] = vals
        v_sig.append(full)
        sum_inv[k] = sc[name]["sum_w"]
        n_sig_mc[k] = sc[name]["n_simulated"]
        mu, sg, err = fit_peak(vals.sum(axis=(1, 2)), h.axes[0].edges)
        peak["mean"][k], peak["sigma"][k], peak["sigma_error"][k] = mu, sg, err
        if not (np.isfinite(sg) and sg > 0 and abs(mu - m * m) < 3 * max(sg, nominal[k])):
            mu, sg, how = _peak_fallback(vals.sum(axis=(1, 2)), h.axes[0].edges, m, nominal[k])
            peak["mean"][k], peak["sigma"][k] = mu, sg
            peak["sigma_error"][k] = math.nan  # not a fit: kept out of the smoothing
            notes.append(f"m = {m:g} GeV: Gaussian peak fit failed; window from {how}")
    v_sig = np.asarray(v_sig)
    # windows from the peak parameters smoothed over neighbouring mass points: one signal
    # sample's fit scatters by ~10 % (3000 events), the resolution varies slowly with mass
    mean_s, sigma_s = smooth_peaks(
        masses, peak["mean"], peak["sigma"], peak["sigma_error"], nominal, b.peak_smoothing
    )
    peak["mean_smoothed"], peak["sigma_smoothed"] = mean_s, sigma_s
    for k in range(masses.size):
        lo = round((mean_s[k] - half * sigma_s[k] - m2_lo) / m2_w)
        hi = round((mean_s[k] + half * sigma_s[k] - m2_lo) / m2_w)
        lo, hi = max(lo, 0), min(max(hi, lo + 1), n_m2)
        windows[k] = lo, hi

    # ---- window contents per (pt, cos) cell; Punzi-optimised tau suppression
    cum_b = {n: _cumsum0(v) for n, v in v_bkg.items()}
    idx_lo, idx_hi = windows[:, 0], windows[:, 1]
    win_b = {n: c[idx_hi] - c[idx_lo] for n, c in cum_b.items()}  # (n_mass, n_pt, n_3), fb
    win_b_var = {n: _cumsum0(var_bkg[n])[idx_hi] - _cumsum0(var_bkg[n])[idx_lo] for n in v_bkg}
    win_n = {n: _cumsum0(raw_n[n])[idx_hi] - _cumsum0(raw_n[n])[idx_lo] for n in v_bkg}
    win_s = np.asarray([_cumsum0(v_sig[k])[idx_hi[k]] - _cumsum0(v_sig[k])[idx_lo[k]]
                        for k in range(masses.size)])  # fmt: skip
    third, third_edges, direction = _third_axis(cfg)
    cut3 = f"{third}_max" if direction == "upper" else f"{third}_min"
    n_pt, n_3 = pt_edges.size - 1, third_edges.size - 1
    cell_pt_lo = np.broadcast_to(pt_edges[:-1][:, None], (n_pt, n_3)).ravel()
    cell_pt_hi = np.broadcast_to(pt_edges[1:][:, None], (n_pt, n_3)).ravel()
    # a cell passes an upper cut iff its upper edge is below it, a lower cut iff its lower
    # edge is above it: with cut grids on the bin edges the optimisation is exact
    edge3 = third_edges[1:] if direction == "upper" else third_edges[:-1]
    cell_3 = np.broadcast_to(edge3[None, :], (n_pt, n_3)).ravel()
    if tau_cuts:
        mass_idx = np.repeat(np.arange(masses.size), n_pt * n_3)
        values_b = {
            "pt_min": np.tile(cell_pt_lo, masses.size),
            "pt_max": np.tile(cell_pt_hi, masses.size),
            cut3: np.tile(cell_3, masses.size),
        }
        # signal outside the window or the selection: an entry failing every cut (pt < 0)
        rest = np.clip(sum_inv - win_s.sum(axis=(1, 2)), 0.0, None)
        values_s = {
            "pt_min": np.concatenate([values_b["pt_min"], np.full(masses.size, -1.0)]),
            "pt_max": np.concatenate([values_b["pt_max"], np.zeros(masses.size)]),
            cut3: np.concatenate([values_b[cut3], np.full(masses.size, edge3[0])]),
        }
        # background entries: every (mass, cell) once per sample, so that the optimiser's
        # simulated-statistics guard sees each sample's simulated events and weight
        n_s = len(bkg_names)
        guard = cfg.tau_suppression.mc_guard
        opt = optimise_cuts(
            values_s, np.concatenate([win_s.reshape(-1), rest]),
            {k: np.tile(v, n_s) for k, v in values_b.items()},
            np.concatenate([lumi * win_b[n].reshape(-1) for n in bkg_names]),
            {"pt_min": (pt_edges[:-1], "lower"), "pt_max": (pt_edges[1:], "upper"),
             cut3: (edge3, direction)},
            np.concatenate([mass_idx, np.arange(masses.size)]), np.tile(mass_idx, n_s),
            masses.size, a=cfg.tau_suppression.punzi_a,
            background_sample=np.repeat(np.arange(n_s), mass_idx.size),
            background_raw=np.concatenate([win_n[n].reshape(-1) for n in bkg_names]),
            sample_event_weight=[event_weight[n] for n in bkg_names],
            zero_event_upper=guard.zero_event_upper, min_raw_events=guard.min_raw_events,
        )  # fmt: skip
        if guard.zero_event_upper > 0 or guard.min_raw_events > 0:
            notes.append(
                f"cut optimisation with simulated-statistics guard: zero-MC-event term "
                f"{guard.zero_event_upper:g} x event weight, >= {guard.min_raw_events:g} "
                "simulated background events kept (capped at the window content)"
            )
        cuts = {k: np.asarray(v, dtype=float) for k, v in opt.cuts.items()}
        if direction == "upper":
            pass3 = cell_3[None, :] <= cuts[cut3][:, None]
        else:
            pass3 = cell_3[None, :] >= cuts[cut3][:, None]
        pass_mask = (
            (cell_pt_lo[None, :] >= cuts["pt_min"][:, None])
            & (cell_pt_hi[None, :] <= cuts["pt_max"][:, None])
            & pass3
        ).reshape(masses.size, n_pt, n_3)
    else:
        cuts = {
            "pt_min": np.full(masses.shape, pt_edges[0]),
            "pt_max": np.full(masses.shape, pt_edges[-1]),
            cut3: np.full(
                masses.shape, third_edges[-1] if direction == "upper" else third_edges[0]
            ),
        }
        pass_mask = np.ones((masses.size, n_pt, n_3), dtype=bool)

    # ---- yields
    s_pass = np.sum(win_s * pass_mask, axis=(1, 2))
    sig_norm = sigma_ref * cfg.signal.g_prime**2 * br_inv  # fb: sigma x BR_inv of the samples
    efficiency = np.where(sig_norm > 0, s_pass / sig_norm, 0.0)
    frac = np.divide(s_pass, sum_inv, out=np.zeros_like(s_pass), where=sum_inv > 0)
    n_eff_sig = n_sig_mc * frac
    eff_unc = efficiency * np.sqrt(np.divide(1.0 - frac, np.maximum(n_eff_sig, 1.0)))
    background = {n: lumi * np.sum(win_b[n] * pass_mask, axis=(1, 2)) for n in bkg_names}
    bkg_var = sum(lumi**2 * np.sum(win_b_var[n] * pass_mask, axis=(1, 2)) for n in bkg_names)
    b_total = sum(background.values())
    mc_rel = np.divide(np.sqrt(bkg_var), b_total, out=np.zeros_like(b_total), where=b_total > 0)
    raw_window = {n: win_n[n].sum(axis=(1, 2)) for n in bkg_names}  # before the tau cuts
    raw_selected = {n: np.sum(win_n[n] * pass_mask, axis=(1, 2)) for n in bkg_names}
    # weight of one simulated event in the selected background: sum w^2 / sum w; where no
    # simulated event passes, the largest per-event weight of the samples present in the
    # window (of all samples if none is): the zero-MC-event scale
    present = np.array([[raw_window[n][k] > 0 for n in bkg_names] for k in range(masses.size)])
    w_s = np.array([event_weight[n] for n in bkg_names])
    w_empty = np.where(present.any(axis=1), np.max(np.where(present, w_s, 0.0), axis=1), w_s.max())
    mc_weight = np.where(b_total > 0, np.divide(bkg_var, b_total, out=np.ones_like(b_total),
                                                where=b_total > 0), w_empty)  # fmt: skip
    mc_weight = np.where(mc_weight > 0, mc_weight, w_empty)

    # ---- pseudo-data from the background model (never real data: blinding)
    rng_data = np.random.default_rng(
        np.random.SeedSequence([seed, runner.stable_hash("pseudo-data")])
    )
    expected_fine = lumi * sum(v_bkg.values())
    pseudo = rng_data.poisson(np.clip(expected_fine, 0.0, None)).astype(float)
    cum_p = _cumsum0(pseudo)
    n_obs = np.sum((cum_p[idx_hi] - cum_p[idx_lo]) * pass_mask, axis=(1, 2))

    # ---- recoil-mass sidebands (same selection as the window): background normalisation
    sideband = _sidebands(
        cfg.statistics.sideband, windows, n_m2, pass_mask, lumi,
        {n: cum_b[n] for n in bkg_names}, {n: _cumsum0(var_bkg[n]) for n in bkg_names},
        cum_p, [_cumsum0(v_sig[k]) for k in range(masses.size)], s_pass,
    )  # fmt: skip

    # ---- limits on sigma x BR (fb)
    eff_syst, bkg_syst, lumi_syst = _systematics(cfg, masses, tau_cuts)
    eff_syst = np.column_stack(
        [
            eff_syst,
            np.divide(eff_unc, efficiency, out=np.zeros_like(efficiency), where=efficiency > 0),
        ]
    )
    bkg_syst = np.broadcast_to(bkg_syst, (masses.size, bkg_syst.size))
    mc_stat = cfg.statistics.mc_stat
    if mc_stat == "gaussian":
        bkg_syst = np.column_stack([bkg_syst, mc_rel])
    ok = efficiency > 0
    limits: dict[str, np.ndarray] = {}
    if method == "bayes":
        e_safe = np.where(ok, efficiency, 1.0)
        scale_guess = (3.0 + 3.0 * np.sqrt(b_total + 1.0)) / (lumi * e_safe)
        # the tau-suppression uncertainty scales window and sidebands alike (same cuts);
        # the others (background before tau suppression, simulated statistics) do not
        shared = bkg_syst[:, 1:2] if tau_cuts else np.zeros((masses.size, 0))
        unshared = np.delete(bkg_syst, 1, axis=1) if tau_cuts else bkg_syst
        kwargs = dict(
            rel_unc_luminosity=lumi_syst, rel_unc_efficiency=eff_syst,
            rel_unc_background=unshared, rel_unc_background_shared=shared, credibility=cl,
            sigma_max=float(np.max(50.0 * scale_guess)),
            background_mc_weight=mc_weight if mc_stat == "gamma" else None,
        )  # fmt: skip
        if sideband is not None:
            kwargs["control_background"] = sideband["background"]
            kwargs["control_mc_weight"] = sideband["mc_weight"]
        names = (
            "expected_minus2",
            "expected_minus1",
            "expected",
            "expected_plus1",
            "expected_plus2",
        )
        r_sh = np.sqrt(np.sum(shared**2, axis=1))
        if sideband is not None:  # width of the shared scale after the sidebands
            b_sb = sideband["background"]
            var_sb = np.divide(1.0, b_sb, out=np.full_like(b_sb, np.inf), where=b_sb > 0)
            var_sb = var_sb + sideband["mc_weight"] * var_sb  # + 1 / (simulated events)
            r_sh = 1.0 / np.sqrt(1.0 / np.maximum(r_sh, 1e-300) ** 2 + 1.0 / var_sb)
        rel_b = np.sqrt(np.sum(unshared**2, axis=1) + r_sh**2 + mc_rel**2)
        extreme = ok & (rel_b * np.sqrt(np.maximum(b_total, 0.0)) > 8.0)
        if np.any(extreme):
            notes.append(
                "bayes: at m = "
                + ", ".join(f"{m:.3g}" for m in masses[extreme])
                + " GeV the background likelihood is >8x narrower than its prior (a large"
                " background with a large relative uncertainty, or few simulated events of"
                " large weight): the quadrature error on those limits is 0.2 % (B ~ 2000, 22 %)"
                " up to a few per cent (3 simulated events)"
            )
        kwargs["n_quad"] = "auto"  # quadrature points per bin (stats.bayesian)
        if sideband is not None:  # expected limits: Asimov sideband counts
            kwargs["control_obs"] = sideband["background"]
        for name, z in zip(names, (-2.0, -1.0, 0.0, 1.0, 2.0), strict=True):
            n_q = stats.poisson.ppf(stats.norm.cdf(z), b_total)
            lim = bayesian_upper_limit(n_q, b_total, lumi, e_safe, **kwargs).upper_limit
            limits[name] = np.where(ok, lim, np.nan)
        if sideband is not None:
            kwargs["control_obs"] = sideband["observed"]
        lim = bayesian_upper_limit(n_obs, b_total, lumi, e_safe, **kwargs).upper_limit
        limits["observed"] = np.where(ok, lim, np.nan)
        if sideband is not None:
            sb = cfg.statistics.sideband
            frac = sideband["signal_fraction"]
            notes.append(
                f"bayes: recoil-mass sidebands ({sb.width:g} window widths on each side of the "
                f"region holding {100 * sb.signal_containment:g} % of the selected signal, "
                "same selection) measure the background scale of the tau-suppression "
                "uncertainty (on/off likelihood; expected limits with Asimov sideband "
                "counts); the signal in the sidebands is neglected: median "
                f"{100 * np.median(frac):.1f} %, at most {100 * np.max(frac):.1f} % of the "
                "window's (it would raise the background estimate by that share of the "
                "sideband count)"
            )
        notes.append(
            "bayes: 90% credible limits, flat prior; expected limits at the Poisson quantiles "
            "of the background expectation (background-only pseudo-experiments); nuisances: "
            "signal efficiency (trigger, tracking, PID, mu mu yield, signal MC statistics), "
            "luminosity, background (before / after tau suppression) and the background's "
            f"simulated statistics ({mc_stat})"
        )
    else:
        rng_toys = np.random.default_rng(np.random.SeedSequence([seed, runner.stable_hash("toys")]))
        var_fine = {n: var_bkg[n] for n in bkg_names}
        v_sig_pass = v_sig * 1.0
        signal_syst = [
            {"trigger": eff_syst[k, 0], "tracking": eff_syst[k, 1], "pid": eff_syst[k, 2],
             "mumu_yield": eff_syst[k, 3], "signal_mc_stat": min(eff_syst[k, 4], 0.99),
             "luminosity": lumi_syst}
            for k in range(masses.size)
        ]  # fmt: skip
        coarsened: list[str] = []
        obs, exp = _template_limits(
            cfg, lumi, masses, windows, pass_mask, v_bkg, var_fine, v_sig_pass, pseudo,
            sig_norm * np.where(ok, 1.0, 0.0), rng_toys, signal_syst,
            raw_fine=sum(raw_n.values()),
            n_min=max(1.0, cfg.tau_suppression.mc_guard.min_raw_events), coarsened=coarsened,
            flanks=None if sideband is None else (sideband["low"], sideband["high"]),
        )  # fmt: skip
        if coarsened:
            shown = ", ".join(coarsened[:6]) + (", ..." if len(coarsened) > 6 else "")
            notes.append(
                "cls: template bins merged (M_rec^2 x third axis) so that each holds >= "
                f"{max(1.0, cfg.tau_suppression.mc_guard.min_raw_events):g} simulated background "
                f"events at {len(coarsened)} of {masses.size} masses ({shown})"
            )
        limits = {
            "expected_minus2": exp[:, 0], "expected_minus1": exp[:, 1], "expected": exp[:, 2],
            "expected_plus1": exp[:, 3], "expected_plus2": exp[:, 4], "observed": obs,
        }  # fmt: skip
        if sideband is not None:
            notes.append(
                "cls: the template fit also covers the recoil-mass sidebands (one M_rec^2 bin "
                "on each side of the window, out to the sideband's outer edge, with the "
                "signal template there too): they measure the background normalisations"
            )
        notes.append(
            "cls: CLs template fit (pyhf) on M_rec^2 x the third axis in each window; "
            "background normalisation (normsys) and simulated-statistics (staterror) "
            "nuisances; signal normsys: trigger, tracking, PID, mu mu yield, signal MC "
            "statistics, luminosity"
        )
    g_limits = {k: coupling_limits(masses, v, sigma_ref) for k, v in limits.items()}

    # ---- spectra, cut flows
    spectra = {n: result.by_sample[n]["spectrum"] * lumi for n in bkg_names}
    pick = sorted({int(np.argmin(np.abs(masses - t))) for t in (1.0, 3.0, 6.0)})
    spectrum_signals = {}
    for k in pick:
        h = result.by_sample[_signal_name(float(masses[k]))]["spectrum"]
        # normalised to sigma x BR at the median expected limit
        lim = limits["expected"][k]
        if np.isfinite(lim) and sig_norm[k] > 0:
            spectrum_signals[f"Z' {masses[k]:.2f} GeV (exp. limit)"] = h * (
                lumi * lim / sig_norm[k]
            )
    from darkscan.report.spectra import draw_pseudo_data

    rng_spec = np.random.default_rng(
        np.random.SeedSequence([seed, runner.stable_hash("pseudo-data-spectrum")])
    )
    pseudo_spectrum = draw_pseudo_data(sum(spectra.values()), rng_spec) if spectra else None
    cutflow_steps = {n: _cutflow_steps(sc[n], lumi) for n in bkg_names}
    for k in pick:
        name = _signal_name(float(masses[k]))
        cutflow_steps[f"Z' {masses[k]:.2f} GeV"] = _cutflow_steps(sc[name], lumi)
    return AnalysisResult(
        masses=masses, luminosity=lumi, method=method, cl=cl, sigma_limits=limits,
        coupling_limits=g_limits, efficiency=efficiency, efficiency_unc=eff_unc,
        background=background, n_pseudo_data=n_obs, windows=np.column_stack(
            [m2_lo + m2_w * windows[:, 0], m2_lo + m2_w * windows[:, 1]]),
        peak={**peak, "nominal_sigma": nominal}, cuts=cuts, sigma_reference=sigma_ref,
        branching_invisible=br_inv, samples=samples, cutflow_steps=cutflow_steps,
        spectra=spectra, spectrum_signals=spectrum_signals, pseudo_spectrum=pseudo_spectrum,
        raw_background={**{f"{n}/selected": raw_selected[n] for n in bkg_names},
                        **{f"{n}/window": raw_window[n] for n in bkg_names}},
        notes=notes, sideband=None if sideband is None else {
            **sideband, "low": m2_lo + m2_w * sideband["low"],
            "high": m2_lo + m2_w * sideband["high"]},
    )  # fmt: skip


# --------------------------------------------------------------------------------------
# outputs
# --------------------------------------------------------------------------------------
def _json_list(a) -> list:
    return [None if not np.isfinite(x) else float(x) for x in np.asarray(a, dtype=float).ravel()]


def write_outputs(
    res: AnalysisResult, cfg: SearchConfig, out, *, seed: int, run_info: Mapping
) -> dict[str, Path]:
    """Write limits.json, plots, cut flow, HEPData, details and manifest into ``out``."""
    from darkscan.io.atomic import write_text_atomic
    from darkscan.report.cutflow import CutFlow, write_cutflow
    from darkscan.report.exclusion import plot_exclusion
    from darkscan.report.hepdata import build_submission, write_hepdata
    from darkscan.report.results import write_limits_json, write_manifest
    from darkscan.report.spectra import plot_signal_efficiency, plot_spectrum

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    sqrt_s = float(belle2().sqrt_s)
    method_label = (
        "bayes-counting" if res.method == "bayes" else f"cls-{cfg.statistics.cls_calculator}"
    )
    metadata = {
        "search": NAME, "model": "lmu-ltau", "coupling": "g_prime",
        "confidence_level": res.cl, "method": method_label, "pseudo_data": True,
        "unblinded": False, "luminosity": res.luminosity, "sqrt_s": sqrt_s,
        "notes": "observed = pseudo-data drawn from the background model; " + "; ".join(res.notes),
    }  # fmt: skip
    files["limits"] = write_limits_json(
        out / "limits.json", res.masses, res.sigma_limits, res.coupling_limits, metadata=metadata
    )
    ok = np.isfinite(res.coupling_limits["expected"])
    if ok.any():
        files["exclusion"] = plot_exclusion(
            res.masses[ok], {k: v[ok] for k, v in res.coupling_limits.items()},
            model="lmu-ltau", g_minus_2=cfg.g_minus_2, pseudo_data=True, lumi=res.luminosity,
            sqrt_s=sqrt_s, confidence_level=res.cl, out_stem=out / "exclusion_gprime",
        )[0]  # fmt: skip
    order = [n for n in BACKGROUND_LABELS if n in res.spectra] + [
        n for n in res.spectra if n not in BACKGROUND_LABELS
    ]
    files["spectrum"] = plot_spectrum(
        {BACKGROUND_LABELS.get(n, n): res.spectra[n] for n in order},
        signals=res.spectrum_signals or None, pseudo_data=res.pseudo_spectrum,
        lumi=res.luminosity, sqrt_s=sqrt_s,
        out_stem=out / "recoil_mass_spectrum",
    )[0]  # fmt: skip
    files["efficiency"] = plot_signal_efficiency(
        res.masses, np.clip(res.efficiency, 0.0, 1.0), efficiency_unc=res.efficiency_unc,
        labels="signal efficiency (selection, window, tau suppression)", sqrt_s=sqrt_s,
        out_stem=out / "signal_efficiency",
    )[0]  # fmt: skip
    cutflow = CutFlow.from_steps(res.cutflow_steps, luminosity=res.luminosity)
    files["cutflow"] = write_cutflow(out / "cutflow.md", cutflow)
    write_cutflow(out / "cutflow.tex", cutflow)
    # HEPData tables hold the mass points with defined limits (no signal efficiency: none)
    defined = np.all([np.isfinite(v) for v in res.sigma_limits.values()], axis=0)
    defined &= np.all([np.isfinite(v) for v in res.coupling_limits.values()], axis=0)
    if not defined.any():
        raise PhysicsDomainError("no mass point has a defined limit (zero signal efficiency)")
    submission = build_submission(
        res.masses[defined], {k: v[defined] for k, v in res.sigma_limits.items()},
        {k: v[defined] for k, v in res.coupling_limits.items()},
        efficiency=np.clip(res.efficiency[defined], 0, 1),
        efficiency_unc=res.efficiency_unc[defined], cutflow=cutflow, confidence_level=res.cl,
        pseudo_data=True, luminosity=res.luminosity, sqrt_s=sqrt_s,
    )  # fmt: skip
    files["hepdata"] = write_hepdata(out / "hepdata", submission, validate=False)
    details = {
        "search": NAME,
        "pseudo_data": True,
        "mass": _json_list(res.masses),
        "window_m2": [_json_list(w) for w in res.windows],
        "peak_fit_m2": {k: _json_list(v) for k, v in res.peak.items()},
        "tau_suppression_cuts": {k: _json_list(v) for k, v in res.cuts.items()},
        "efficiency": _json_list(res.efficiency),
        "efficiency_mc_unc": _json_list(res.efficiency_unc),
        "background": {k: _json_list(v) for k, v in res.background.items()},
        "background_simulated_events": {k: _json_list(v) for k, v in res.raw_background.items()},
        "pseudo_data_counts": _json_list(res.n_pseudo_data),
        "sideband": None
        if res.sideband is None
        else {k: _json_list(v) for k, v in res.sideband.items()},
        "sigma_reference_g1": _json_list(res.sigma_reference),
        "branching_invisible": _json_list(res.branching_invisible),
        "samples": res.samples,
        "missing_backgrounds": list(res.missing_backgrounds),
        "notes": res.notes,
        "units": {"mass": "GeV", "window_m2": "GeV^2", "background": "events",
                  "sigma_reference_g1": "fb", "cross_section": "fb",
                  "equivalent_luminosity": "fb^-1"},
    }  # fmt: skip
    files["details"] = write_text_atomic(
        out / "analysis.json", json.dumps(details, indent=2) + "\n"
    )
    files["manifest"] = write_manifest(
        out / "manifest.json",
        config=cfg.model_dump(mode="json"),
        seeds={
            "run_seed": seed,
            "pseudo_data": [seed, runner.stable_hash("pseudo-data")],
            "sigma_reference": [seed, runner.stable_hash("sigma_ref")],
        },
        chunks=run_info.get("chunks", []),
        luminosities={
            "analysis": res.luminosity,
            **{f"simulated:{n}": s["equivalent_luminosity"] for n, s in res.samples.items()},
        },
        extra={k: v for k, v in run_info.items() if k != "chunks"},
    )
    return files


# --------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------
def run(
    *,
    config=None,
    luminosity: float | None = None,
    masses: Sequence[float] | None = None,
    method: str | None = None,
    out=None,
    seed: int | None = None,
    executor: str | None = None,
    n_workers: int | None = None,
    progress: bool = False,
    overrides: Mapping[str, Any] | None = None,
    resume: bool = False,
    cluster: str | None = None,
    scheduler: str | None = None,
) -> tuple[AnalysisResult, dict[str, Path]]:
    """Run the search end to end: plan -> runner -> analysis -> output files.

    Parameters
    ----------
    config : path or SearchConfig, optional
        YAML configuration (default: the shipped one).
    luminosity : float, optional
        Analysis luminosity in fb^-1 (default from the configuration, 79.7).
    masses : sequence of float, optional
        Z' masses in GeV (default: the configuration's grid).
    method : {"bayes", "cls"}, optional
    out : path, optional
        Output directory (default ``results/zprime-invisible``).
    seed : int, optional
        Run seed (default from the configuration).
    executor, n_workers : optional
        Runner executor and workers (default from the configuration).
    cluster, scheduler : str, optional
        Dask: ``cluster="local"`` starts a LocalCluster, ``scheduler="tcp://HOST:PORT"``
        connects to a running one (see :func:`darkscan.runner.run`); either selects the
        Dask executor. Results are bit-identical to the in-process run.
    progress : bool
        Rich progress bars.
    overrides : mapping, optional
        Configuration values merged over the file.
    resume : bool
        Reuse the chunks checkpointed in ``out/checkpoints`` by an interrupted (or finished)
        run with the same configuration and seed; only the missing chunks are simulated.

    Returns
    -------
    (AnalysisResult, dict of written files)
    """
    extra: dict[str, Any] = dict(overrides or {})
    if luminosity is not None:
        extra["luminosity"] = float(luminosity)
    if masses is not None:
        extra = merge_config(extra, {"signal": {"masses": [float(m) for m in masses]}})
    if method is not None:
        extra = merge_config(extra, {"statistics": {"method": method}})
    if seed is not None:
        extra = merge_config(extra, {"run": {"seed": int(seed)}})
    if isinstance(config, SearchConfig):
        cfg = SearchConfig.model_validate(merge_config(config.model_dump(), extra))
    else:
        cfg = load_search_config(config, extra or None)
    grid = mass_grid(cfg)
    out = Path("results") / NAME if out is None else Path(out)
    mva_path = None
    if cfg.tau_suppression.method == "mva":
        mva_path = out / "mva" / "tau_classifier.pkl"
        if not (resume and mva_path.is_file()):
            mva_path.parent.mkdir(parents=True, exist_ok=True)
            train_tau_classifier(cfg, grid, cfg.run.seed, mva_path)
    p = plan(cfg, grid, mva_path)
    checkpoints = out / "checkpoints"
    if not resume and checkpoints.exists():
        shutil.rmtree(checkpoints)  # a fresh run replaces the previous run's checkpoints
    t0 = time.perf_counter()
    if cluster is not None or scheduler is not None:
        executor = "dask"
    result = runner.run(
        process_chunk, p, seed=cfg.run.seed, executor=executor or cfg.run.executor,
        n_workers=n_workers or cfg.run.n_workers, progress=progress,
        run_dir=checkpoints, resume=resume, cluster=cluster, scheduler=scheduler,
    )  # fmt: skip
    t1 = time.perf_counter()
    res = analyse(result, cfg, grid, luminosity=cfg.luminosity, method=cfg.statistics.method)
    t2 = time.perf_counter()
    run_info = {
        "plan_digest": p.digest,
        "chunks": [t.name for t in p.tasks],
        "simulation_seconds": round(t1 - t0, 2),
        "analysis_seconds": round(t2 - t1, 2),
        "executor": result.executor,
        "n_workers": result.n_workers,
    }
    files = write_outputs(res, cfg, out, seed=cfg.run.seed, run_info=run_info)
    return res, files
