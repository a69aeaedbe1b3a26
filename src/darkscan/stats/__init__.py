"""Statistics: yields in, limits and significances out.

Pure functions of yields and uncertainties, vectorised over all mass bins at once:
Bayesian counting limits with marginalised systematics, Feldman-Cousins intervals, CLs
(exact Poisson and asymptotic) with expected bands, binned template fits via pyhf, local and
global significance, and the Punzi figure of merit with per-bin cut optimisation.

>>> from darkscan import stats
>>> round(float(stats.bayesian_upper_limit(0, 0.0, 1.0, 1.0).upper_limit), 4)  # Helene: -ln(0.1)
2.3026
"""

from darkscan.stats.bayesian import (
    BayesianLimit,
    SignalStrength,
    bayesian_upper_limit,
    signal_strength,
)
from darkscan.stats.frequentist import (
    ExpectedLimits,
    cls_pvalues,
    cls_upper_limit,
    expected_cls_limits,
    feldman_cousins,
)
from darkscan.stats.punzi import CutOptimum, optimise_cuts, punzi_fom
from darkscan.stats.significance import (
    GlobalPValue,
    count_upcrossings,
    global_p_value_toys,
    global_significance,
    local_significance,
    local_significance_scan,
)
from darkscan.stats.table_limits import METHODS, limits_from_table
from darkscan.stats.templates import TemplateModel, UpperLimit

#: Alias of :func:`punzi_fom` under the name the analysis literature uses.
punzi = punzi_fom
#: Alias of :func:`local_significance`.
significance = local_significance

__all__ = [
    "METHODS",
    "BayesianLimit",
    "CutOptimum",
    "ExpectedLimits",
    "GlobalPValue",
    "SignalStrength",
    "TemplateModel",
    "UpperLimit",
    "bayesian_upper_limit",
    "cls_pvalues",
    "cls_upper_limit",
    "count_upcrossings",
    "expected_cls_limits",
    "feldman_cousins",
    "global_p_value_toys",
    "global_significance",
    "limits_from_table",
    "local_significance",
    "local_significance_scan",
    "optimise_cuts",
    "punzi",
    "punzi_fom",
    "signal_strength",
    "significance",
]
