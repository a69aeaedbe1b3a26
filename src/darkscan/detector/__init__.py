"""Parametric fast simulation of Belle II driven by a detector card (TOML).

Truth samples in, reconstructed tracks, ECL clusters, displaced vertices and trigger flags
out, with basf2-style variable names, in the lab frame.
"""

from darkscan.detector.card import DetectorCard, card_hash, card_to_toml, load_card
from darkscan.detector.simulate import (
    RecoSample,
    read_reco_sample,
    simulate,
    simulate_events,
    simulate_events_reference,
    write_reco_sample,
)
from darkscan.detector.trigger import TRIGGER_LINES

__all__ = [
    "TRIGGER_LINES",
    "DetectorCard",
    "RecoSample",
    "card_hash",
    "card_to_toml",
    "load_card",
    "read_reco_sample",
    "simulate",
    "simulate_events",
    "simulate_events_reference",
    "write_reco_sample",
]
