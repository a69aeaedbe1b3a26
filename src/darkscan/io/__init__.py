"""Input and output: basf2 ntuples (uproot), Parquet samples, limit tables, atomic writes."""

from darkscan.io.atomic import atomic_output, write_text_atomic
from darkscan.io.basf2 import (
    ZPRIME_INVISIBLE_MAPPING,
    best_candidate,
    escape_variable_name,
    group_candidates,
    iterate_basf2,
    plan_entry_ranges,
    read_basf2_ntuple,
    to_reco_events,
    unescape_branch_name,
)
from darkscan.io.limits_table import read_limits_table, write_limits_table
from darkscan.io.parquet import read_sample, read_sample_metadata, write_sample

__all__ = [
    "ZPRIME_INVISIBLE_MAPPING",
    "atomic_output",
    "best_candidate",
    "escape_variable_name",
    "group_candidates",
    "iterate_basf2",
    "plan_entry_ranges",
    "read_basf2_ntuple",
    "read_limits_table",
    "read_sample",
    "read_sample_metadata",
    "to_reco_events",
    "unescape_branch_name",
    "write_limits_table",
    "write_sample",
    "write_text_atomic",
]
