"""Space-charge layers in solid electrolytes (Poisson–Fermi–Dirac)."""

from .firstintegral import SCLResult, SpaceChargeLayer, first_integral, g_of_f, rhs_of_f

__all__ = ["SCLResult", "SpaceChargeLayer", "first_integral", "g_of_f", "rhs_of_f"]
