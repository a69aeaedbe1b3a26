"""What every dark-sector model offers, so that the CLI and later stages treat them alike.

A model is a frozen dataclass of its parameters. Its mass field may be a float or a numpy
array: every method broadcasts over it (vectorised over mass). Models that decay implement
:meth:`partial_widths`; the mixin derives total width, branching ratios, c*tau and the
boosted decay length from it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from darkscan.constants import HBARC_GEV_CM

__all__ = ["DecayingModel", "Quantity"]


@dataclass(frozen=True)
class Quantity:
    """One line of a model summary: a named value with its unit and a short note."""

    name: str
    value: float
    unit: str = ""
    note: str = ""


class DecayingModel(ABC):
    """Mixin for a model whose mediator decays: widths -> BRs -> lifetime.

    Subclasses set the class variables below and implement :meth:`partial_widths`
    (a dict channel -> width in GeV, each broadcast to the mass shape) and
    :meth:`summary`.
    """

    #: Name on the command line, e.g. ``"lmu-ltau"``.
    cli_name: ClassVar[str]
    #: Field holding the mediator mass (GeV), mapped to ``--mass``.
    mass_field: ClassVar[str]
    #: Field holding the coupling, mapped to ``--coupling``.
    coupling_field: ClassVar[str]
    #: Channels counted as invisible (neutrinos, dark-sector states).
    invisible_channels: ClassVar[tuple[str, ...]] = ()

    @property
    def mass(self):
        """The mediator mass in GeV (float or array)."""
        return getattr(self, self.mass_field)

    @abstractmethod
    def partial_widths(self) -> dict[str, np.ndarray]:
        """Partial widths in GeV per decay channel."""

    def total_width(self) -> np.ndarray:
        """Total width in GeV: the sum of :meth:`partial_widths`."""
        widths = self.partial_widths()
        return sum(widths.values(), np.zeros(np.shape(self.mass)))

    def branching_ratios(self) -> dict[str, np.ndarray]:
        """Branching ratio per channel; zero where the total width vanishes."""
        widths = self.partial_widths()
        total = sum(widths.values(), np.zeros(np.shape(self.mass)))
        with np.errstate(invalid="ignore", divide="ignore"):
            return {k: np.where(total > 0, w / total, 0.0) for k, w in widths.items()}

    def invisible_branching_ratio(self) -> np.ndarray:
        """Sum of the branching ratios of :attr:`invisible_channels`."""
        brs = self.branching_ratios()
        return sum(
            (brs[c] for c in self.invisible_channels if c in brs), np.zeros(np.shape(self.mass))
        )

    def ctau(self) -> np.ndarray:
        """Proper decay length c*tau = hbar c / Gamma in cm (inf for a stable state)."""
        gamma = self.total_width()
        with np.errstate(divide="ignore"):
            return np.where(gamma > 0, HBARC_GEV_CM / np.where(gamma > 0, gamma, 1.0), np.inf)

    def decay_length(self, momentum) -> np.ndarray:
        """Mean lab-frame decay length beta*gamma*c*tau in cm for a momentum in GeV."""
        return np.asarray(momentum, dtype=float) / np.asarray(self.mass, dtype=float) * self.ctau()
