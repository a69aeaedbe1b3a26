"""Truth-level event generation: the event record, phase space, ISR, signal and background processes.

Signal generators are in-house and vectorised (exact tree-level matrix elements); Standard-Model
backgrounds come from Pythia 8 (``pythia8mc``). Every generator returns a :class:`Sample`.
"""

from darkscan.generate.event_record import (
    PDG_ALP,
    PDG_APRIME,
    PDG_CHI,
    PDG_CHI_SCALAR,
    Sample,
    concatenate_samples,
    events_from_arrays,
    events_from_flat,
    invisible_pdg,
)
from darkscan.generate.isr import convolve_isr, sample_isr_fractions, structure_function
from darkscan.generate.phasespace import (
    boost,
    invariant_mass,
    rambo,
    two_body_decay,
    unweight,
)
from darkscan.generate.processes.aprime_dark_higgs import generate_aprime_dark_higgs
from darkscan.generate.processes.gamma_alp import generate_gamma_alp
from darkscan.generate.processes.gamma_aprime import generate_gamma_aprime
from darkscan.generate.processes.mumu_zprime import generate_mumu_zprime
from darkscan.generate.pythia import PYTHIA_PROCESSES, generate_pythia
from darkscan.generate.registry import PROCESSES, generate

__all__ = [
    "PDG_ALP",
    "PDG_APRIME",
    "PDG_CHI",
    "PDG_CHI_SCALAR",
    "PROCESSES",
    "PYTHIA_PROCESSES",
    "Sample",
    "boost",
    "concatenate_samples",
    "convolve_isr",
    "events_from_arrays",
    "events_from_flat",
    "generate",
    "generate_aprime_dark_higgs",
    "generate_gamma_alp",
    "generate_gamma_aprime",
    "generate_mumu_zprime",
    "generate_pythia",
    "invariant_mass",
    "invisible_pdg",
    "rambo",
    "sample_isr_fractions",
    "structure_function",
    "two_body_decay",
    "unweight",
]
