"""Exceptions and warnings with messages that name what is wrong and how to fix it.

Errors: :class:`SSBandsError` and its subclasses. Warnings: every warning a user may want to filter
is a subclass of :class:`SSBandsWarning`, raised with :func:`warnings.warn`; notes stored inside
results (``notes`` lists) stay plain text.
"""

from __future__ import annotations


class SSBandsError(Exception):
    """Base class of every error this package raises on purpose."""


class InputError(SSBandsError, ValueError):
    """Bad user input: a file, field or value that cannot be used as given."""


class UnknownParameterError(InputError):
    """A calculation needs a material parameter that the library marks ``unknown``."""

    def __init__(self, material: str, field: str, purpose: str = ""):
        self.material = material
        self.field = field
        why = f" (needed for {purpose})" if purpose else ""
        super().__init__(
            f"material {material!r}: parameter {field!r} is unknown{why}. Supply it in a user "
            f"library YAML file (materials: {{{material}: {{{field}: VALUE}}}}) and load it with "
            f"load_library(FILE)."
        )


def read_text_file(path, what: str) -> str:
    """The text of an input file, or an InputError naming the file and what is wrong with it.

    ``what`` names the kind of file in the message (e.g. "stack file", "library file").
    """
    from pathlib import Path

    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{what} {str(p)!r} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"{what} {str(p)!r} is a directory") from None
    except PermissionError:
        raise InputError(f"{what} {str(p)!r} cannot be read (permission denied)") from None
    except UnicodeDecodeError:
        raise InputError(f"{what} {str(p)!r} is not UTF-8 text") from None


class MissingDependencyError(SSBandsError, ImportError):
    """An optional dependency a feature needs is not installed (the message names the extra to install)."""


def require(modules, feature: str, extra: str) -> None:
    """Raise :class:`MissingDependencyError` unless every module in ``modules`` can be imported.

    Parameters
    ----------
    modules : sequence of str
        Module names, e.g. ``("pyarrow", "tqdm")``.
    feature : str
        What needs them, for the message (e.g. "the screen").
    extra : str
        The ssbands extra that installs them (e.g. "screen").
    """
    from importlib.util import find_spec

    missing = [m for m in modules if find_spec(m) is None]
    if missing:
        raise MissingDependencyError(f"{feature} needs {', '.join(missing)}, which is not installed: "
                                     f"pip install 'ssbands[{extra}]' (or `make install` in a checkout)")


class ConvergenceError(SSBandsError, RuntimeError):
    """A solver did not converge; carries diagnostics instead of returning NaN."""

    def __init__(self, message: str, diagnostics: dict | None = None):
        self.diagnostics = dict(diagnostics or {})
        if self.diagnostics:
            details = "; ".join(f"{k}={v!r}" for k, v in self.diagnostics.items())
            message = f"{message} [{details}]"
        super().__init__(message)


class SSBandsWarning(UserWarning):
    """A result is computed but an approximation in it may not hold (stated in the message)."""


class ApproximationWarning(SSBandsWarning):
    """An approximation used for a result is outside its range of validity (e.g. overlapping layers)."""


class DataWarning(SSBandsWarning):
    """Input data are used although something about them is doubtful (units, channel, extrapolation)."""


class FitWarning(SSBandsWarning):
    """A fit finished but its result is doubtful (parameter at a bound, singular covariance, ...)."""


class TemperatureWarning(DataWarning):
    """The temperature is far from where the material data were obtained (they are extrapolated there)."""
