"""Concrete searches: each one a declaration that wires the pipeline stages together.

:data:`SEARCHES` maps the command-line name of a search to its :class:`SearchEntry`: the
module implementing it (imported lazily, so that ``darkscan --help`` stays fast) and its
shipped default configuration.

>>> sorted(SEARCHES)
['zprime-invisible']
>>> SEARCHES["zprime-invisible"].config
'zprime_invisible.yaml'
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from darkscan.errors import ConfigError

__all__ = ["SEARCHES", "SearchEntry", "get_search"]


@dataclass(frozen=True)
class SearchEntry:
    """A registered search.

    Parameters
    ----------
    name : str
        Command-line name (``darkscan run NAME``).
    module : str
        Dotted module path; the module offers ``run(...)``, ``process_chunk(task, rng)``
        and ``analyse(...)``.
    config : str
        File name of the default configuration under ``darkscan/data/searches/``.
    description : str
        One line for ``--help``.
    """

    name: str
    module: str
    config: str
    description: str

    def load(self) -> ModuleType:
        """Import and return the search module."""
        return importlib.import_module(self.module)

    def config_path(self) -> Path:
        """Path of the shipped default configuration."""
        from importlib import resources

        return Path(str(resources.files("darkscan") / "data" / "searches" / self.config))


SEARCHES: dict[str, SearchEntry] = {
    "zprime-invisible": SearchEntry(
        name="zprime-invisible",
        module="darkscan.searches.zprime_invisible",
        config="zprime_invisible.yaml",
        description="e+e- -> mu+ mu- Z', Z' -> invisible (Belle II, arXiv:1912.11276, "
        "arXiv:2212.03066)",
    ),
}


def get_search(name: str) -> SearchEntry:
    """The registered search ``name``; ConfigError naming the known ones otherwise."""
    try:
        return SEARCHES[name]
    except KeyError:
        raise ConfigError(f"unknown search {name!r}; available: {', '.join(SEARCHES)}") from None
