"""Do the generator filters of the Z' -> invisible backgrounds lose selected events?

The default configuration of :mod:`darkscan.searches.zprime_invisible` enriches two
background samples at generator level, so that the same number of simulated events stands
for more luminosity:

* e+e- -> mu+ mu-(gamma): ``pt_cms_min`` keeps events whose true p_T(mu mu, CM) is above
  0.1 GeV (the selection requires the reconstructed p_T(mu mu, CM) > 0.2 GeV);
* e+e- -> tau+ tau-(gamma): ``tau_decay_channels`` lets both taus decay only into the
  listed channels (weights x f^2, f the sum of their branching fractions; exact, see
  :func:`darkscan.generate.tau_decays.sample_tau_pair_decays`).

A filter is safe when the events it removes would not pass the selection. For each sample
this script generates the search's sample without its filter and with it (same number of
events, the search's own generator call ``zprime_invisible._generate``), runs the Belle II
fast simulation and the search's general selection (``event_table`` and ``selection``) and
prints:

* unfiltered sample, selected events: the share of the selected weight that the filter
  would have removed (true p_T(mu mu, CM) below the filter; a tau decaying outside the
  channel list, by channel), and the p_T(mu mu, CM) resolution (reconstructed minus true:
  the margin between filter and cut is :data:`darkscan.searches.config.PT_FILTER_MARGIN`);
* both samples: the selected yield at 79.7 fb^-1 in ranges of M_rec^2 with its simulated
  statistical error, their ratio and pull (filtered / unfiltered; 1 within errors when
  nothing selected is lost), and the equivalent luminosity of each sample (events /
  cross section), i.e. the gain in simulated statistics for the same number of events.

Usage::

    python benchmarks/validate_background_filters.py [--n-events 2000000] [--seed 5]

Writes ``benchmarks/results/validate_background_filters.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import awkward as ak
import numpy as np

from darkscan import runner
from darkscan.beams import belle2
from darkscan.detector.simulate import simulate
from darkscan.generate.tau_decays import TAU_DECAY_CHANNELS
from darkscan.io.atomic import write_text_atomic
from darkscan.searches import zprime_invisible as zp
from darkscan.searches.config import load_search_config

RESULTS = Path(__file__).resolve().parent / "results"
LUMINOSITY = 79.7  # fb^-1, arXiv:2212.03066 (abstract)
M2_RANGES = ((-4.0, 0.5), (0.5, 2.0), (2.0, 8.0), (8.0, 25.0), (25.0, 50.0), (50.0, 84.0))
# tau- daughters (charged and neutral visible particles) -> channel name
_CHANNEL_OF = {
    tuple(sorted(p for p in c.pdg if abs(p) not in (12, 14, 16))): c.name
    for c in TAU_DECAY_CHANNELS
    if c.name != "other"
}


def _tau_channels(parts) -> np.ndarray:
    """(n, 2) channel names of the tau- and tau+ decay of each event (record: tau-, tau+,
    then their daughters with mother 0 and 1). "other" is the pi- pi- pi+ pi0 stand-in and
    shares its daughters with 3pi_pi0: both are reported as 3pi_pi0/other."""
    out = []
    for side, sign in ((0, 1), (1, -1)):
        d = parts[(parts.mother == side) & (abs(parts.pdg) != 12) & (abs(parts.pdg) != 14)
                  & (abs(parts.pdg) != 16) & (parts.pdg != 22)]  # fmt: skip
        # pi0 -> gamma gamma: the pi0 stays in the record (non-final mother of the photons)
        names = []
        for row in ak.to_list(d.pdg):
            key = tuple(sorted(sign * p if abs(p) not in (111, 130, 310) else p for p in row))
            name = _CHANNEL_OF.get(key, "unknown")
            names.append("3pi_pi0/other" if name == "3pi_pi0" else name)
        out.append(names)
    return np.array(out, dtype=object).T


def _true_pt_cms(parts, collider) -> np.ndarray:
    """True p_T(mu mu, CM) of the two final-state muons of each event."""
    mu = parts[(abs(parts.pdg) == 13) & parts.is_final]
    tot = np.stack([ak.to_numpy(ak.sum(mu[f], axis=1)) for f in ("E", "px", "py", "pz")], -1)
    cms = collider.to_cms(tot.astype(float))
    return np.hypot(cms[:, 1], cms[:, 2])


def run_sample(p, n_events, chunk, seed, tag, collider, *, classify):
    """Generate, simulate and select ``n_events`` of sample parameters ``p``."""
    rows = {"weight": [], "m2": [], "pt_reco": [], "pt_true": [], "channels": []}
    sigma, n_done, k = 0.0, 0, 0
    card = zp._card(p["card"])
    sel = zp.selection(p)
    while n_done < n_events:
        n = min(chunk, n_events - n_done)
        rng = runner.unit_rng(seed, f"validate_filters:{tag}", k)
        sample, factor = zp._generate({**p, "n_total": n_events}, n, rng, collider)
        sigma += sample.cross_section_fb * factor * n
        reco = simulate(sample, card, np.random.default_rng(np.random.SeedSequence([seed, k, 7])))
        table = zp.event_table(reco.events, p, collider)
        mask = sel.mask(table)
        ev = reco.events[mask]
        # events at the analysis luminosity per simulated event of this chunk
        rows["weight"].append(
            np.asarray(table["weight"])[mask] * factor * n / n_events * LUMINOSITY
        )
        rows["m2"].append(np.asarray(table["recoil_mass_squared"])[mask])
        rows["pt_reco"].append(np.asarray(table["pt_mumu_cms"])[mask])
        rows["pt_true"].append(_true_pt_cms(ev.particles, collider))
        if classify:
            rows["channels"].append(_tau_channels(ev.particles))
        n_done += n
        k += 1
    out = {kk: np.concatenate(v) for kk, v in rows.items() if v}
    out["sigma_fb"] = sigma / n_events
    out["lumi_equivalent"] = n_events / out["sigma_fb"]
    return out


def yields(d):
    res = []
    for lo, hi in M2_RANGES:
        m = (d["m2"] >= lo) & (d["m2"] < hi)
        res.append((float(d["weight"][m].sum()), float(np.sqrt(np.sum(d["weight"][m] ** 2))),
                    int(m.sum())))  # fmt: skip
    return res


def compare(name, unf, flt) -> dict:
    yu, yf = yields(unf), yields(flt)
    print(f"\n{name}: equivalent luminosity {unf['lumi_equivalent']:.2f} fb^-1 unfiltered, "
          f"{flt['lumi_equivalent']:.2f} fb^-1 filtered "
          f"(gain {flt['lumi_equivalent'] / unf['lumi_equivalent']:.2f}x for the same events)")  # fmt: skip
    print(
        f"  {'M_rec^2 range (GeV^2)':>22} {'unfiltered':>18} {'filtered':>18} {'ratio':>7} {'pull':>6}"
    )
    rows = []
    for (lo, hi), (a, ea, na), (b, eb, nb) in zip(M2_RANGES, yu, yf, strict=True):
        err = np.hypot(ea, eb)
        ratio = b / a if a > 0 else float("nan")
        pull = (b - a) / err if err > 0 else 0.0
        print(f"  {lo:>10.1f} .. {hi:<8.1f} {a:>10.1f} +- {ea:<6.1f} {b:>10.1f} +- {eb:<6.1f} "
              f"{ratio:>7.3f} {pull:>6.2f}   ({na} / {nb} simulated)")  # fmt: skip
        rows.append({"m2_range": [lo, hi], "unfiltered": [a, ea, na], "filtered": [b, eb, nb],
                     "ratio": ratio, "pull": pull})  # fmt: skip
    chi2 = float(sum(r["pull"] ** 2 for r in rows))
    print(f"  chi2 / ndf of the pulls: {chi2:.2f} / {len(rows)}")
    return {"ranges": rows, "chi2": chi2, "ndf": len(rows),
            "lumi_equivalent": [unf["lumi_equivalent"], flt["lumi_equivalent"]]}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-events", type=int, default=2_000_000)
    ap.add_argument("--chunk", type=int, default=250_000)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--output", default=str(RESULTS / "validate_background_filters.json"))
    args = ap.parse_args()
    t0 = time.time()
    cfg = load_search_config()
    collider = belle2()
    _, params = zp.sample_params(cfg, [])
    report = {"n_events": args.n_events, "seed": args.seed, "luminosity": LUMINOSITY}

    # ---- mu mu(gamma): p_T filter
    p_f = {**params["mumu"], "mva_path": None}
    cut = p_f["pt_cms_min"]
    p_u = {**p_f, "pt_cms_min": None}
    unf = run_sample(p_u, args.n_events, args.chunk, args.seed, "mumu", collider, classify=False)
    flt = run_sample(p_f, args.n_events, args.chunk, args.seed, "mumu_pt", collider, classify=False)
    w = unf["weight"]
    lost = unf["pt_true"] < cut
    res = unf["pt_reco"] - unf["pt_true"]
    q = np.percentile(res, [0.135, 2.275, 15.87, 50, 84.13, 97.725, 99.865])
    print(f"mu mu(gamma), filter true p_T(mu mu, CM) > {cut} GeV:")
    print(f"  selected (unfiltered): {w.size} simulated events, {w.sum():.1f} at 79.7 fb^-1")
    print(f"  of which true p_T < {cut} GeV: {int(lost.sum())} events, weight share "
          f"{w[lost].sum() / max(w.sum(), 1e-300):.2e}; smallest true p_T {unf['pt_true'].min():.4f} GeV")  # fmt: skip
    scan = {}
    for c in (0.02, 0.03, 0.05, 0.075, 0.1, 0.15):
        m = unf["pt_true"] < c
        scan[c] = float(w[m].sum() / max(w.sum(), 1e-300))
    print(
        "  share of the selected weight with true p_T below: "
        + ", ".join(f"{c:g} GeV {v:.1e}" for c, v in scan.items())
    )
    lost_m2 = unf["m2"][lost]
    if lost.any():
        print(
            f"  their M_rec^2: median {np.median(lost_m2):.2f} GeV^2, range "
            f"{lost_m2.min():.2f} .. {lost_m2.max():.2f}"
        )
    print(
        "  p_T(mu mu, CM) resolution, reco - true: percentiles (-3..+3 sigma) "
        + " ".join(f"{x:+.4f}" for x in q)
        + f" GeV; half 68% width {(q[4] - q[2]) / 2:.4f} GeV"
    )
    report["mumu"] = {
        "filter_pt_cms_min": cut,
        "selected_unfiltered": int(w.size),
        "lost_events": int(lost.sum()),
        "lost_weight_share": float(w[lost].sum() / max(w.sum(), 1e-300)),
        "lost_weight_share_by_filter": scan,
        "min_true_pt": float(unf["pt_true"].min()),
        "pt_resolution_percentiles": q.tolist(),
        "comparison": compare("mu mu(gamma)", unf, flt),
    }

    # ---- tau tau(gamma): decay channels
    p_f = {**params["tautau"], "mva_path": None}
    keep = set(p_f["tau_decay_channels"] or [])
    p_u = {**p_f, "tau_decay_channels": None}
    unf = run_sample(p_u, args.n_events, args.chunk, args.seed, "tautau", collider, classify=True)
    flt = run_sample(
        p_f, args.n_events, args.chunk, args.seed, "tautau_ch", collider, classify=True
    )
    w, ch = unf["weight"], unf["channels"]
    outside = ~np.isin(ch, sorted(keep)).all(axis=1)
    print(f"\ntau tau(gamma), decay channels {sorted(keep)}:")
    print(f"  selected (unfiltered): {w.size} simulated events, {w.sum():.1f} at 79.7 fb^-1")
    print(
        f"  with a tau outside the list: {int(outside.sum())} events, weight share "
        f"{w[outside].sum() / max(w.sum(), 1e-300):.2e}"
    )
    shares = {}
    for name in sorted(set(ch.ravel())):
        m = (ch == name).any(axis=1)
        shares[name] = float(w[m].sum() / max(w.sum(), 1e-300))
    print(
        "  share of the selected weight with a tau decaying into: "
        + ", ".join(f"{k} {v:.3f}" for k, v in sorted(shares.items(), key=lambda x: -x[1]))
    )
    report["tautau"] = {
        "channels": sorted(keep),
        "selected_unfiltered": int(w.size),
        "outside_events": int(outside.sum()),
        "outside_weight_share": float(w[outside].sum() / max(w.sum(), 1e-300)),
        "channel_shares": shares,
        "comparison": compare("tau tau(gamma)", unf, flt),
    }
    report["wall_seconds"] = time.time() - t0
    write_text_atomic(Path(args.output), json.dumps(report, indent=1))
    print(f"\nwritten {args.output} ({report['wall_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
