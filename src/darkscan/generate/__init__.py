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
from darkscan.generate.processes.gamma_alp import generate_gamma_alp
from darkscan.generate.processes.gamma_aprime import generate_gamma_aprime
from darkscan.generate.pythia import PYTHIA_PROCESSES, generate_pythia

__all__ = [
    "PDG_ALP",
    "PDG_APRIME",
    "PDG_CHI",
    "PDG_CHI_SCALAR",
    "PYTHIA_PROCESSES",
    "Sample",
    "boost",
    "concatenate_samples",
    "convolve_isr",
    "events_from_arrays",
    "events_from_flat",
    "generate_gamma_alp",
    "generate_gamma_aprime",
    "generate_pythia",
    "invariant_mass",
    "invisible_pdg",
    "rambo",
    "sample_isr_fractions",
    "structure_function",
    "two_body_decay",
    "unweight",
]
