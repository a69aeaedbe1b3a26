"""Why do e+e- -> mu+ mu-(gamma) events survive the Z' -> invisible selection at low recoil mass?

The Z' -> invisible search (:mod:`darkscan.searches.zprime_invisible`) is dominated at
M_Z' ~ 0.6-1 GeV by e+e- -> mu+ mu-(gamma): the radiated photon(s) must go unseen for the
event to pass the photon veto and the extra-energy cut. This study generates the search's own
mu mu(gamma) sample (the search's ``_generate`` with the ``mumu`` sample parameters of
:func:`~darkscan.searches.zprime_invisible.sample_params`), simulates it with the Belle II
fast simulation (:func:`darkscan.detector.simulate.simulate`), applies the search's general
selection (:func:`~darkscan.searches.zprime_invisible.event_table` and
:func:`~darkscan.searches.zprime_invisible.selection`) and, for the events in the M_rec^2
windows of the 0.63 GeV and 0.94 GeV (grid point nearest 1 GeV) mass hypotheses, classifies
the *leading* truth photon (highest CM energy) by the reason it left no veto:

1. ``outside_acceptance``: lab polar angle < forward_theta_min (12.4 deg) or >
   backward_theta_max (155.1 deg) of the card (beam pipe);
2. ``gap``: in a barrel-endcap gap (31.4-32.2 deg or 128.7-130.7 deg);
5. ``merged_with_muon``: within the card's ``merge_angle`` of a muon's true direction and
   the muon's cluster holds its deposit (cluster energy above mip_energy + 3 mip_energy_width,
   or photon energy below 3 mip_energy_width where this cannot be told); a photon near a muon
   whose cluster is a bare MIP was lost (class 3 or 4);
4. ``below_threshold``: true energy below ``energy_threshold`` + 2 sigma_E (cannot make a
   cluster or fluctuates below the threshold);
3. ``photon_inefficiency``: inside the ECL, above threshold, not merged, and no cluster has it
   as leading truth particle (``clusters.mcIndex``): lost to ``photon_efficiency``;
6. ``other``: the photon *was* reconstructed (its own cluster) but the event still passed
   (cluster below ``veto_cluster_energy_min`` or farther than 15 deg from the recoil, extra
   energy below the cut), or the event has no photon at all (recoil from the momentum
   resolution only).

Also recorded: the fraction of events with >= 2 photons above 0.1 GeV (CM), the truth recoil
mass squared of the muon pair (is the recoil mass physical or resolution?) and, per class, the
true recoil polar angle (lab) and the leading photon's angle to the reconstructed recoil.

Then the photon efficiency of the card is varied (0.98 shipped, 0.995, 0.999, 0.9999): a
modified copy of the card (TOML, only ``calorimeter.photon_efficiency`` changed) is written
to a temporary folder and its path is put in the sample parameters' ``card`` entry, which is
how the search picks its card (``zprime_invisible._card(p["card"])`` ->
:func:`darkscan.detector.card.load_card`). The same truth events and the same simulation
seed are used for every card (common random numbers), so the differences are the efficiency.
The window yields are given after the general selection (``general``), after the per-window
p_T(mu mu, CM) range of the default run (``pt``) and, with ``--mva``, also after its BDT score
cut (``pt_score``), scaled to 79.7 fb^-1, as direct sums of simulated weights (no
:func:`~darkscan.searches.zprime_invisible.smooth_background`). The classification is done
for every card of the scan, in each of these three stages.

References
----------
Belle II, PRL 124, 141801 (2020), arXiv:1912.11276; PRL 130, 231801 (2023), arXiv:2212.03066.
ECL acceptance: basf2 analysis/variables/src/AcceptanceVariables.cc (card comments).

Usage::

    python benchmarks/study_low_mass_background.py [--n-events 2000000] [--seed 11]
        [--mva results/zprime-invisible/mva/tau_classifier.pkl]

Writes ``benchmarks/results/study_low_mass_background.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
import time
from importlib import resources
from pathlib import Path

import awkward as ak
import numpy as np

from darkscan import runner
from darkscan.beams import belle2
from darkscan.detector.calorimeter import energy_resolution
from darkscan.detector.simulate import simulate
from darkscan.io.atomic import write_text_atomic
from darkscan.searches import zprime_invisible as zp
from darkscan.searches.config import load_search_config

RESULTS = Path(__file__).resolve().parent / "results"
LUMINOSITY = 79.7  # fb^-1, arXiv:2212.03066 (abstract)
EFFICIENCIES = (0.98, 0.995, 0.999, 0.9999)
# Windows in M_rec^2 (GeV^2) and per-window tau-suppression cuts of the default run
# (`darkscan run zprime-invisible`, analysis.json: window_m2, tau_suppression_cuts) at the
# grid masses 0.6327 and 0.9397 GeV (the grid point nearest 1 GeV).
WINDOWS = {
    "0.63": {"mass": 0.6327, "m2": (0.20, 0.72), "pt": (0.6, 4.0), "score_min": 0.1},
    "0.94": {"mass": 0.9397, "m2": (0.64, 1.24), "pt": (0.8, 4.5), "score_min": 0.2},
}
CLASSES = (
    "outside_acceptance",
    "gap",
    "photon_inefficiency",
    "below_threshold",
    "merged_with_muon",
    "other_photon_reconstructed",
    "other_no_photon",
)


def modified_card(folder: Path, efficiency: float) -> Path:
    """Copy of the shipped Belle II card with ``calorimeter.photon_efficiency`` replaced."""
    text = (resources.files("darkscan") / "data" / "cards" / "belle2.toml").read_text()
    new, n = re.subn(
        r"^photon_efficiency\s*=\s*[0-9.eE+-]+", f"photon_efficiency = {efficiency!r}", text,
        flags=re.M,
    )  # fmt: skip
    if n != 1:
        raise RuntimeError("photon_efficiency line not found in belle2.toml")
    path = folder / f"belle2_photon_eff_{efficiency}.toml"
    path.write_text(new)
    return path


def _unit(v):
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def classify(events, card, collider) -> dict[str, np.ndarray]:
    """Per selected event: why the photon(s) left no veto, and diagnostics.

    ``events`` are the reconstructed events (with the truth ``particles``) that passed the
    selection. Two photons are classified per event: the leading one (highest CM energy,
    key ``cls``) and the one closest in angle to the true recoil direction among photons
    above 0.1 GeV in the CM frame (``cls_recoil``; the leading one if there is none). Returns
    arrays with one entry per event.
    """
    cal = card.calorimeter
    parts = events.particles
    idx = ak.local_index(parts.pdg)
    final = parts.is_final & ~parts.is_invisible
    is_ph = final & (parts.pdg == 22)
    is_mu = final & (abs(parts.pdg) == 13)
    ph, ph_idx = parts[is_ph], idx[is_ph]
    n_ev = len(events)

    def p4(x):
        return np.stack(
            [ak.to_numpy(ak.flatten(x[f])).astype(float) for f in ("E", "px", "py", "pz")], -1
        )

    counts = ak.to_numpy(ak.num(ph.E))
    ph4 = p4(ph)
    ph_local = ak.to_numpy(ak.flatten(ph_idx)).astype(np.int64)
    ph_cms_e = collider.to_cms(ph4)[:, 0]
    ev_of = np.repeat(np.arange(n_ev), counts)
    mu4 = p4(parts[is_mu]).reshape(n_ev, -1, 4)  # the two final-state muons
    mu_local = ak.to_numpy(ak.flatten(idx[is_mu])).astype(np.int64).reshape(n_ev, -1)
    beam = collider.to_lab(np.array([float(collider.sqrt_s), 0.0, 0.0, 0.0]))
    rec = beam - mu4.sum(axis=1)  # truth recoil of the muon pair (lab)
    m2_true = rec[:, 0] ** 2 - np.sum(rec[:, 1:] ** 2, axis=1)
    rec_theta_true = np.degrees(np.arctan2(np.hypot(rec[:, 1], rec[:, 2]), rec[:, 3]))
    ang_rec = np.degrees(
        np.arccos(np.clip(np.sum(_unit(ph4[:, 1:]) * _unit(rec[ev_of, 1:]), axis=1), -1, 1))
    )
    n_hard = np.bincount(ev_of, weights=(ph_cms_e > 0.1), minlength=n_ev)

    def pick(key):
        """Flat photon index per event minimising ``key`` (-1 if the event has no photon)."""
        out = np.full(n_ev, -1)
        order = np.lexsort((key, ev_of))
        first = np.ones(order.size, dtype=bool)
        first[1:] = ev_of[order][1:] != ev_of[order][:-1]
        out[ev_of[order][first]] = order[first]
        return out

    lead = pick(-ph_cms_e)
    near = pick(np.where(ph_cms_e > 0.1, ang_rec, 1e3 - ph_cms_e))
    cl_mc = events.clusters.mcIndex

    def one(choice):
        has = choice >= 0
        c = np.maximum(choice, 0)
        v = np.where(has[:, None], ph4[c] if len(ph4) else 0.0, 0.0)
        theta = np.degrees(np.arctan2(np.hypot(v[:, 1], v[:, 2]), v[:, 3]))
        local = np.where(has, ph_local[c] if len(ph4) else -1, -1)
        cos_mu = np.einsum("ekj,ej->ek", _unit(mu4[..., 1:]), _unit(v[:, 1:]))
        angle_mu = np.degrees(np.arccos(np.clip(cos_mu.max(axis=1), -1, 1)))
        # energy of the cluster of the nearest muon's track: above a MIP + 3 widths, the
        # photon's deposit is in it (merged); otherwise the photon left no deposit there
        near_mu = mu_local[np.arange(n_ev), np.argmax(cos_mu, axis=1)]
        tr = events.tracks
        mu_cluster_e = ak.to_numpy(ak.fill_none(ak.max(ak.where(
            tr.mcIndex == ak.Array(near_mu), tr.clusterE, 0.0), axis=1), 0.0))  # fmt: skip
        mip_hi = cal.mip_energy + 3.0 * cal.mip_energy_width
        # a cluster with this photon as leading truth particle exists
        own = ak.to_numpy(ak.any(cl_mc == ak.Array(local), axis=1)) & has
        e_true = v[:, 0]
        thr = cal.energy_threshold + 2.0 * energy_resolution(np.maximum(e_true, 1e-3), cal)
        tests = (
            ("outside_acceptance",
             (theta < cal.forward_theta_min) | (theta > cal.backward_theta_max)),
            ("gap", ((theta > cal.forward_theta_max) & (theta < cal.barrel_theta_min))
             | ((theta > cal.barrel_theta_max) & (theta < cal.backward_theta_min))),
            ("merged_with_muon", (angle_mu < np.degrees(cal.merge_angle))
             & ((mu_cluster_e > mip_hi) | (e_true < 3.0 * cal.mip_energy_width))),
            ("below_threshold", e_true < thr),
            ("photon_inefficiency", ~own),
            ("other_photon_reconstructed", own),
        )  # fmt: skip
        cls = np.full(n_ev, "other_no_photon", dtype=object)
        rest = has.copy()
        for name, m in tests:
            cls[rest & m] = name
            rest &= ~m
        return {
            "cls": cls,
            "theta": theta,
            "e_cms": np.where(has, ph_cms_e[c] if len(ph4) else 0.0, 0.0),
            "angle_recoil": np.where(has, ang_rec[c] if len(ph4) else np.nan, np.nan),
        }

    a, b = one(lead), one(near)
    return {
        "cls": a["cls"],
        "lead_theta": a["theta"],
        "lead_e_cms": a["e_cms"],
        "angle_photon_recoil": a["angle_recoil"],
        "cls_recoil": b["cls"],
        "n_photons_above_0p1_cms": n_hard,
        "m2_true": m2_true,
        "recoil_theta_true": rec_theta_true,
    }


def _summarise(parts: list, wname: str) -> dict:
    """Class fractions (weighted) and diagnostics of the classified events of one window."""
    d = {kk: np.concatenate([x[kk] for x in parts]) for kk in parts[0]}
    res = {}
    labels = (
        ("general", np.ones(d["weight"].size, bool)),
        ("pt", d["pt_pass"]),
        ("pt_score", d["pt_score_pass"]),
    )
    for label, sel in labels:
        if not sel.any():
            res[label] = {"events": 0.0, "simulated": 0}
            continue
        wsum = d["weight"][sel].sum()
        rows = {}
        for c in CLASSES:
            m = sel & (d["cls"] == c)
            rows[c] = {
                "fraction": float(d["weight"][m].sum() / wsum) if wsum else 0.0,
                "simulated": int(m.sum()),
                "median_lead_theta_deg": float(np.median(d["lead_theta"][m])) if m.any() else None,
                "median_lead_e_cms": float(np.median(d["lead_e_cms"][m])) if m.any() else None,
                "median_recoil_theta_true_deg": float(np.median(d["recoil_theta_true"][m])) if m.any() else None,
                "median_angle_photon_recoil_deg": float(np.nanmedian(d["angle_photon_recoil"][m])) if m.any() and np.isfinite(d["angle_photon_recoil"][m]).any() else None,
                "fraction_multi_photon": float(np.mean(d["n_photons_above_0p1_cms"][m] >= 2)) if m.any() else None,
            }  # fmt: skip
        lo, hi = WINDOWS[wname]["m2"]
        near = {
            c: float(d["weight"][sel & (d["cls_recoil"] == c)].sum() / wsum) if wsum else 0.0
            for c in CLASSES
        }
        res[label] = {
            "classes": rows,
            "classes_photon_nearest_recoil": near,
            "events": float(wsum),
            "simulated": int(sel.sum()),
            "fraction_multi_photon": float(np.mean(d["n_photons_above_0p1_cms"][sel] >= 2)),
            "fraction_truth_m2_in_window": float(np.mean((d["m2_true"][sel] > lo) & (d["m2_true"][sel] < hi))),
            "median_truth_m2": float(np.median(d["m2_true"][sel])),
        }  # fmt: skip
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-events", type=int, default=2_000_000)
    ap.add_argument("--chunk", type=int, default=250_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--mva", default=None, help="tau classifier of a run (score cut)")
    ap.add_argument("--output", default=str(RESULTS / "study_low_mass_background.json"))
    args = ap.parse_args()
    t0 = time.time()
    cfg = load_search_config()
    collider = belle2()
    _, params = zp.sample_params(cfg, [])
    base = {**params["mumu"], "n_total": args.n_events, "mva_path": None}
    clf = None
    if args.mva:
        from darkscan.select.mva import load_classifier

        clf = load_classifier(args.mva)
    tmp = Path(tempfile.mkdtemp(prefix="darkscan_cards_"))
    card_paths = {eff: str(modified_card(tmp, eff)) for eff in EFFICIENCIES}
    nominal = zp._card(base["card"])
    if zp._card(card_paths[0.98]) != nominal:
        raise RuntimeError("card copy with photon_efficiency 0.98 differs from the shipped card")
    yields = {eff: {w: {"general": [0.0, 0], "pt": [0.0, 0], "pt_score": [0.0, 0]}
                    for w in WINDOWS} for eff in EFFICIENCIES}  # fmt: skip
    diag = {(eff, w): [] for eff in EFFICIENCIES for w in WINDOWS}
    n_done, k = 0, 0
    while n_done < args.n_events:
        n = min(args.chunk, args.n_events - n_done)
        rng = runner.unit_rng(args.seed, "study_low_mass:mumu", k)
        sample, factor = zp._generate(base, n, rng, collider)
        scale = factor * n / args.n_events * LUMINOSITY
        sim_seed = np.random.SeedSequence(entropy=args.seed, spawn_key=(k, 7))
        for eff in EFFICIENCIES:
            p = {**base, "card": card_paths[eff]}
            card = zp._card(p["card"])
            reco = simulate(sample, card, np.random.default_rng(sim_seed))
            table = zp.event_table(reco.events, p, collider)
            mask = zp.selection(p).mask(table)
            w = table["weight"] * scale
            sel_tab = {kk: np.asarray(v)[mask] for kk, v in table.items()}
            score = clf.score(sel_tab) if (clf is not None and mask.any()) else None
            for wname, win in WINDOWS.items():
                m2 = table["recoil_mass_squared"]
                inw = mask & (m2 > win["m2"][0]) & (m2 < win["m2"][1])
                pt = table["pt_mumu_cms"]
                ptc = inw & (pt > win["pt"][0]) & (pt < win["pt"][1])
                y = yields[eff][wname]
                y["general"][0] += float(w[inw].sum())
                y["general"][1] += int(inw.sum())
                y["pt"][0] += float(w[ptc].sum())
                y["pt"][1] += int(ptc.sum())
                sc = ptc
                if score is not None:
                    full = np.zeros(mask.size)
                    full[mask] = score
                    sc = ptc & (full > win["score_min"])
                    y["pt_score"][0] += float(w[sc].sum())
                    y["pt_score"][1] += int(sc.sum())
                if inw.any():
                    ev = reco.events[inw]
                    d = classify(ev, card, collider)
                    d["weight"] = w[inw]
                    d["pt_pass"] = ptc[inw]
                    d["pt_score_pass"] = (sc if score is not None else ptc)[inw]
                    diag[eff, wname].append(d)
        n_done += n
        k += 1
        print(f"{n_done} events, {time.time() - t0:.0f} s", flush=True)
    shutil.rmtree(tmp, ignore_errors=True)

    out = {
        "description": __doc__.splitlines()[0],
        "n_events": args.n_events,
        "seed": args.seed,
        "luminosity": LUMINOSITY,
        "windows": WINDOWS,
        "card": {
            kk: getattr(nominal.calorimeter, kk)
            for kk in (
                "forward_theta_min",
                "forward_theta_max",
                "barrel_theta_min",
                "barrel_theta_max",
                "backward_theta_min",
                "backward_theta_max",
                "energy_threshold",
                "photon_efficiency",
                "merge_angle",
            )
        },
        "yields_vs_photon_efficiency": {
            str(eff): {
                w: {c: {"events": v[0], "simulated": v[1]} for c, v in y.items()}
                for w, y in yw.items()
            }
            for eff, yw in yields.items()
        },
        "mva": args.mva,
        "runtime_s": time.time() - t0,
    }
    out["classification_vs_photon_efficiency"] = {str(eff): {} for eff in EFFICIENCIES}
    for (eff, wname), parts in diag.items():
        if parts:
            out["classification_vs_photon_efficiency"][str(eff)][wname] = _summarise(parts, wname)
    out["classification"] = out["classification_vs_photon_efficiency"]["0.98"]
    RESULTS.mkdir(exist_ok=True)
    write_text_atomic(Path(args.output), json.dumps(out, indent=2, default=float))
    print(json.dumps({"classification": out["classification"],
                      "yields": out["yields_vs_photon_efficiency"]}, indent=1, default=float))  # fmt: skip


if __name__ == "__main__":
    main()
