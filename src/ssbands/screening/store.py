"""The output folder of a screen: Parquet part files, the manifest, resume and overwrite.

Layout of ``out``::

    manifest.json               inputs (materials, settings) and their SHA-256
    interfaces.parquet/part-NNNNNN.parquet
    cells.parquet/part-NNNNNN.parquet

Workers encode Parquet in memory (:func:`to_parquet_bytes`) and return bytes; only the coordinator
writes, each part atomically (temporary file + rename) under a deterministic name, so a part file
exists completely or not at all. ``resume`` keeps the parts already there when the manifest's inputs
hash matches; ``overwrite`` replaces a finished or interrupted screen.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from .._version import __version__
from ..errors import InputError
from .interfaces import DECOMPOSITION_LABELS, INJECTION_LABELS
from .selection import Selection

__all__ = ["PART", "INTERFACES", "CELLS", "OUTPUT_FILES", "ScreenStore", "to_parquet_bytes", "write_bytes",
           "codes_from_dictionary", "inputs_hash", "make_manifest", "interface_arrays"]

#: File name of part ``i`` of a table.
PART = "part-{:06d}.parquet"
#: Folder of the interface table.
INTERFACES = "interfaces.parquet"
#: Folder of the cell table.
CELLS = "cells.parquet"
#: Every other file a screen writes into its folder (:mod:`.report`, :mod:`.uncertainty`). A run
#: removes them before it starts (a fresh run, ``overwrite`` or ``resume``), so no output of an
#: earlier run (e.g. a figure of a run that had figures) is left next to the new results.
OUTPUT_FILES = ("summary.json", "ranked_cells.csv", "report.md", "uncertainty.parquet", "heatmap_phi0.png",
                "heatmap_R_scl.png", "heatmap_R_exc.png", "heatmap_R_ct.png", "pareto.png", "uncertainty.png")
#: Float interface columns the cell stage reads back (shape (E, M, K)).
_FLOAT_ARRAYS = ("phi0_V", "R_scl_ohm_cm2", "R_exc_ohm_cm2", "R_ct_ohm_cm2", "window_violation_V")


def to_parquet_bytes(cols: Mapping) -> bytes:
    """Encode columns as a Snappy-compressed Parquet file in memory.

    Parameters
    ----------
    cols : mapping of str
        1-D arrays, or ``(codes, labels)`` pairs written as dictionary (categorical) columns.

    Returns
    -------
    bytes
        The Parquet file.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays, names = [], []
    for k, v in cols.items():
        if isinstance(v, tuple):  # (codes, labels) -> dictionary column
            codes, labels = v
            arrays.append(pa.DictionaryArray.from_arrays(pa.array(np.asarray(codes, np.int32)),
                                                         pa.array(list(labels), pa.string())))
        else:
            arrays.append(pa.array(np.ascontiguousarray(v)))
        names.append(k)
    buf = io.BytesIO()
    pq.write_table(pa.table(arrays, names=names), buf, compression="snappy")
    return buf.getvalue()


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename).

    Parameters
    ----------
    path : str or Path
        Destination file.
    data : bytes
        Contents.
    """
    from ..profile import atomic_write

    atomic_write(Path(path), lambda p: p.write_bytes(data))


def codes_from_dictionary(column, labels: Sequence[str]) -> np.ndarray:
    """Integer codes of a dictionary or string column.

    Parameters
    ----------
    column : pyarrow.Array or pyarrow.ChunkedArray
        A dictionary-encoded or string column.
    labels : sequence of str
        The labels; a code is the label's index.

    Returns
    -------
    ndarray of int8
        Codes, -1 for a value not in ``labels`` (e.g. ``"unknown"``).
    """
    import pyarrow as pa

    arr = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    if not pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_encode()
    lut = np.array([labels.index(s) if s in labels else -1 for s in arr.dictionary.to_pylist()], np.int8)
    return lut[arr.indices.to_numpy(zero_copy_only=False)]


def inputs_hash(sel: Selection, config: Mapping) -> str:
    """SHA-256 of everything the numbers of a screen depend on (materials, states, settings).

    Parameters
    ----------
    sel : Selection
        The materials.
    config : mapping
        Settings (closures, μ_Li,SE in eV, temperature in K, objective, Pareto columns, chunk size).

    Returns
    -------
    str
        Hex digest.
    """
    doc = {
        "config": config, "phi_li": sel.phi_li_eV,
        "electrodes": [[e.name, e.role, e.soc.tolist(), np.nan_to_num(e.li_fraction, nan=-1).tolist(),
                        e.potential_V.tolist(), e.work_function_eV.tolist()] for e in sel.electrodes],
        "electrolytes": [[r.name, sorted(r.values.items()), r.window_V] for r in sel.electrolytes],
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def make_manifest(sel: Selection, config: Mapping) -> dict:
    """Build the ``manifest.json`` document of a screen.

    Parameters
    ----------
    sel : Selection
        The materials.
    config : mapping
        Settings, as for :func:`inputs_hash`.

    Returns
    -------
    dict
        Version, settings, material names and ``inputs_sha256``.
    """
    return {"ssbands_version": __version__, "config": dict(config),
            "anodes": [e.name for e in sel.anodes], "electrolytes": [r.name for r in sel.electrolytes],
            "cathodes": [e.name for e in sel.cathodes], "inputs_sha256": inputs_hash(sel, config)}


class ScreenStore:
    """The part files of one screen's output folder.

    Parameters
    ----------
    out : str or Path
        Output folder (created when missing).
    """

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)

    def part_path(self, table: str, part: int) -> Path:
        """Path of part ``part`` of ``table`` (:data:`INTERFACES` or :data:`CELLS`)."""
        return self.out / table / PART.format(part)

    def has_part(self, table: str, part: int) -> bool:
        """Tell whether the part file exists (it is then complete: parts are written atomically)."""
        return self.part_path(table, part).exists()

    def write_part(self, table: str, part: int, data: bytes) -> None:
        """Write a part atomically.

        Parameters
        ----------
        table : str
            :data:`INTERFACES` or :data:`CELLS`.
        part : int
            Part number (the chunk id).
        data : bytes
            A Parquet file (:func:`to_parquet_bytes`).
        """
        write_bytes(self.part_path(table, part), data)

    def read_part(self, table: str, part: int):
        """Read a part back (a ``pyarrow.Table``)."""
        import pyarrow.parquet as pq

        return pq.read_table(self.part_path(table, part))

    def prepare(self, manifest: Mapping, resume: bool, overwrite: bool) -> bool:
        """Check and initialise the folder for a run; write the manifest.

        Parameters
        ----------
        manifest : mapping
            From :func:`make_manifest`.
        resume : bool
            Keep the parts of an earlier run with the same inputs (an error if the inputs differ).
        overwrite : bool
            Replace an earlier screen (without ``resume``; otherwise an existing screen is an error).

        Returns
        -------
        bool
            True when existing parts may be reused.
        """
        earlier = (self.out / "manifest.json").exists()
        resume = self._check_manifest(manifest, resume, overwrite)
        if earlier:  # only a folder that holds a screen has outputs of ours to remove
            self._clear_outputs()
        if not resume:
            self._clear()
        for d in (INTERFACES, CELLS):
            (self.out / d).mkdir(parents=True, exist_ok=True)
            for stale in (self.out / d).glob(".part-*"):  # temporary files of a killed run
                stale.unlink()
        from ..profile import atomic_write

        atomic_write(self.out / "manifest.json",
                     lambda p: p.write_text(json.dumps(dict(manifest), indent=2), encoding="utf-8"))
        return resume

    def _check_manifest(self, manifest: Mapping, resume: bool, overwrite: bool) -> bool:
        mpath = self.out / "manifest.json"
        if not mpath.exists():
            return False  # nothing to resume: a fresh run
        try:
            old = json.loads(mpath.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = None
        if resume:
            if old is None or old.get("inputs_sha256") != manifest["inputs_sha256"]:
                raise InputError(f"{self.out}: resuming needs the same inputs as the interrupted run (materials, "
                                 "library values, states, closures, objective, Pareto columns, chunk size); they "
                                 "differ. Use a new output folder or overwrite it")
            return True
        if not overwrite:
            raise InputError(f"{self.out} already holds a screen; resume it (resume=True) or replace it "
                             "(overwrite=True)")
        return False

    def _clear(self) -> None:
        for d in (INTERFACES, CELLS):
            if (self.out / d).exists():
                shutil.rmtree(self.out / d)

    def _clear_outputs(self) -> None:
        for f in OUTPUT_FILES:
            if (self.out / f).is_file():
                (self.out / f).unlink()


def interface_arrays(tables: Mapping, sel: Selection, closures: Sequence[str], plan) -> dict:
    """Cell-stage interface arrays from the interface parts (so cells use exactly what was written).

    Parameters
    ----------
    tables : mapping of int to pyarrow.Table
        Interface part of each chunk id.
    sel : Selection
        The materials.
    closures : sequence of str
        The Q closures.
    plan : list of (int, int, int)
        From :func:`~ssbands.screening.plan.plan_interface_chunks`.

    Returns
    -------
    dict of ndarray
        ``phi0_V`` (V), ``R_scl_ohm_cm2``, ``R_exc_ohm_cm2``, ``R_ct_ohm_cm2`` (Ω cm²),
        ``window_violation_V`` (V), ``decomposition_code`` (int8) of shape (E, M, K); ``injection_code``
        (int8) of shape (Q, E, M, K); ``potential_V`` (V vs Li/Li⁺) of shape (M, K).
    """
    Q, E = len(closures), len(sel.electrolytes)
    M, K = len(sel.electrodes), sel.electrodes[0].soc.size
    ifc = {k: np.empty((E, M, K)) for k in _FLOAT_ARRAYS}
    ifc.update({"decomposition_code": np.empty((E, M, K), np.int8),
                "injection_code": np.empty((Q, E, M, K), np.int8)})
    for cid, e0, e1 in plan:
        t = tables[cid]
        shp = (Q, e1 - e0, M, K)
        for k in _FLOAT_ARRAYS:
            ifc[k][e0:e1] = t.column(k).to_numpy().reshape(shp)[0]
        ifc["decomposition_code"][e0:e1] = codes_from_dictionary(t.column("decomposition"),
                                                                 DECOMPOSITION_LABELS).reshape(shp)[0]
        ifc["injection_code"][:, e0:e1] = codes_from_dictionary(t.column("injection"), INJECTION_LABELS).reshape(shp)
    ifc["potential_V"] = np.stack([e.potential_V for e in sel.electrodes])
    return ifc
