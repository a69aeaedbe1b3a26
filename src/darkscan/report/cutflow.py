"""Cut-flow tables: events after each cut per sample, with efficiencies.

Input per sample: a list of ``(cut name, events passing, raw count)`` steps, the first step
being the sample before any cut (e.g. ``"generated"`` or ``"preselection"``). "Events
passing" is the weighted yield scaled to the luminosity of the analysis (events); the raw
count is the number of simulated events passing (unweighted). Efficiencies are computed
from the weighted yields: relative to the previous cut, ``N_i / N_{i-1}``, and cumulative
relative to the first step, ``N_i / N_0``. An efficiency with a zero denominator is NaN and
printed as a dash.

Renderings: a ``rich`` Table (terminal), GitHub-flavoured Markdown and a LaTeX ``tabular``
(booktabs); :func:`write_cutflow` writes the Markdown or LaTeX form atomically.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.io.atomic import write_text_atomic

__all__ = [
    "CutFlow",
    "cutflow_latex",
    "cutflow_markdown",
    "cutflow_rich",
    "write_cutflow",
]


@dataclass(frozen=True)
class CutFlow:
    """Events after each cut for several samples (all samples share the list of cuts).

    Attributes
    ----------
    cuts : tuple of str
        Cut names in the order applied; ``cuts[0]`` is the starting point.
    samples : tuple of str
        Sample names.
    weighted : numpy.ndarray
        Events passing, scaled to luminosity, shape (n_samples, n_cuts).
    raw : numpy.ndarray
        Raw (unweighted) simulated counts passing, int64, shape (n_samples, n_cuts).
    luminosity : float or None
        Luminosity in fb^-1 the weighted yields are scaled to (for captions).
    """

    cuts: tuple[str, ...]
    samples: tuple[str, ...]
    weighted: np.ndarray
    raw: np.ndarray
    luminosity: float | None = None

    @classmethod
    def from_steps(
        cls,
        steps: Mapping[str, Sequence[tuple[str, float, int]]],
        *,
        luminosity: float | None = None,
    ) -> CutFlow:
        """Build a cut flow from ``{sample: [(cut, events passing, raw count), ...]}``.

        Raises
        ------
        ConfigError
            No samples, an empty list, or samples with different cut lists.
        PhysicsDomainError
            Negative or non-finite yields, non-integer raw counts, or a raw count that
            increases along the cut flow.
        """
        if not steps:
            raise ConfigError("cut flow: no samples given")
        samples = tuple(str(s) for s in steps)
        cuts: tuple[str, ...] | None = None
        weighted, raw = [], []
        for sample, rows in steps.items():
            rows = list(rows)
            if not rows:
                raise ConfigError(f"cut flow: sample {sample!r} has no cuts")
            names = tuple(str(r[0]) for r in rows)
            if cuts is None:
                cuts = names
            elif names != cuts:
                raise ConfigError(
                    f"cut flow: sample {sample!r} has cuts {list(names)}, expected {list(cuts)} "
                    f"(as sample {samples[0]!r})"
                )
            weighted.append([float(r[1]) for r in rows])
            raw.append([float(r[2]) for r in rows])
        w = np.asarray(weighted, dtype=float)
        r = np.asarray(raw, dtype=float)
        for name, arr in (("events passing", w), ("raw count", r)):
            if not np.all(np.isfinite(arr) & (arr >= 0)):
                raise PhysicsDomainError(
                    f"cut flow: {name} must be finite and in [0, inf), got {arr[~(arr >= 0)][:4]}"
                )
        if np.any(r != np.floor(r)):
            raise PhysicsDomainError("cut flow: raw counts must be integers")
        increasing = np.diff(r, axis=1) > 0
        if np.any(increasing):
            i, j = np.argwhere(increasing)[0]
            raise PhysicsDomainError(
                f"cut flow: raw count of sample {samples[i]!r} increases from {r[i, j]:.0f} "
                f"to {r[i, j + 1]:.0f} at cut {cuts[j + 1]!r}; counts after a cut must not "
                "exceed those before it"
            )
        if luminosity is not None:
            luminosity = float(luminosity)
            if not (math.isfinite(luminosity) and luminosity > 0):
                raise PhysicsDomainError(
                    f"luminosity = {luminosity:g} fb^-1 is outside the allowed range (0, inf)"
                )
        return cls(cuts, samples, w, r.astype(np.int64), luminosity)

    def efficiency_previous(self) -> np.ndarray:
        """Efficiency of each cut relative to the previous one, N_i / N_{i-1} (first: 1).

        Examples
        --------
        >>> cf = CutFlow.from_steps({"sig": [("all", 100.0, 1000), ("a", 50.0, 500),
        ...                                  ("b", 10.0, 100)]})
        >>> cf.efficiency_previous().round(3).tolist()
        [[1.0, 0.5, 0.2]]
        """
        w = self.weighted
        out = np.ones_like(w)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[:, 1:] = np.where(w[:, :-1] > 0, w[:, 1:] / w[:, :-1], np.nan)
        return out

    def efficiency_first(self) -> np.ndarray:
        """Cumulative efficiency relative to the first step, N_i / N_0.

        Examples
        --------
        >>> cf = CutFlow.from_steps({"sig": [("all", 100.0, 1000), ("a", 50.0, 500),
        ...                                  ("b", 10.0, 100)]})
        >>> cf.efficiency_first().round(3).tolist()
        [[1.0, 0.5, 0.1]]
        """
        w = self.weighted
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(w[:, :1] > 0, w / w[:, :1], np.nan)

    def rows(self) -> list[list[str]]:
        """Formatted cells: per cut, the cut name then per sample N, raw, eff. prev., eff. first."""
        eff_prev, eff_first = self.efficiency_previous(), self.efficiency_first()
        out = []
        for j, cut in enumerate(self.cuts):
            row = [cut]
            for i in range(len(self.samples)):
                row += [
                    _fmt_events(self.weighted[i, j]),
                    f"{self.raw[i, j]:d}",
                    _fmt_eff(eff_prev[i, j]),
                    _fmt_eff(eff_first[i, j]),
                ]
            out.append(row)
        return out

    def header(self) -> list[str]:
        """Column titles matching :meth:`rows`."""
        head = ["cut"]
        for sample in self.samples:
            head += [f"{sample} N", f"{sample} raw", f"{sample} eff./prev.", f"{sample} eff./first"]
        return head


def _fmt_events(value: float) -> str:
    if value == 0:
        return "0"
    if 1e-2 <= abs(value) < 1e6:
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"
    return f"{value:.3e}"


def _fmt_eff(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{100 * value:.2f}%"


def _caption(cutflow: CutFlow) -> str:
    lumi = f" at {cutflow.luminosity:g} fb^-1" if cutflow.luminosity is not None else ""
    return (
        f"Cut flow (events{lumi}; raw = simulated events; efficiencies of weighted yields; "
        "the first row counts the events within each sample's generator-level filter)"
    )


def cutflow_rich(cutflow: CutFlow, *, title: str | None = None):
    """The cut flow as a :class:`rich.table.Table` (one row per cut, four columns per sample)."""
    from rich.table import Table

    table = Table(title=title or _caption(cutflow))
    table.add_column("cut", justify="left", no_wrap=True)
    for sample in cutflow.samples:
        for sub in ("N", "raw", "eff./prev.", "eff./first"):
            table.add_column(f"{sample}\n{sub}", justify="right")
    for row in cutflow.rows():
        table.add_row(*row)
    return table


def _md_escape(text: str) -> str:
    return text.replace("|", r"\|")


def cutflow_markdown(cutflow: CutFlow) -> str:
    """The cut flow as a GitHub-flavoured Markdown table (with a caption line).

    Examples
    --------
    >>> cf = CutFlow.from_steps({"sig": [("all", 100.0, 1000), ("a", 50.0, 500)]})
    >>> print(cutflow_markdown(cf).splitlines()[-1])
    | a | 50 | 500 | 50.00% | 50.00% |
    """
    head = cutflow.header()
    lines = [
        f"*{_caption(cutflow)}*",
        "",
        "| " + " | ".join(_md_escape(h) for h in head) + " |",
        "|" + "|".join([":---"] + ["---:"] * (len(head) - 1)) + "|",
    ]
    for row in cutflow.rows():
        lines.append("| " + " | ".join(_md_escape(c) for c in row) + " |")
    return "\n".join(lines)


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _tex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def cutflow_latex(cutflow: CutFlow, *, escape: bool = True) -> str:
    """The cut flow as a LaTeX ``tabular`` (booktabs rules), one column group per sample.

    Parameters
    ----------
    cutflow : CutFlow
    escape : bool
        Escape LaTeX special characters in cut and sample names (set False if the names
        are already LaTeX).

    Examples
    --------
    >>> cf = CutFlow.from_steps({"sig": [("all", 100.0, 1000), ("p_T > 1", 50.0, 500)]})
    >>> print(cutflow_latex(cf).splitlines()[-3])
    p\\_T > 1 & 50 & 500 & 50.00\\% & 50.00\\% \\\\
    """
    esc = _tex_escape if escape else (lambda s: s)
    n = len(cutflow.samples)
    lines = [
        "% " + _caption(cutflow),
        r"\begin{tabular}{l" + "rrrr" * n + "}",
        r"\toprule",
        " & "
        + " & ".join(rf"\multicolumn{{4}}{{c}}{{{esc(s)}}}" for s in cutflow.samples)
        + r" \\",
        "Cut"
        + r" & $N$ & raw & $\varepsilon_\mathrm{prev}$ & $\varepsilon_\mathrm{first}$" * n
        + r" \\",
        r"\midrule",
    ]
    for row in cutflow.rows():
        cells = [esc(row[0])] + [c.replace("%", r"\%") for c in row[1:]]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", ""]
    return "\n".join(lines)


def write_cutflow(path, cutflow: CutFlow) -> Path:
    """Write the cut flow atomically: ``.md`` as Markdown, ``.tex`` as LaTeX.

    Raises
    ------
    ConfigError
        Any other suffix.
    """
    path = Path(path)
    if path.suffix == ".md":
        text = cutflow_markdown(cutflow) + "\n"
    elif path.suffix == ".tex":
        text = cutflow_latex(cutflow)
    else:
        raise ConfigError(f"cut-flow file {path}: suffix {path.suffix!r} is not one of .md, .tex")
    return write_text_atomic(path, text)
