"""Dark-sector models: pure physics, no events.

Each model is a frozen dataclass of its parameters (masses in GeV) whose methods are
vectorised over mass: partial widths, branching ratios, lifetime, production cross sections.

>>> from darkscan.models import LmuLtauZprime
>>> zp = LmuLtauZprime(m_zprime=0.5, g_prime=5e-4)
>>> round(float(zp.invisible_branching_ratio()), 3)
0.503
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from darkscan.errors import ConfigError
from darkscan.models.alp import AxionLikeParticle
from darkscan.models.dark_higgs import DarkHiggs
from darkscan.models.dark_photon import DarkPhoton
from darkscan.models.dark_scalar import DarkScalar
from darkscan.models.g_minus_2 import (
    DELTA_A_MU_2021,
    DELTA_A_MU_2025,
    coupling_for_delta_a_mu,
    delta_a_mu_pseudoscalar,
    delta_a_mu_scalar,
    delta_a_mu_vector,
    lmu_ltau_g_minus_2_band,
)
from darkscan.models.hadronic_r import r_ratio
from darkscan.models.inelastic_dm import InelasticDarkMatter
from darkscan.models.lmu_ltau import LmuLtauZprime
from darkscan.models.relic import (
    epsilon_for_thermal_target,
    relic_abundance,
    thermal_target_y,
)
from darkscan.models.sm_cross_sections import (
    SM_CROSS_SECTIONS,
    SMCrossSection,
    born_mumu_cross_section,
    sm_cross_section,
)
from darkscan.models.x17 import X17

__all__ = [
    "DELTA_A_MU_2021",
    "DELTA_A_MU_2025",
    "MODELS",
    "SM_CROSS_SECTIONS",
    "X17",
    "AxionLikeParticle",
    "DarkHiggs",
    "DarkPhoton",
    "DarkScalar",
    "InelasticDarkMatter",
    "LmuLtauZprime",
    "SMCrossSection",
    "born_mumu_cross_section",
    "build_model",
    "coupling_for_delta_a_mu",
    "delta_a_mu_pseudoscalar",
    "delta_a_mu_scalar",
    "delta_a_mu_vector",
    "epsilon_for_thermal_target",
    "get_model_class",
    "lmu_ltau_g_minus_2_band",
    "model_description",
    "plot_mass_range",
    "r_ratio",
    "relic_abundance",
    "sm_cross_section",
    "thermal_target_y",
]

#: Every model by its command-line name.
MODELS: dict[str, type] = {
    cls.cli_name: cls
    for cls in (
        DarkPhoton,
        LmuLtauZprime,
        DarkHiggs,
        AxionLikeParticle,
        DarkScalar,
        InelasticDarkMatter,
        X17,
    )
}

# Benchmark values used when the command line does not give a parameter. Callables take
# the mediator mass (GeV) so that ratios such as m_A' = 3 m_chi1 follow the mass.
_DEFAULTS: dict[str, dict[str, float | Callable]] = {
    "dark-photon": {"epsilon": 1e-3},
    "lmu-ltau": {"g_prime": 5e-4},
    # Belle II dark Higgsstrahlung benchmarks (PRL 130, 071804 (2023)) use alpha_D = 1 / epsilon ~1e-3
    "dark-higgs": {"epsilon": 1e-3, "m_aprime": 1.0, "alpha_dark": 1.0},
    "alp": {"g_agg": 1e-3},
    "dark-scalar": {"sin_theta": 1e-4},
    # iDM benchmark of Duerr et al., JHEP 02 (2020) 039 (arXiv:1911.03176): m_A' = 3 m_chi1, alpha_D = 0.1
    "inelastic-dm": {
        "epsilon": 1e-3,
        "delta": 0.1,
        "m_aprime": lambda m: 3.0 * m,
        "alpha_dark": 0.1,
    },
    "x17": {"g_ve": 3e-4},
}

# Mass ranges (GeV) for `darkscan models plot`.
_PLOT_RANGES: dict[str, tuple[float, float]] = {
    "dark-photon": (1e-3, 10.0),
    "lmu-ltau": (1e-3, 10.0),
    "dark-higgs": (0.01, 0.99),
    "alp": (1e-3, 10.0),
    "dark-scalar": (1e-3, 4.5),
    "inelastic-dm": (0.01, 3.0),
    "x17": (2e-3, 0.05),
}


def get_model_class(name: str) -> type:
    """The model class for a command-line name; ConfigError naming the allowed ones."""
    try:
        return MODELS[name]
    except KeyError:
        raise ConfigError(f"unknown model {name!r}; allowed: {', '.join(MODELS)}") from None


def build_model(cls: type, *, mass, coupling=None, **params):
    """Build ``cls`` from a mass, an optional coupling and further keyword parameters.

    Missing parameters take the benchmark defaults of ``_DEFAULTS`` (see the module source);
    fields with dataclass defaults keep them.
    """
    kwargs = {cls.mass_field: mass}
    defaults = _DEFAULTS.get(cls.cli_name, {})
    kwargs[cls.coupling_field] = defaults[cls.coupling_field] if coupling is None else coupling
    for field in dataclasses.fields(cls):
        if field.name in kwargs:
            continue
        if field.name in params:
            kwargs[field.name] = params.pop(field.name)
        elif field.name in defaults:
            value = defaults[field.name]
            kwargs[field.name] = value(mass) if callable(value) else value
    if params:
        raise ConfigError(f"unknown parameter(s) {', '.join(params)} for {cls.cli_name}")
    return cls(**kwargs)


def plot_mass_range(cls: type) -> tuple[float, float]:
    """Default mass range (GeV) for plotting a model's branching ratios."""
    return _PLOT_RANGES.get(cls.cli_name, (1e-3, 10.0))


def model_description(cls: type) -> str:
    """First line of the model class docstring."""
    return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
