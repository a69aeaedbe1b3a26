"""Results as files: exclusion plots, spectra, cut-flow tables, limits JSON, HEPData.

Every file is written atomically (temporary name, then rename).
"""

from darkscan.report.cutflow import (
    CutFlow,
    cutflow_latex,
    cutflow_markdown,
    cutflow_rich,
    write_cutflow,
)
from darkscan.report.exclusion import g_minus_2_region, plot_exclusion, read_reference_curve
from darkscan.report.hepdata import build_submission, write_hepdata
from darkscan.report.model_plots import plot_branching_ratios
from darkscan.report.results import (
    Limits,
    LimitsMetadata,
    collect_versions,
    read_limits_json,
    read_manifest,
    write_limits_json,
    write_manifest,
)
from darkscan.report.spectra import plot_signal_efficiency, plot_spectrum, poisson_interval

__all__ = [
    "CutFlow",
    "Limits",
    "LimitsMetadata",
    "build_submission",
    "collect_versions",
    "cutflow_latex",
    "cutflow_markdown",
    "cutflow_rich",
    "g_minus_2_region",
    "plot_branching_ratios",
    "plot_exclusion",
    "plot_signal_efficiency",
    "plot_spectrum",
    "poisson_interval",
    "read_limits_json",
    "read_manifest",
    "read_reference_curve",
    "write_cutflow",
    "write_hepdata",
    "write_limits_json",
    "write_manifest",
]
