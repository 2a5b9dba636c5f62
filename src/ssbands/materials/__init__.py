"""Materials library (built-in YAML data with citations, plus user overrides)."""

from .library import KINDS, Library, Material, Param, field_names, load_library

__all__ = ["KINDS", "Library", "Material", "Param", "field_names", "load_library"]
