"""Plots of a model's phenomenology: branching ratios and proper decay length versus mass."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from darkscan.io.atomic import atomic_output

__all__ = ["plot_branching_ratios"]


def plot_branching_ratios(model, output: str | Path) -> Path:
    """Plot the branching ratios (top) and c*tau (bottom) of ``model`` over its mass array.

    Parameters
    ----------
    model : darkscan model with an array-valued mass field
        Built with a mass grid (GeV); must offer ``branching_ratios()`` and ``ctau()``.
    output : path
        PNG (or PDF) file, written atomically.

    Returns
    -------
    Path of the written file.
    """
    mass = np.asarray(model.mass, dtype=float)
    brs = model.branching_ratios()
    ctau = np.broadcast_to(model.ctau(), mass.shape)
    fig, (ax_br, ax_ct) = plt.subplots(2, 1, sharex=True, figsize=(7, 7), height_ratios=(2, 1))
    for channel, br in brs.items():
        br = np.broadcast_to(br, mass.shape)
        if np.any(br > 1e-4):
            ax_br.plot(mass, br, label=channel)
    ax_br.set_xscale("log")
    ax_br.set_yscale("log")
    ax_br.set_ylim(1e-4, 1.5)
    ax_br.set_ylabel("branching ratio")
    ax_br.legend(fontsize="small", ncol=2)
    coupling = getattr(model, model.coupling_field)
    ax_br.set_title(f"{model.cli_name}: {model.coupling_field} = {np.ravel(coupling)[0]:g}")
    finite = np.isfinite(ctau) & (ctau > 0)
    ax_ct.plot(mass[finite], ctau[finite], color="k")
    ax_ct.set_yscale("log")
    ax_ct.set_ylabel(r"$c\tau$ [cm]")
    ax_ct.set_xlabel(f"{model.mass_field} [GeV]")
    ax_ct.grid(alpha=0.3, which="both")
    ax_br.grid(alpha=0.3, which="both")
    fig.tight_layout()
    target = Path(output)
    with atomic_output(target) as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)
    return target
