"""The ``darkscan`` command line: a thin typer layer over the Python API.

Every command calls a function the API also offers. Bad input (an unknown model, a
parameter out of range, an unreadable file) is reported as one line on standard error and
the process exits with status 2; nothing is half-written.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Annotated

import click
import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from darkscan import __version__
from darkscan.errors import ConfigError, DarkscanError, PhysicsDomainError

# typer >= 0.22 ships its own copy of click: catch both families of exceptions.
_USAGE_ERRORS = (click.exceptions.UsageError, typer.BadParameter.__mro__[1])
_EXITS = (click.exceptions.Exit, typer.Exit)
_ABORTS = (click.exceptions.Abort, typer.Abort)

app = typer.Typer(
    name="darkscan",
    help="Searches for dark sectors at e+e- colliders (Belle II at SuperKEKB by default).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
models_app = typer.Typer(
    help="Dark-sector models: widths, branching ratios, lifetimes, cross sections."
)
app.add_typer(models_app, name="models")
detector_app = typer.Typer(help="Detector cards of the fast simulation.")
app.add_typer(detector_app, name="detector")

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True, highlight=False)


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"darkscan {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """darkscan: dark-sector searches at e+e- colliders."""


# ----------------------------------------------------------------------------- models
def _parse_params(params: list[str] | None, model_cls) -> dict[str, float | str]:
    """Turn repeated ``--param NAME=VALUE`` options into dataclass keyword arguments."""
    allowed = {f.name for f in dataclasses.fields(model_cls)}
    out: dict[str, float | str] = {}
    for item in params or []:
        if "=" not in item:
            raise ConfigError(f"--param {item!r}: expected NAME=VALUE, e.g. --param alpha_dark=0.5")
        name, value = (s.strip() for s in item.split("=", 1))
        if name not in allowed:
            raise ConfigError(
                f"--param {name!r} is not a parameter of {model_cls.cli_name}; allowed: {', '.join(sorted(allowed))}"
            )
        try:
            out[name] = float(value)
        except ValueError:
            out[name] = value
    return out


def _model_from_options(model: str, mass, coupling: float | None, params: list[str] | None):
    from darkscan.models import build_model, get_model_class

    cls = get_model_class(model)
    return build_model(cls, mass=mass, coupling=coupling, **_parse_params(params, cls))


@models_app.command("list")
def models_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the dark-sector models darkscan knows."""
    from darkscan.models import MODELS, model_description

    rows = [
        {
            "name": name,
            "class": cls.__name__,
            "mass": cls.mass_field,
            "coupling": cls.coupling_field,
            "description": model_description(cls),
        }
        for name, cls in MODELS.items()
    ]
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table(title="darkscan models")
    for col in ("name", "class", "mass", "coupling", "description"):
        table.add_column(col)
    for row in rows:
        table.add_row(*(str(row[c]) for c in ("name", "class", "mass", "coupling", "description")))
    console.print(table)


@models_app.command("show")
def models_show(
    model: Annotated[str, typer.Argument(help="Model name (see `darkscan models list`).")],
    mass: Annotated[float, typer.Option("--mass", help="Mediator mass in GeV.")],
    coupling: Annotated[
        float | None,
        typer.Option(
            "--coupling",
            help="Coupling (epsilon, g', g_agg in GeV^-1, sin theta, ...); model default if omitted.",
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param", help="Further model parameter NAME=VALUE (masses in GeV), repeatable."
        ),
    ] = None,
    collider: Annotated[
        str, typer.Option("--collider", help="Collider setup: belle2, babar, kloe, padme.")
    ] = "belle2",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Widths, branching ratios, lifetime, decay length and cross sections of one model point."""
    from darkscan.beams import get_collider

    machine = get_collider(collider)
    instance = _model_from_options(model, mass, coupling, param)
    if mass >= machine.sqrt_s:
        raise PhysicsDomainError(
            f"--mass {mass:g} GeV is above sqrt(s) = {machine.sqrt_s:.4g} GeV of {machine.name}: "
            f"a {model} of this mass cannot be produced there"
        )
    quantities = instance.summary(machine)
    if as_json:
        payload = {
            "model": model,
            "collider": machine.name,
            "sqrt_s": machine.sqrt_s,
            "parameters": {k: _jsonable(v) for k, v in dataclasses.asdict(instance).items()},
            "quantities": [dataclasses.asdict(q) for q in quantities],
        }
        console.print_json(json.dumps(payload, default=_jsonable))
        return
    table = Table(title=f"{model} at {machine.name} (sqrt(s) = {machine.sqrt_s:.4g} GeV)")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_column("unit")
    table.add_column("note")
    for q in quantities:
        value = (
            "-"
            if q.value is None or (isinstance(q.value, float) and np.isnan(q.value))
            else f"{q.value:.4g}"
        )
        table.add_row(q.name, value, q.unit, q.note)
    console.print(table)


@models_app.command("plot")
def models_plot(
    model: Annotated[str, typer.Argument(help="Model name (see `darkscan models list`).")],
    coupling: Annotated[
        float | None, typer.Option("--coupling", help="Coupling; model default if omitted.")
    ] = None,
    mass_min: Annotated[
        float | None, typer.Option("--mass-min", help="Lowest mass in GeV.")
    ] = None,
    mass_max: Annotated[
        float | None, typer.Option("--mass-max", help="Highest mass in GeV.")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Further model parameter NAME=VALUE.")
    ] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="Output PNG file.")] = Path(
        "branching_ratios.png"
    ),
) -> None:
    """Plot branching ratios and c*tau versus mass to a PNG file."""
    from darkscan.models import get_model_class, plot_mass_range
    from darkscan.report.model_plots import plot_branching_ratios

    cls = get_model_class(model)
    default_lo, default_hi = plot_mass_range(cls)
    lo = default_lo if mass_min is None else mass_min
    hi = default_hi if mass_max is None else mass_max
    if not (0 < lo < hi):
        raise ConfigError(f"mass range [{lo:g}, {hi:g}] GeV: need 0 < --mass-min < --mass-max")
    masses = np.geomspace(lo, hi, 400)
    instance = _model_from_options(model, masses, coupling, param)
    written = plot_branching_ratios(instance, output)
    console.print(f"wrote {written}")


# ----------------------------------------------------------------------------- generate
@app.command("generate")
def generate_command(
    process: Annotated[str | None, typer.Argument(help="Process name (see --list).")] = None,
    events: Annotated[int, typer.Option("--events", "-n", help="Number of events (> 0).")] = 10_000,
    mass: Annotated[
        float | None, typer.Option("--mass", help="Mediator mass in GeV (signal processes).")
    ] = None,
    coupling: Annotated[
        float | None,
        typer.Option("--coupling", help="Coupling (signal processes); model default if omitted."),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="Further model parameter NAME=VALUE, repeatable."),
    ] = None,
    isr: Annotated[
        bool | None,
        typer.Option(
            "--isr/--no-isr", help="Initial-state radiation (generator default if omitted)."
        ),
    ] = None,
    weighted: Annotated[
        bool, typer.Option("--weighted", help="Keep weighted events instead of unweighting.")
    ] = False,
    collider: Annotated[
        str, typer.Option("--collider", help="belle2, babar, kloe or padme.")
    ] = "belle2",
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed (recorded in the sample metadata).")
    ] = 1,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Output Parquet file.")
    ] = None,
    list_processes: Annotated[
        bool, typer.Option("--list", help="List the processes and exit.")
    ] = False,
) -> None:
    """Generate truth-level events of a signal or Standard-Model process into a Parquet file."""
    from darkscan.generate.registry import PROCESSES, generate_in_chunks, get_process

    if list_processes:
        table = Table(title="darkscan generate: processes")
        table.add_column("process")
        table.add_column("model")
        table.add_column("description")
        for p in PROCESSES.values():
            table.add_row(p.name, p.model or "-", p.description)
        console.print(table)
        return
    if process is None:
        raise ConfigError("give a PROCESS (see `darkscan generate --list`)")
    spec = get_process(process)
    if output is None:
        raise ConfigError("give the output file with -o FILE.parquet")
    if output.suffix.lower() != ".parquet":
        raise ConfigError(f"-o {output}: the output file name must end in .parquet")
    from darkscan.beams import get_collider
    from darkscan.io import write_sample

    options: dict = {"weighted": True} if weighted else {}
    if isr is not None:
        options["isr"] = isr
    model_parameters = None
    if spec.model is not None:
        from darkscan.models import get_model_class

        model_parameters = _parse_params(param, get_model_class(spec.model))
    elif param:
        raise ConfigError(f"process {process} is a Standard-Model process: --param does not apply")
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn(f"generating {process}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("generate", total=events, rate="")

        def advance(n: int) -> None:
            bar.advance(task, n)
            elapsed = bar.tasks[0].elapsed or 0.0
            done = bar.tasks[0].completed
            bar.update(task, rate=f"{done / elapsed:,.0f} events/s" if elapsed > 0 else "")

        sample = generate_in_chunks(
            process,
            events,
            seed,
            on_chunk=advance,
            collider=get_collider(collider),
            mass=mass,
            coupling=coupling,
            model_parameters=model_parameters,
            **options,
        )
    written = write_sample(sample, output)
    console.print(
        f"{sample.n_events} events, sigma = {sample.cross_section_fb:.4g} fb, "
        f"equivalent luminosity {sample.luminosity:.4g} fb^-1; wrote {written}"
    )


# ----------------------------------------------------------------------------- detector
@detector_app.command("show")
def detector_show(
    card: Annotated[
        str, typer.Option("--card", help="Shipped card name (belle2) or a .toml file.")
    ] = "belle2",
) -> None:
    """Print a detector card as TOML (redirect to a file, edit it, pass it with --card)."""
    from importlib import resources

    from darkscan.detector import card_to_toml, load_card

    loaded = load_card(card)  # validates; one-line ConfigError otherwise
    shipped = resources.files("darkscan") / "data" / "cards" / f"{card}.toml"
    if not card.endswith(".toml") and shipped.is_file():
        sys.stdout.write(shipped.read_text(encoding="utf-8"))  # with its source comments
    else:
        sys.stdout.write(card_to_toml(loaded))


@app.command("simulate")
def simulate_command(
    input_file: Annotated[
        Path, typer.Argument(help="Truth sample (Parquet) from `darkscan generate`.")
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Output Parquet file of reconstructed events.")
    ],
    card: Annotated[
        str, typer.Option("--card", help="Shipped card name (belle2) or a .toml file.")
    ] = "belle2",
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed of the detector simulation.")
    ] = 1,
) -> None:
    """Run the fast detector simulation on a truth sample."""
    from darkscan.detector import load_card, simulate, write_reco_sample
    from darkscan.io import read_sample

    if output.suffix.lower() != ".parquet":
        raise ConfigError(f"-o {output}: the output file name must end in .parquet")
    if output.resolve() == input_file.resolve():
        raise ConfigError(f"-o {output}: the output must not overwrite the input sample")
    detector_card = load_card(card)
    sample = read_sample(input_file)
    with console.status(
        f"simulating {sample.n_events} events with the {detector_card.detector.name} card ..."
    ):
        reco = simulate(sample, detector_card, np.random.default_rng(seed))
    written = write_reco_sample(reco, output)
    console.print(f"{sample.n_events} events simulated with card {card}; wrote {written}")


# ----------------------------------------------------------------------------- run
@app.command("run")
def run_search(
    search: Annotated[str, typer.Argument(help="Search name, e.g. zprime-invisible.")],
    lumi: Annotated[
        float | None, typer.Option("--lumi", help="Analysis luminosity in fb^-1 (default 79.7).")
    ] = None,
    masses: Annotated[
        str | None,
        typer.Option("--masses", help="Masses in GeV: 0.5,1,3 or start:stop:step (0.5:9:0.5)."),
    ] = None,
    method: Annotated[
        str | None, typer.Option("--method", help="bayes (counting) or cls (template fit).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="YAML configuration (copy the shipped one).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output directory (default results/SEARCH).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Run seed (recorded in manifest.json).")
    ] = None,
    executor: Annotated[
        str | None,
        typer.Option("--executor", help="inprocess, processes or dask (default from the config)."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Number of worker processes.")
    ] = None,
    cluster: Annotated[
        str | None, typer.Option("--cluster", help="'local': run on a Dask LocalCluster.")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="tcp://HOST:PORT of a running Dask scheduler.")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Reuse finished chunks of a previous run.")
    ] = False,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Rich progress bars.")
    ] = True,
) -> None:
    """Run a search end to end: generate, simulate, select, limits, plots, HEPData."""
    from darkscan.searches.cli_run import run_command

    if cluster is not None and cluster != "local":
        raise ConfigError(
            f"--cluster {cluster!r}: only 'local' is supported; use --scheduler for a running cluster"
        )
    run_command(
        search, lumi, masses, method, config, out, seed, executor=executor, workers=workers,
        progress=progress, resume=resume, cluster=cluster, scheduler=scheduler, console=console,
    )  # fmt: skip


# ----------------------------------------------------------------------------- limits
@app.command("limits")
def limits(
    table: Annotated[
        Path,
        typer.Argument(
            help="CSV with one row per mass bin: mass (GeV), n_obs, background (events), efficiency, luminosity (fb^-1), optional rel_unc_* columns."
        ),
    ],
    method: Annotated[
        str, typer.Option("--method", help="bayes, cls, cls-asymptotic or fc.")
    ] = "bayes",
    cl: Annotated[
        float, typer.Option("--cl", help="Credibility / confidence level, e.g. 0.90 or 0.95.")
    ] = 0.90,
    sigma_max: Annotated[
        float,
        typer.Option("--sigma-max", help="Upper edge of the flat prior on sigma, fb (bayes)."),
    ] = 1e5,
    separate_sources: Annotated[
        bool,
        typer.Option(
            "--separate-sources", help="Keep each uncertainty source as its own nuisance (bayes)."
        ),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write the limits to this .json or .csv file."),
    ] = None,
) -> None:
    """Upper limits on the signal cross section (fb) for a table of counting experiments."""
    from darkscan.io import read_limits_table, write_limits_table
    from darkscan.stats import METHODS, limits_from_table

    if output is not None and output.suffix.lower() not in (".json", ".csv"):
        raise ConfigError(f"--output {output}: the file name must end in .json or .csv")
    columns = read_limits_table(table)
    result = limits_from_table(
        columns, method=method, cl=cl, sigma_max=sigma_max, combine_sources=not separate_sources
    )
    title = f"{cl:.0%} CL upper limits, {method}: {METHODS[method]}"
    out_table = Table(title=title)
    names = list(result)
    headers = {
        "mass": "mass (GeV)",
        "lower_limit": "LL (fb)",
        "upper_limit": "UL (fb)",
        "expected_minus2": "exp -2sd (fb)",
        "expected_minus1": "exp -1s",
        "expected_median": "exp median",
        "expected_plus1": "exp +1s",
        "expected_plus2": "exp +2sd (fb)",
        "signal_events_limit": "UL (events)",
    }
    for name in names:
        out_table.add_column(headers.get(name, name), justify="right")
    for row in zip(*(result[n] for n in names), strict=True):
        out_table.add_row(*(f"{v:.4g}" for v in row))
    console.print(out_table)
    if output is not None:
        written = write_limits_table(
            output,
            result,
            metadata={"input": str(table), "method": method, "cl": cl, "units": "fb"},
        )
        console.print(f"wrote {written}")


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


# ----------------------------------------------------------------------------- entry point
def main(argv: list[str] | None = None) -> int:
    """Run the CLI; turn bad input into one line on stderr and exit status 2."""
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="darkscan", standalone_mode=False)
    except _USAGE_ERRORS as exc:
        err_console.print(f"darkscan: error: {exc.format_message()}", markup=False)
        return 2
    except DarkscanError as exc:
        err_console.print(f"darkscan: error: {exc}", markup=False)
        return 2
    except _EXITS as exc:
        return exc.exit_code
    except _ABORTS:
        err_console.print("darkscan: aborted", markup=False)
        return 130
    return 0


def run() -> None:  # console-script entry point
    sys.exit(main())
