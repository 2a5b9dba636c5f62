"""Fuzzing every reader: truncated, bit-flipped and random files give InputError (naming the file)
or a well-formed result — never another exception, a crash or a hang (each read is bounded by an
alarm). Small example counts keep the suite fast."""

from __future__ import annotations

import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssbands.errors import InputError
from ssbands.kpfm.io import KPFMFile, read, write

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "kpfm"
SETTINGS = dict(max_examples=20, deadline=3000, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _seed(fmt: str, d: Path) -> tuple[bytes, str]:
    from test_kpfm_io import make_3ds, make_nanoscope, make_park, make_sxm

    z = np.linspace(0, 1, 48).reshape(6, 8)
    if fmt == "gwy":
        p = write(d / "s.gwy", z, size_m=(1e-6, 1e-6))
    elif fmt == "npy":
        p = d / "s.npy"
        np.save(p, z)
    elif fmt == "text":
        p = write(d / "s.txt", z, size_m=(1e-6, 1e-6))
    elif fmt == "ibw":
        p = DATA / "asylum_cypher_P0089OP0027.ibw"
    elif fmt == "sxm":
        make_sxm(p := d / "s.sxm")
    elif fmt == "3ds":
        make_3ds(p := d / "s.3ds")
    elif fmt == "nanoscope":
        make_nanoscope(p := d / "s.spm")
    elif fmt == "park":
        make_park(p := d / "s.tiff")
    return Path(p).read_bytes(), Path(p).suffix


FORMATS = ["gwy", "npy", "text", "ibw", "sxm", "3ds", "nanoscope", "park"]
_SEEDS: dict[str, tuple[bytes, str]] = {}


def seed(fmt):
    if fmt not in _SEEDS:
        with tempfile.TemporaryDirectory() as d:
            _SEEDS[fmt] = _seed(fmt, Path(d))
    return _SEEDS[fmt]


@contextmanager
def alarm(seconds=10):
    def handler(signum, frame):
        raise TimeoutError(f"reader hung for more than {seconds} s")

    old = signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def check(data: bytes, suffix: str):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"fuzzed{suffix}"
        p.write_bytes(data)
        with alarm():
            try:
                kf = read(p)
            except InputError as exc:
                assert "fuzzed" in str(exc)
                return
        assert isinstance(kf, KPFMFile) and kf.channels
        for c in kf.channels:
            assert isinstance(c.data, np.ndarray) and c.data.ndim in (2, 3) and c.data.dtype == float
            assert c.size_m is None or (np.all(np.isfinite(c.size_m)) and min(c.size_m) > 0)
        assert kf.potential_channel is None or kf.potential_channel in kf.titles


@pytest.mark.parametrize("fmt", FORMATS)
def test_seed_files_read(fmt):
    data, suffix = seed(fmt)
    check(data, suffix)


@pytest.mark.parametrize("fmt", FORMATS)
@settings(**SETTINGS)
@given(frac=st.floats(0.0, 0.999))
def test_truncated(fmt, frac):
    data, suffix = seed(fmt)
    check(data[:int(len(data) * frac)], suffix)


@pytest.mark.parametrize("fmt", FORMATS)
@settings(**SETTINGS)
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 7)), min_size=1, max_size=8),
       header_bias=st.booleans())
def test_bit_flipped(fmt, flips, header_bias):
    data, suffix = seed(fmt)
    b = bytearray(data)
    span = min(len(b), 2048) if header_bias else len(b)  # headers are where flips do most harm
    for pos, bit in flips:
        b[int(pos * span)] ^= 1 << bit
    check(bytes(b), suffix)


@pytest.mark.parametrize("fmt", FORMATS)
@settings(**SETTINGS)
@given(blob=st.binary(min_size=0, max_size=3000), keep_magic=st.booleans())
def test_random_bytes(fmt, blob, keep_magic):
    data, suffix = seed(fmt)
    check((data[:16] + blob) if keep_magic else blob, suffix)
