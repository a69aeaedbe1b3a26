"""Validate the Pythia 8 Standard-Model cross sections against the Belle II Physics Book table.

Runs every process of :data:`darkscan.generate.pythia.PYTHIA_PROCESSES` at the Belle II
collider (a few thousand events each), takes Pythia's cross section after the run and
compares it with :data:`darkscan.models.sm_cross_sections.SM_CROSS_SECTIONS` (Belle II
Physics Book, arXiv:1808.10567, KKMC / BabaYaga@NLO / AAFH values at sqrt(s) = 10.58 GeV).
Prints a table with the ratio Pythia / table and, for every difference above 10 %, the
explanation (different generator-level cuts, different physics content). Extra rows
quantify the explanations (process-level runs with a lower mass cut, the Kuraev-Fadin ISR
convolution of :mod:`darkscan.generate.isr`).

Writes ``benchmarks/results/validate_sm_cross_sections.json``.

Usage::

    python benchmarks/validate_sm_cross_sections.py [--n-events 3000]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from darkscan.beams import belle2
from darkscan.generate.isr import convolve_isr
from darkscan.generate.pythia import PYTHIA_PROCESSES, generate_pythia
from darkscan.models.sm_cross_sections import SM_CROSS_SECTIONS, born_mumu_cross_section

RESULTS = Path(__file__).resolve().parent / "results" / "validate_sm_cross_sections.json"
_NB = 1.0e6  # fb per nb


def _isr_ratio(s: float, m_low: float, m_high: float) -> float:
    """KF-ISR cross section with m > m_low divided by the one with m > m_high (1/s' Born)."""

    def born(sp):
        return born_mumu_cross_section(np.sqrt(sp), 0.0)

    return convolve_isr(born, s, m_low**2) / convolve_isr(born, s, m_high**2)


def _explanations(s: float) -> dict[str, str]:
    low_q = _isr_ratio(s, 0.5, 2.0)
    return {
        "mumu": "KKMC includes O(alpha) virtual+real corrections and hadronic vacuum "
        "polarisation; Pythia: LL electron PDF, first-order leptonic running alpha.",
        "tautau": "as mu mu; Pythia cuts m(tau tau) > 3.56 GeV (threshold).",
        "uubar": (
            f"Pythia sample cut at m(q qbar) > 2 GeV (no string below); the ISR radiative "
            f"return between 0.5 and 2 GeV adds {100 * (low_q - 1):.0f} % (KF convolution; "
            f"Pythia's own lepton PDF: see the 'm > 0.5 GeV, process level' row); the rest: "
            f"KKMC's O(alpha) corrections, hadronic vacuum polarisation, quark masses."
        ),
        "ddbar": "same as u ubar (m(q qbar) > 2 GeV cut).",
        "ssbar": "same as u ubar (m(q qbar) > 2 GeV cut).",
        "ccbar": "Pythia cut m(c cbar) > 3.8 GeV (open-charm threshold).",
        "eemumu": (
            "different physics and cuts: Pythia uses collinear photons from the electron PDF "
            "(equivalent-photon approximation, LL) with its pT_hat > 0.5 GeV cut (hence "
            "W > 1 GeV); AAFH is the full e+e- -> e+e- mu+mu- matrix element with only "
            "W > 0.5 GeV, dominated by W < 1 GeV and low pT. Pythia's EPA with scattered "
            "beam leptons (PDF:beamA2gamma) only allows W > 5 GeV. Use for muon pairs with "
            "pT > 0.5 GeV only; an in-house generator is needed for the full process."
        ),
        "eeee": "same as e+e- mu+mu- (pT_hat > 0.5 GeV, collinear photons).",
        "gammagamma": (
            "Pythia cut pT_hat > (sqrt(s)/2) sin 10 deg on the 2 -> 2 process after ISR, "
            "not the exact 10-170 deg, E > 0.15 GeV photon selection of BabaYaga@NLO; no "
            "O(alpha) virtual corrections."
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-events", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()

    collider = belle2()
    table = {row.process: row for row in SM_CROSS_SECTIONS}
    explain = _explanations(collider.s)
    seeds = np.random.SeedSequence(args.seed).spawn(len(PYTHIA_PROCESSES) + 1)
    rows = []
    for seq, name in zip(seeds, PYTHIA_PROCESSES, strict=False):
        t0 = time.perf_counter()
        sample = generate_pythia(name, collider, args.n_events, np.random.default_rng(seq))
        dt = time.perf_counter() - t0
        ref = table[PYTHIA_PROCESSES[name].table]
        ratio = sample.cross_section_fb / ref.cross_section
        rows.append(
            {
                "process": name,
                "pythia_nb": sample.cross_section_fb / _NB,
                "pythia_unc_nb": sample.cross_section_uncertainty_fb / _NB,
                "table_nb": ref.cross_section / _NB,
                "table_generator": ref.generator,
                "table_cuts": ref.cuts,
                "pythia_cuts": sample.generator_cuts,
                "ratio": ratio,
                "seconds": dt,
                "explanation": explain[name] if abs(ratio - 1.0) > 0.10 else "",
            }
        )
    # quantify the light-quark explanation: u ubar with m > 0.5 GeV at process level
    sample = generate_pythia(
        "uubar",
        collider,
        args.n_events,
        np.random.default_rng(seeds[-1]),
        settings={
            "23:mMin": 0.5,
            "PhaseSpace:mHatMin": 0.5,
            "PartonLevel:all": "off",
            "HadronLevel:all": "off",
        },
    )
    ref = table["uubar"]
    rows.append(
        {
            "process": "uubar m>0.5 GeV, process level",
            "pythia_nb": sample.cross_section_fb / _NB,
            "pythia_unc_nb": sample.cross_section_uncertainty_fb / _NB,
            "table_nb": ref.cross_section / _NB,
            "table_generator": ref.generator,
            "table_cuts": ref.cuts,
            "pythia_cuts": {"m_hat_min": 0.5},
            "ratio": sample.cross_section_fb / ref.cross_section,
            "seconds": 0.0,
            "explanation": "check of the u ubar explanation (no hadronisation)",
        }
    )

    print(
        f"Pythia 8 vs Belle II Physics Book (arXiv:1808.10567), sqrt(s) = "
        f"{collider.sqrt_s:.4f} GeV (table: 10.58 GeV), {args.n_events} events per process\n"
    )
    header = (
        f"{'process':<32} {'Pythia [nb]':>18} {'table [nb]':>11} {'generator':>13} {'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        pyth = f"{r['pythia_nb']:.4f} +- {r['pythia_unc_nb']:.4f}"
        print(
            f"{r['process']:<32} {pyth:>18} {r['table_nb']:>11.4g} "
            f"{r['table_generator']:>13} {r['ratio']:>7.3f}"
        )
    print()
    for r in rows:
        if r["explanation"]:
            print(f"* {r['process']}: {r['explanation']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"n_events": args.n_events, "rows": rows}, indent=2) + "\n")
    print(f"\nwritten {RESULTS}")


if __name__ == "__main__":
    main()
