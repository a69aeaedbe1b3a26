"""Event generators for individual signal processes, one module per process."""
