"""Impedance of solid-electrolyte cells from the linearised Poisson–Nernst–Planck equations."""
