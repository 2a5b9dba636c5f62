"""Kelvin probe force microscopy: the forward model of a cell and the analysis of real data.

The forward model is in ``forward``; real data go through the ``io`` readers, ``processing``,
``statistics``, ``spectroscopy``, ``series`` and ``fit``.
"""
