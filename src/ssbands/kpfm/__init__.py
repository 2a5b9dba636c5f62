"""Kelvin probe force microscopy: forward model of a cell (``forward``) and real-data analysis
(``io`` readers, ``processing``, ``spectroscopy``, ``series``, ``fit``)."""
