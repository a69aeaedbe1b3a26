"""Exceptions raised by darkscan.

Every message names the bad value, the allowed range and where the value came from, so
that the command-line interface can print it as a single line (and exit with status 2).
"""

__all__ = ["ConfigError", "DarkscanError", "InputFileError", "PhysicsDomainError"]


class DarkscanError(Exception):
    """Base class of all errors darkscan raises on bad input."""


class ConfigError(DarkscanError, ValueError):
    """A configuration value (config file, detector card, CLI option) is invalid."""


class PhysicsDomainError(DarkscanError, ValueError):
    """A physics parameter is outside its allowed domain (negative mass, above threshold, ...)."""


class InputFileError(DarkscanError, OSError):
    """An input file is missing, unreadable or malformed."""
