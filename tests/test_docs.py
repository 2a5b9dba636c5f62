"""The docs stay true to the code: the API reference is regenerated from the docstrings."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_api_reference_is_up_to_date():
    spec = importlib.util.spec_from_file_location("make_api", REPO / "docs" / "make_api.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert (REPO / "docs" / "api.md").read_text(encoding="utf-8") == mod.render(), \
        "docs/api.md is stale: run .venv/bin/python docs/make_api.py"


def test_readme_links_exist():
    import re

    text = (REPO / "README.md").read_text(encoding="utf-8")
    for link in re.findall(r"\]\(([^)#]+)\)", text):
        if not link.startswith("http"):
            assert (REPO / link).exists(), link
