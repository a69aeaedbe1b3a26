"""``darkscan run SEARCH``: the command-line layer over :func:`darkscan.searches.<search>.run`.

:func:`run_command` resolves the search in :data:`darkscan.searches.SEARCHES`, parses the
options, runs the search with rich progress bars and prints two short tables (simulated
statistics per sample with their equivalent luminosity, and the limits per mass) and the
output directory. All "observed" numbers are from pseudo-data drawn from the background
model and are labelled so: real data are never read before ``darkscan unblind``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from darkscan.errors import ConfigError
from darkscan.searches import get_search

__all__ = ["parse_masses", "run_command"]


def parse_masses(masses: str | Sequence[float] | None) -> list[float] | None:
    """Masses from ``"0.5,1,3"`` (GeV), ``"0.5:9:0.5"`` (start:stop:step, stop included) or a list.

    >>> parse_masses("0.5, 1,3")
    [0.5, 1.0, 3.0]
    >>> parse_masses("1:2:0.5")
    [1.0, 1.5, 2.0]
    """
    if masses is None:
        return None
    if not isinstance(masses, str):
        values = [float(m) for m in masses]
    else:
        text = masses.strip()
        try:
            if ":" in text:
                start, stop, step = (float(x) for x in text.split(":"))
                if not step > 0 or stop < start:
                    raise ValueError
                n = math.floor((stop - start) / step + 1e-9) + 1
                values = [round(start + i * step, 10) for i in range(n)]
            else:
                values = [float(x) for x in text.split(",") if x.strip()]
        except ValueError:
            raise ConfigError(
                f"--masses {masses!r}: expected comma-separated masses in GeV (0.5,1,3) "
                "or start:stop:step (0.5:9:0.5)"
            ) from None
    if not values or not all(math.isfinite(m) and m > 0 for m in values):
        raise ConfigError(f"--masses {masses!r}: masses must be positive and finite (GeV)")
    return values


def _fmt(x: float, digits: int = 3) -> str:
    return "-" if x is None or not np.isfinite(x) else f"{x:.{digits}g}"


def run_command(
    search: str,
    lumi: float | None = None,
    masses: str | Sequence[float] | None = None,
    method: str | None = None,
    config: str | Path | None = None,
    out: str | Path | None = None,
    seed: int | None = None,
    *,
    executor: str | None = None,
    workers: int | None = None,
    progress: bool = True,
    resume: bool = False,
    cluster: str | None = None,
    scheduler: str | None = None,
    console=None,
) -> dict[str, Path]:
    """Run a registered search and print a summary; returns the written files.

    Parameters
    ----------
    search : str
        Registered name, e.g. ``"zprime-invisible"``.
    lumi : float, optional
        Analysis luminosity in fb^-1 (default from the configuration: 79.7).
    masses : str or sequence of float, optional
        Mass points in GeV, see :func:`parse_masses` (default: the configuration's grid).
    method : {"bayes", "cls"}, optional
        Bayesian counting limits or the CLs template fit.
    config : path, optional
        Complete YAML configuration (copy of the shipped default, edited).
    out : path, optional
        Output directory (default ``results/<search>``).
    seed : int, optional
        Run seed (random streams, pseudo-data).
    executor : {"inprocess", "processes", "dask"}, optional
    workers : int, optional
    progress : bool
        Rich progress bars.
    cluster, scheduler : str, optional
        ``cluster="local"`` runs on a Dask LocalCluster; ``scheduler="tcp://HOST:PORT"`` on a
        running Dask cluster.
    resume : bool
        Reuse the simulated chunks checkpointed in ``OUT/checkpoints`` by a previous run
        with the same configuration, masses and seed (e.g. to redo the statistics with
        ``--method cls``); only missing chunks are simulated.
    console : rich.console.Console, optional

    Returns
    -------
    dict of pathlib.Path
    """
    from rich.console import Console
    from rich.table import Table

    entry = get_search(search)
    if method is not None and method not in ("bayes", "cls"):
        raise ConfigError(f"--method {method!r}: expected 'bayes' or 'cls'")
    if lumi is not None and not (math.isfinite(lumi) and lumi > 0):
        raise ConfigError(f"--lumi {lumi!r}: expected a positive luminosity in fb^-1")
    if seed is not None and seed < 0:
        raise ConfigError(f"--seed {seed!r}: expected a non-negative integer")
    if config is not None and not Path(config).is_file():
        raise ConfigError(f"--config {config}: file not found")
    module = entry.load()
    out = Path("results") / entry.name if out is None else Path(out)
    console = console or Console()
    res, files = module.run(
        config=config, luminosity=lumi, masses=parse_masses(masses), method=method, out=out,
        seed=seed, executor=executor, n_workers=workers, progress=progress, resume=resume,
        cluster=cluster, scheduler=scheduler,
    )  # fmt: skip

    samples = Table(title="Simulated samples (weights scale them to the analysis luminosity)")
    for col in ("sample", "simulated events", "sigma [fb]", "equiv. lumi [fb^-1]"):
        samples.add_column(col, justify="right" if col != "sample" else "left")
    for name, s in res.samples.items():
        samples.add_row(
            name, f"{int(s['n_generated'])}", _fmt(s["cross_section"], 4),
            _fmt(s["equivalent_luminosity"], 3),
        )  # fmt: skip
    console.print(samples)
    table = Table(
        title=f"{entry.name}: {res.cl:.0%} CL upper limits ({res.method}), "
        f"L = {res.luminosity:g} fb^-1; 'pseudo' = PSEUDO-DATA from the background model",
        caption="expected +-1/2 sigma bands: limits.json",
    )
    for col in ("m_Z' [GeV]", "eff.", "bkg", "n pseudo", "sigma exp [fb]", "g' exp", "g' pseudo"):
        table.add_column(col, justify="right", no_wrap=True)
    b_total = sum(res.background.values())
    g = res.coupling_limits
    for k, m in enumerate(res.masses):
        table.add_row(
            f"{m:.3f}", _fmt(res.efficiency[k]), _fmt(b_total[k]), f"{res.n_pseudo_data[k]:.0f}",
            _fmt(res.sigma_limits["expected"][k]), _fmt(g["expected"][k]), _fmt(g["observed"][k]),
        )  # fmt: skip
    console.print(table)
    for line in res.missing_backgrounds:
        console.print(f"[yellow]not simulated:[/yellow] {line}")
    for line in res.notes:
        console.print(f"[dim]note:[/dim] {line}")
    console.print(f"Results written to [bold]{out.resolve()}[/bold]:")
    for key, path in files.items():
        console.print(f"  {key:<10} {path}")
    return files
