"""KPFM readers: real instrument files against their reference readers, synthetic files of every
format, channel choice, writers' round trip, clear errors."""

from __future__ import annotations

import re
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from ssbands.errors import InputError
from ssbands.kpfm.io import SAMPLE_BIAS, TIP_BIAS, read, write

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "kpfm"
SHARED = HERE.parent.parent / "shared" / "data" / "kpfm"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared KPFM data {SHARED} is absent "
                                  "(licensed files are used only from ../shared)")


def shared(name):
    return SHARED / name


# ------------------------------------------------------------------ synthetic file builders
def make_sxm(path, nx=8, ny=6, kelvin=True, truncate=0):
    """A minimal Nanonis .sxm: Z (both directions) and Bias (forward only)."""
    rng = np.random.default_rng(1)
    z_f, z_b = rng.normal(size=(ny, nx)), rng.normal(size=(ny, nx))
    bias = rng.normal(size=(ny, nx))
    hdr = (":NANONIS_VERSION:\n2\n:SCANIT_TYPE:\n              FLOAT            MSBFIRST\n"
           f":SCAN_PIXELS:\n       {nx}       {ny}\n:SCAN_RANGE:\n           1.000000E-6           5.000000E-7\n"
           ":SCAN_DIR:\nup\n"
           + (":Kelvin Controller>Controller status:\nON\n" if kelvin else "")
           + ":DATA_INFO:\n\tChannel\tName\tUnit\tDirection\tCalibration\tOffset\n"
           "\t14\tZ\tm\tboth\t1.000E-9\t0.000E+0\n\t0\tBias\tV\tforward\t1.000E+0\t0.000E+0\n\n"
           ":SCANIT_END:\n\n\n")
    body = np.concatenate([z_f.ravel(), z_b.ravel(), bias.ravel()]).astype(">f4").tobytes()
    raw = hdr.encode() + b"\x1a\x04" + body
    Path(path).write_bytes(raw[:len(raw) - truncate] if truncate else raw)
    return z_f, z_b, bias


def make_3ds(path, nx=4, ny=3, npts=16, truncate=0, v0=0.05):
    """A minimal Nanonis .3ds grid: Bias and Frequency Shift with a parabola of vertex v0 + ..."""
    v = np.linspace(0.2, -0.1, npts)
    cpd = v0 + 0.01 * np.arange(nx * ny).reshape(ny, nx)
    df = -10.0 * (v[None, None, :] - cpd[..., None]) ** 2 - 6.0
    par = np.zeros((ny, nx, 6))
    par[..., 0], par[..., 1] = v[0], v[-1]
    par[..., 4] = -1e-8
    hdr = (f'Grid dim="{nx} x {ny}"\r\nGrid settings=0E+0;0E+0;1.500000E-8;1.000000E-8;0.000000E+0\r\n'
           'Filetype=Linear\r\nSweep Signal="Bias (V)"\r\nFixed parameters="Sweep Start;Sweep End"\r\n'
           'Experiment parameters="X (m);Y (m);Z (m);Final Z (m)"\r\n# Parameters (4 byte)=6\r\n'
           f'Experiment size (bytes)={npts * 2 * 4}\r\nPoints={npts}\r\n'
           'Channels="Bias (V);Frequency Shift (Hz)"\r\nDelay before measuring (s)=1E+0\r\n'
           'Experiment="Grid Spectroscopy"\r\nStart time=""\r\nEnd time=""\r\nUser=\r\n'
           'Comment=KPFM\r\n:HEADER_END:\r\n')
    blk = np.concatenate([par, np.broadcast_to(v, (ny, nx, npts)), df], axis=-1).astype(">f4").tobytes()
    raw = hdr.encode() + blk
    Path(path).write_bytes(raw[:len(raw) - truncate] if truncate else raw)
    return cpd, v, df


def make_nanoscope(path, nx=16, ny=8, truncate=0):
    """A minimal Nanoscope v5 file with a Height and a Potential image (2 bytes/pixel)."""
    rng = np.random.default_rng(2)
    h = rng.integers(-30000, 30000, size=(ny, nx), dtype=np.int16)
    p = rng.integers(-30000, 30000, size=(ny, nx), dtype=np.int16)
    off = 8192

    def image(name, z, soft, offset):
        return (f"\\*Ciao image list\r\n\\Data offset: {offset}\r\n\\Data length: {nx * ny * 2}\r\n"
                f"\\Bytes/pixel: 2\r\n\\Samps/line: {nx}\r\n\\Number of lines: {ny}\r\n"
                f"\\Scan size: 4 2 ~m\r\n\\Line direction: Trace\r\n"
                f"\\@2:Image Data: S [{name}] \"{name}\"\r\n"
                f"\\@2:Z scale: V [{soft}] (0.006713765 V/LSB) {0.006713765 * 65536:.7g} V\r\n")

    hdr = ("\\*File list\r\n\\Version: 0x05310001\r\n\\Data length: 8192\r\n\\*Scanner list\r\n"
           "\\@Sens. Zscan: V 15.06800 nm/V\r\n\\@Sens. Potential: V 100.0000 mV/V\r\n"
           + image("Height", h, "Sens. Zscan", off) + image("Potential", p, "Sens. Potential", off + nx * ny * 2)
           + "\\*File list end\r\n")
    raw = hdr.encode("latin-1").ljust(off, b"\0") + h.tobytes() + p.tobytes()
    Path(path).write_bytes(raw[:len(raw) - truncate] if truncate else raw)
    return h, p


def make_park(path, source="KPFM", unit="mV", nx=8, ny=4, gain=2.0):
    """A Park Systems TIFF (version 2, float32 data) written with tifffile's extra tags."""
    import tifffile

    rng = np.random.default_rng(3)
    raw = rng.normal(size=(ny, nx)).astype("<f4")
    head = bytearray(580)
    struct.pack_into("<i", head, 0, 0)
    head[4:4 + 64] = source.encode("utf-16-le").ljust(64, b"\0")
    head[68:68 + 16] = "NCM".encode("utf-16-le").ljust(16, b"\0")
    struct.pack_into("<ii", head, 100, nx, ny)
    struct.pack_into("<dd", head, 140, 3.0, 1.5)
    struct.pack_into("<ddd", head, 220, gain, 1.0, 0.0)
    head[244:244 + 16] = unit.encode("utf-16-le").ljust(16, b"\0")
    struct.pack_into("<i", head, 348, 2)
    extratags = [(50432, "I", 1, 0x0E031301, True), (50433, "I", 1, 0x01000002, True),
                 (50434, "B", raw.nbytes, raw.tobytes(), True), (50435, "B", 580, bytes(head), True)]
    tifffile.imwrite(str(path), np.zeros((ny, nx), np.uint8), extratags=extratags)
    return raw


# ---------------------------------------------------------------------- real files (shared)
@needs_shared
@pytest.mark.parametrize("name,pot,ref_title", [
    ("CdTe_0per_350C_2_CPD.gwy", "CPD", "CPD"),
    ("CdTe_7per_350C_5_CPD.gwy", "CPD", "CPD"),
    ("CdTe_0per_350C_2_topography.gwy", None, "Topography"),
])
def test_gwy_matches_gwyfile(name, pot, ref_title):
    import gwyfile

    kf = read(shared(name))
    assert kf.format == "gwyddion" and kf.potential_channel == pot
    ref = gwyfile.util.get_datafields(gwyfile.load(str(shared(name))))
    assert kf.titles == list(ref)
    for c in kf.channels:
        df = ref[c.title]
        np.testing.assert_array_equal(c.data, df.data)
        assert c.size_m == (df.xreal, df.yreal) == (2e-6, 2e-6)
        assert c.unit == df["si_unit_z"]["unitstr"]
    if pot:
        cpd = kf.channel()
        assert cpd.unit == "V" and cpd.title == "CPD"


@needs_shared
def test_cdte_mislabelled_topography_is_reported():
    kf = read(shared("CdTe_0per_350C_2_CPD.gwy"))
    topo = kf.channel("Topography")
    assert topo.unit == "m" and topo.role == "suspect-potential"
    assert "raw potential" in topo.note and "calibrate" in topo.note
    assert any("raw potential" in n for n in kf.notes)
    # the calibrated CPD channel is the mislabelled channel times 1e10 (then FFT-filtered): same scale
    cpd = kf.channel()
    assert 0.3 < np.median(cpd.data) / np.median(topo.data * 1e10) < 3
    # the user can still name the raw channel, with a warning
    forced = read(shared("CdTe_0per_350C_2_CPD.gwy"), channel="topography")
    assert forced.potential_channel == "Topography" and any("WARNING" in n for n in forced.notes)


@needs_shared
def test_cdte_values_as_documented():
    c0 = read(shared("CdTe_0per_350C_2_CPD.gwy")).channel()
    assert c0.data.min() == pytest.approx(0.374, abs=1e-3) and c0.data.mean() == pytest.approx(1.305, abs=1e-3)
    c7 = read(shared("CdTe_7per_350C_5_CPD.gwy")).channel()
    assert c7.data.mean() == pytest.approx(-0.96, abs=0.01)


@needs_shared
def test_3ds_matches_nanonispy():
    import nanonispy

    p = shared("nanonis_KPFM_grid_Bias_spectroscopy.3ds")
    kf = read(p)
    g = nanonispy.read.Grid(str(p))
    assert kf.format == "nanonis-3ds" and kf.potential_channel is None
    df = kf.channel("Frequency Shift")
    assert df.unit == "Hz" and df.shape == (20, 20, 128) and df.size_m == (1.5e-8, 1.5e-8)
    np.testing.assert_array_equal(df.data, g.signals["Frequency Shift (Hz)"])
    np.testing.assert_allclose(kf.sweep, g.signals["sweep_signal"], rtol=1e-6)
    assert kf.sweep[0] == pytest.approx(0.2) and kf.sweep[-1] == pytest.approx(-0.1)
    assert kf.cpd_convention == SAMPLE_BIAS


@needs_shared
def test_nanoscope_real_file_scaling_chain():
    p = shared("bruker_nanoscope_old_bruker.002")
    raw = p.read_bytes()
    kf = read(p)
    (h,) = kf.channels
    assert kf.format == "nanoscope" and kf.potential_channel is None
    assert h.title == "Height" and h.unit == "m" and h.shape == (256, 256)
    assert h.size_m == pytest.approx((15e-6, 15e-6))
    # independent computation from the header text: offset, value count, documented chain
    hdr = raw[:raw.index(b"\\*File list end")].decode("latin-1")
    off = int(re.findall(r"\\Data offset: (\d+)", hdr)[-1])
    length = int(re.findall(r"\\Data length: (\d+)", hdr)[-1])
    assert length == 256 * 256 * 2 and off + length == len(raw)
    zs = float(re.search(r"\\@2:Z scale: V \[Sens\. Zscan\] \(([\d.]+) V/LSB\) ([\d.]+) V", hdr).group(2))
    sens = float(re.search(r"\\@Sens\. Zscan: V ([\d.]+) nm/V", hdr).group(1))
    ints = np.frombuffer(raw, "<i2", 256 * 256, off).reshape(256, 256)[::-1]
    np.testing.assert_allclose(h.data, ints * zs / 65536 * sens * 1e-9, rtol=1e-12)
    # values reported by pySPM's Bruker reader for this file (peak-to-peak, std, mean in nm)
    z = h.data * 1e9
    assert np.ptp(z) == pytest.approx(704.79, rel=2e-3)
    assert z.std() == pytest.approx(135.53, rel=2e-3)
    assert z.mean() == pytest.approx(379.62, abs=0.5)


@needs_shared
def test_park_real_file_matches_tifffile_tags():
    import tifffile

    p = shared("park_Park_20210916_034.tiff")
    kf = read(p)
    (c,) = kf.channels
    assert kf.format == "park-tiff" and kf.potential_channel is None
    assert c.title == "Topography" and c.unit == "m" and c.shape == (256, 256)
    with tifffile.TiffFile(str(p)) as tf:
        tags = tf.pages[0].tags
        data = np.frombuffer(bytes(tags[50434].value), "<f4").reshape(256, 256)
        head = bytes(tags[50435].value)
    gain, zscale, zoff = struct.unpack_from("<3d", head, 220)
    unit = head[244:260].decode("utf-16-le").split("\0")[0]
    factor = {"um": 1e-6, "nm": 1e-9, "m": 1.0}[unit]
    np.testing.assert_allclose(c.data, factor * gain * (data[::-1] * zscale + zoff))
    xs, ys = struct.unpack_from("<2d", head, 140)
    assert c.size_m == pytest.approx((xs * 1e-6, ys * 1e-6))
    assert 1e-9 < np.ptp(c.data) < 1e-6  # nanometre-scale topography


@needs_shared
def test_text_real_file_cr_line_endings():
    p = shared("pmkpfm_DPhBTBT_transistor_potential_Feb17_1647_image1.txt")
    raw = p.read_bytes()
    assert b"\r" in raw and b"\n" not in raw[:400]
    kf = read(p)
    (c,) = kf.channels
    assert kf.potential_channel == c.title and c.unit == "V" and c.unit_source == "inferred"
    assert c.shape == (128, 128) and c.size_m is None
    body = re.split(r"[\r\n]+", raw.decode())
    rows = [r for r in body if r and re.match(r"^[-\d.]", r)]
    ref = np.array([[float(v) for v in r.split("\t") if v] for r in rows])
    np.testing.assert_array_equal(c.data, ref)
    assert c.data.min() == pytest.approx(-1.11, abs=0.01) and c.data.max() == pytest.approx(0.22, abs=0.01)
    assert kf.metadata["x lines"] == "128"


@needs_shared
@pytest.mark.parametrize("name,pot", [("ramadanlab_passivated_Dark_CPD.npy", True),
                                      ("ramadanlab_passivated_LightOn_CPD.npy", True),
                                      ("ramadanlab_passivated_GBmask_2pixel.npy", False)])
def test_npy_real_files(name, pot):
    kf = read(shared(name))
    np.testing.assert_array_equal(kf.channels[0].data, np.load(shared(name), allow_pickle=False))
    assert (kf.potential_channel is not None) == pot


@needs_shared
def test_every_shared_file_loads():
    for p in sorted(SHARED.iterdir()):
        if p.suffix == ".md":
            continue
        kf = read(p)
        assert kf.channels and all(np.isfinite(c.data).any() for c in kf.channels)


# ------------------------------------------------------------------------ MIT copies (always)
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_ibw_matches_igor2_and_fixes_labels():
    from igor2 import binarywave

    p = DATA / "asylum_cypher_P0089OP0027.ibw"
    kf = read(p)
    w = binarywave.load(str(p))["wave"]
    assert kf.titles == ["HeightRetrace", "AmplitudeRetrace", "DeflectionRetrace", "PhaseRetrace",
                         "UserIn0Retrace"]
    # igor2 itself returns the corrupted labels this reader repairs
    assert b"DeflectionRetracee" in w["labels"][2]
    for i, c in enumerate(kf.channels):
        np.testing.assert_array_equal(c.data, np.flipud(w["wData"][:, :, i].T))
        assert c.size_m == (2e-6, 2e-6) and c.shape == (256, 256)
    assert [c.unit for c in kf.channels] == ["m", "m", "m", "deg", "V"]
    assert kf.potential_channel is None and kf.cpd_convention == TIP_BIAS
    with pytest.raises(InputError, match="no potential channel.*HeightRetrace"):
        kf.channel()


def test_npy_copy_and_gb_mask():
    kf = read(DATA / "ramadanlab_passivated_Dark_CPD.npy")
    c = kf.channel()
    assert kf.format == "npy" and c.shape == (128, 256) and c.unit == "V"
    assert c.data.mean() == pytest.approx(-0.664, abs=1e-3)
    m = read(DATA / "ramadanlab_passivated_GBmask_2pixel.npy")
    assert m.potential_channel is None
    assert set(np.unique(m.channels[0].data)) == {0.0, 1.0}


# ------------------------------------------------------------------------ synthetic formats
def test_sxm_synthetic_against_nanonispy(tmp_path):
    import nanonispy  # noqa: F401 - the test needs nanonispy installed, though it is no reference (see below)

    p = tmp_path / "scan.sxm"
    z_f, z_b, bias = make_sxm(p)
    kf = read(p)
    assert kf.titles == ["Z", "Z (backward)", "Bias"]
    assert kf.potential_channel == "Bias"  # Kelvin controller compensation bias
    z = kf.channel("Z")
    assert z.size_m == (1e-6, 5e-7) and z.unit == "m"
    np.testing.assert_allclose(z.data, z_f.astype(">f4")[::-1])
    np.testing.assert_allclose(kf.channel("Z (backward)").data, z_b.astype(">f4")[::-1, ::-1])
    # (nanonispy.read.Scan cannot serve as the reference here: it uses np.float, removed in
    # numpy 1.24, and needs both directions for every channel)
    no_k = tmp_path / "nok.sxm"
    make_sxm(no_k, kelvin=False)
    assert read(no_k).potential_channel is None


def test_3ds_synthetic(tmp_path):
    p = tmp_path / "grid.3ds"
    cpd, v, df = make_3ds(p)
    kf = read(p)
    np.testing.assert_allclose(kf.channel("Frequency Shift").data, df.astype(">f4"))
    np.testing.assert_allclose(kf.sweep, v, atol=1e-6)
    assert kf.channel("Frequency Shift").size_m == (1.5e-8, 1e-8)


def test_3ds_truncated_is_not_zero_padded(tmp_path):
    p = tmp_path / "grid.3ds"
    make_3ds(p, truncate=4)
    with pytest.raises(InputError, match="truncated or corrupt"):
        read(p)


def test_nanoscope_synthetic_potential(tmp_path):
    p = tmp_path / "kpfm.001"
    h, pot = make_nanoscope(p)
    kf = read(p)
    assert kf.titles == ["Height", "Potential"] and kf.potential_channel == "Potential"
    lsb = 0.006713765 * 65536 / 65536
    np.testing.assert_allclose(kf.channel("Potential").data, pot[::-1] * lsb * 0.1, rtol=1e-6)  # mV/V -> V
    np.testing.assert_allclose(kf.channel("Height").data, h[::-1] * lsb * 15.068e-9, rtol=1e-6)
    assert kf.channel("Height").size_m == pytest.approx((4e-6, 2e-6))
    t = tmp_path / "trunc.spm"
    make_nanoscope(t, truncate=10)
    with pytest.raises(InputError, match="outside the file"):
        read(t)


def test_park_synthetic_potential(tmp_path):
    p = tmp_path / "kpfm.tiff"
    raw = make_park(p)
    kf = read(p)
    c = kf.channel()
    assert kf.potential_channel == "KPFM" and c.unit == "V"
    np.testing.assert_allclose(c.data, 2.0 * raw[::-1] * 1e-3, rtol=1e-6)
    assert c.size_m == (3e-6, 1.5e-6)


def test_plain_tiff_is_not_park(tmp_path):
    import tifffile

    p = tmp_path / "plain.tif"
    tifffile.imwrite(str(p), np.zeros((4, 4), np.uint8))
    with pytest.raises(InputError, match="not a Park Systems TIFF"):
        read(p)


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("delim", ["\t", ",", " "])
def test_text_any_line_ending(tmp_path, ending, delim):
    z = np.arange(12.0).reshape(3, 4) / 7
    lines = ["title: Surface potential", "unit: mV", "x size [um]: 2", "y size [nm]: 1500"]
    lines += [delim.join(f"{v:.12g}" for v in row) for row in z]
    p = tmp_path / "m.txt"
    p.write_bytes(ending.join(lines).encode())
    kf = read(p)
    c = kf.channel()
    np.testing.assert_allclose(c.data, z * 1e-3)
    assert c.unit == "V" and c.size_m == pytest.approx((2e-6, 1.5e-6))


# ------------------------------------------------------------------------------ writers
@pytest.mark.parametrize("ext", [".npy", ".txt", ".csv", ".gwy"])
def test_write_read_round_trip(tmp_path, ext):
    rng = np.random.default_rng(7)
    z = rng.normal(0.3, 0.05, size=(5, 9))
    p = write(tmp_path / f"map{ext}", z, title="CPD", unit="V", size_m=(9e-7, 5e-7), convention="tip")
    kf = read(p)
    c = kf.channel()
    assert kf.potential_channel == "CPD" and c.unit == "V"
    np.testing.assert_allclose(c.data, z, rtol=1e-9)
    assert c.size_m == pytest.approx((9e-7, 5e-7))
    if ext != ".gwy":
        assert kf.cpd_convention == TIP_BIAS
    with pytest.raises(InputError, match="writable formats"):
        write(tmp_path / "m.sxm", z)


# ------------------------------------------------------------------------------- errors
def test_errors_name_the_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read(tmp_path / "nope.gwy")
    p = tmp_path / "x.xyz"
    p.write_text("hello")
    with pytest.raises(InputError, match=r"x\.xyz.*unsupported format"):
        read(p)
    with pytest.raises(InputError, match="is a directory"):
        read(tmp_path)
    kf = read(DATA / "ramadanlab_passivated_Dark_CPD.npy")
    with pytest.raises(InputError, match="no channel 'CPDX'"):
        kf.channel("CPDX")


@pytest.mark.parametrize("lib,maker,ext", [("gwyfile", None, ".gwy"), ("igor2", None, ".ibw"),
                                           ("tifffile", make_park, ".tiff")])
def test_missing_library_says_pip_install(tmp_path, monkeypatch, lib, maker, ext):
    p = tmp_path / f"f{ext}"
    if maker:
        maker(p)
    elif ext == ".gwy":
        write(p, np.zeros((2, 2)), size_m=(1e-6, 1e-6))
    else:
        p.write_bytes((DATA / "asylum_cypher_P0089OP0027.ibw").read_bytes())
    for mod in [m for m in sys.modules if m == lib or m.startswith(lib + ".")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, lib, None)
    with pytest.raises(InputError, match=r"pip install ssbands\[kpfm\]"):
        read(p)


def test_3ds_reads_without_nanonispy(tmp_path, monkeypatch):
    """The .3ds reader parses the grid itself (old headers, grids stopped early): nanonispy is not needed."""
    p = tmp_path / "g.3ds"
    cpd, v, df = make_3ds(p)
    for mod in [m for m in sys.modules if m == "nanonispy" or m.startswith("nanonispy.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "nanonispy", None)
    np.testing.assert_allclose(read(p).channel("Frequency Shift").data, df.astype(">f4"))
