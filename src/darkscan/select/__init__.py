"""Event selection: reconstruction-level quantities, cuts and vetoes, MVA, histograms.

Works on the reconstructed-event record of :mod:`darkscan.detector` (or basf2 ntuples read by
:mod:`darkscan.io`): per event ``tracks``, ``clusters``, ``trigger`` and ``weight``, in the lab
frame; CM-frame quantities carry the ``_cms`` suffix.
"""

from darkscan.select.cuts import ZPRIME_CUT_DEFAULTS, Cut, CutFlow, Selection, zprime_selection
from darkscan.select.histograms import (
    expected_yield,
    mass_bins_from_resolution,
    recoil_histograms,
    recoil_mass_histogram,
    recoil_mass_squared_theta_histogram,
)
from darkscan.select.kinematics import (
    cms_variables,
    dimuon_variables,
    extra_energy,
    invariant_mass,
    n_pi0_candidates,
    recoil_mass,
    recoil_mass_squared,
    signed_sqrt,
)
from darkscan.select.mva import BoostedTreeClassifier, evaluation_mask, train_classifier

__all__ = [
    "ZPRIME_CUT_DEFAULTS",
    "BoostedTreeClassifier",
    "Cut",
    "CutFlow",
    "Selection",
    "cms_variables",
    "dimuon_variables",
    "evaluation_mask",
    "expected_yield",
    "extra_energy",
    "invariant_mass",
    "mass_bins_from_resolution",
    "n_pi0_candidates",
    "recoil_histograms",
    "recoil_mass",
    "recoil_mass_histogram",
    "recoil_mass_squared",
    "recoil_mass_squared_theta_histogram",
    "signed_sqrt",
    "train_classifier",
    "zprime_selection",
]
