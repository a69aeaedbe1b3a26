"""darkscan: searches for dark sectors at e+e- colliders.

The pipeline runs models -> generate -> detector -> select -> stats -> interpret -> report;
see the README and ``shared/design.md`` for the architecture.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
