"""KPFM files that used to give wrong answers or wrong refusals: text headers with the unit after the
value (Gwyddion's ASCII export), maps without a physical size, the choice of the potential channel,
the Nanonis Kelvin controller, Bruker auto-ranged channels, old and stopped Nanonis grids, Nanonis
point spectra, Gwyddion 1.x files. Each example has a test; the property tests at the end cover the
class (a property test that accepts a refusal also checks that not every case was refused)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssbands.errors import InputError
from ssbands.kpfm.io import read, write
from ssbands.kpfm.io._core import choose_potential, make_channel
from ssbands.kpfm.processing import map_to_profile
from ssbands.kpfm.spectroscopy import fit_grid

from _cli import run_cli as run
from test_kpfm_io import make_3ds, make_sxm

SRC = Path(__file__).resolve().parents[1] / "src" / "ssbands"
Z = np.arange(12.0).reshape(3, 4) / 10
PROPS = dict(max_examples=40, deadline=None, derandomize=True,
             suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def text_map(path, header: str, z=Z, fmt="{:g}", delim="\t", encoding="utf-8"):
    body = "\n".join(delim.join(fmt.format(v) for v in row) for row in z)
    Path(path).write_bytes((header + body + "\n").encode(encoding))
    return Path(path)


# ------------------------------------------------------------------ text headers: unit after the value
def test_width_with_unit_after_the_value_is_not_metres(tmp_path):
    kf = read(text_map(tmp_path / "a.txt", "title: CPD\nunit: V\nWidth: 2.000 µm\nHeight: 1.5 µm\n"))
    assert kf.channels[0].size_m == pytest.approx((2e-6, 1.5e-6))  # was (2.0, 1.5) m: a 10^6 error


def test_gwyddion_ascii_export_header(tmp_path):
    """Gwyddion's "ASCII data matrix" export with its informational header (asciiexport.c)."""
    hdr = "# Channel: CPD\n# Width: 2.000 µm\n# Height: 1.500 µm\n# Value units: V\n"
    kf = read(text_map(tmp_path / "g.txt", hdr))
    c = kf.channel()
    assert kf.potential_channel == "CPD" and c.unit == "V" and c.unit_source == "file"
    assert c.size_m == pytest.approx((2e-6, 1.5e-6))
    np.testing.assert_allclose(c.data, Z)
    # nm and mV: the prefixes apply
    kf = read(text_map(tmp_path / "n.txt", "# Channel: Surface potential\n# Width: 500.0 nm\n# Height: 250.0 nm\n"
                                           "# Value units: mV\n"))
    assert kf.channel().size_m == pytest.approx((5e-7, 2.5e-7))
    np.testing.assert_allclose(kf.channel().data, Z * 1e-3)


def test_gwyddion_export_with_decimal_commas_and_latin1(tmp_path):
    hdr = "# Channel: CPD\n# Width: 2,000 µm\n# Height: 1,500 µm\n# Value units: V\n"
    kf = read(text_map(tmp_path / "c.txt", hdr, fmt="{:.3f}", encoding="latin-1"))
    c = kf.channel()
    assert c.size_m == pytest.approx((2e-6, 1.5e-6))
    np.testing.assert_allclose(c.data, Z)  # "0,100" is 0.1, not two columns
    assert any("Latin-1" in n for n in kf.notes)


def test_bracket_and_trailing_units_must_agree(tmp_path):
    with pytest.raises(InputError, match=r"x size \[nm\].*disagree"):
        read(text_map(tmp_path / "d.txt", "title: CPD\nunit: V\nx size [nm]: 2 µm\n"))


def test_pixel_size_that_disagrees_with_the_width_is_refused(tmp_path):
    with pytest.raises(InputError, match=r"w\.txt.*pixel size \(20 nm\) x 4 pixels = 80 nm disagrees.*3000 nm"):
        read(text_map(tmp_path / "w.txt", "title: CPD\nunit: V\nWidth: 3 µm\nPixel size: 20 nm\n"))
    kf = read(text_map(tmp_path / "ok.txt", "title: CPD\nunit: V\nWidth: 80 nm\nPixel size: 20 nm\n"))
    assert kf.channel().size_m == pytest.approx((8e-8, 6e-8))


def test_size_refusals_name_the_file(tmp_path):
    with pytest.raises(InputError, match=r"neg\.txt.*not positive"):
        read(text_map(tmp_path / "neg.txt", "title: CPD\nunit: V\nWidth: -2 µm\n"))


# ------------------------------------------------------------------ maps without a physical size
def test_size_without_unit_is_not_guessed_and_pixel_units_are_offered(tmp_path):
    p = text_map(tmp_path / "u.txt", "title: CPD\nunit: V\nWidth: 2.000\n")
    kf = read(p)
    assert kf.channel().size_m is None
    assert any("'Width: 2.000' gives no length unit" in n for n in kf.notes)
    with pytest.raises(InputError, match=r"Width: 2\.000.*pixel_size_nm=VALUE.*pixel_units=True"):
        map_to_profile(kf)
    prof = map_to_profile(kf, pixel_units=True)
    assert prof["x"].attrs["units"] == "px" and list(prof["x"].values) == [0.5, 1.5, 2.5, 3.5]
    assert prof.ssb.metadata["x_unit"] == "px" and prof.ssb.metadata["pixel_size_nm"] is None
    np.testing.assert_allclose(prof["cpd_V"].values, Z.mean(0))
    with pytest.raises(InputError, match="choose one"):
        map_to_profile(kf, pixel_units=True, pixel_size_nm=20)


def test_cli_offers_pixel_units_by_its_flags(capsys, tmp_path):
    p = str(write(tmp_path / "m.npy", np.tile(np.linspace(0, 1, 8), (4, 1)), title="CPD"))
    rc, _, err = run(capsys, "kpfm", "profile", p)
    assert rc == 2 and "--pixel-size-nm VALUE" in err and "--pixel-units" in err and "pixel_size_nm" not in err
    rc, out, err = run(capsys, "kpfm", "profile", p, "--pixel-units", "--json")
    assert rc == 0, err
    d = json.loads(out)
    assert d["x_px"][0] == 0.5 and "x_nm" not in d
    rc, out, _ = run(capsys, "kpfm", "profile", p, "--pixel-units")
    assert rc == 0 and " px" in out.splitlines()[0]


def test_fit_refuses_a_profile_in_pixels(tmp_path):
    from ssbands.kpfm.fit.measured import as_measured

    kf = read(write(tmp_path / "m.npy", np.tile(np.linspace(0, 1, 8), (4, 1)), title="CPD"))
    prof = map_to_profile(kf, pixel_units=True).assign(delta_cpd_V=lambda d: d["cpd_V"])
    with pytest.raises(InputError, match="not nm"):
        as_measured(prof, None, None, None, None)


# ------------------------------------------------------------------ choice of the potential channel
def _gwy(path, channels):
    from ssbands.kpfm.io.gwy import write_gwy

    write_gwy(path, [(t, u, np.random.default_rng(0).normal(size=(4, 5)), (1e-6, 1e-6)) for t, u in channels])
    return read(path)


@pytest.mark.parametrize("title", ["LI Demod 1 X", "Lock-in R", "Temperature", "Temp sensor", "Input 2",
                                   "UserIn0", "Aux 1", "ADC1", "KPFM Amplitude", "Kelvin phase",
                                   "Potential error", "EC potential", "Cell potential", "Bias"])
def test_non_potential_channels_in_volts_are_never_chosen(tmp_path, title):
    kf = _gwy(tmp_path / "x.gwy", [("Topography", "m"), (title, "V")])
    assert kf.potential_channel is None
    with pytest.raises(InputError, match="no potential channel"):
        kf.channel()


def test_neutral_volt_channel_is_a_candidate_not_a_choice(tmp_path):
    kf = _gwy(tmp_path / "r.gwy", [("Topography", "m"), ("Recalibrated Data 1", "V")])
    assert kf.potential_channel is None
    with pytest.raises(InputError, match=r"candidates: 'Recalibrated Data 1' \[V\]"):
        kf.channel()
    assert any("candidates" in n and "channel=NAME" in n for n in kf.notes)


def test_forward_is_preferred_to_backward(tmp_path):
    kf = _gwy(tmp_path / "f.gwy", [("CPD (backward)", "V"), ("CPD (forward)", "V")])
    assert kf.potential_channel == "CPD (forward)"
    kf = _gwy(tmp_path / "a.gwy", [("NapPotentialRetrace", "V"), ("NapPotentialTrace", "V")])
    assert kf.potential_channel == "NapPotentialTrace"
    kf = _gwy(tmp_path / "b.gwy", [("Height", "m"), ("NapPotentialRetrace", "V")])
    assert kf.potential_channel == "NapPotentialRetrace"  # the only one recorded
    assert any("only one recorded is a backward scan" in n for n in kf.notes)


def test_ambiguous_choice_lists_the_candidates(tmp_path):
    kf = _gwy(tmp_path / "amb.gwy", [("CPD", "V"), ("Surface potential", "V")])
    assert kf.potential_channel is None
    with pytest.raises(InputError, match=r"candidates: 'CPD' \[V\], 'Surface potential' \[V\]"):
        kf.channel()
    assert read(tmp_path / "amb.gwy", channel="Surface potential").channel().title == "Surface potential"


# ------------------------------------------------------------------ Nanonis Kelvin controller
def test_nanonis_kelvin_controller_status(tmp_path):
    p = tmp_path / "on.sxm"
    make_sxm(p)
    raw = p.read_bytes()
    assert read(p).potential_channel == "Bias"
    off = tmp_path / "off.sxm"
    off.write_bytes(raw.replace(b"Controller status:\nON", b"Controller status:\nOFF"))
    kf = read(off)
    assert kf.potential_channel is None and any("Kelvin controller was off" in n for n in kf.notes)
    unk = tmp_path / "unk.sxm"
    unk.write_bytes(raw.replace(b":Kelvin Controller>Controller status:\nON\n", b":Kelvin Controller>Setpoint:\n0\n"))
    kf = read(unk)
    assert kf.potential_channel is None and any("does not say whether the controller ran" in n for n in kf.notes)


# ------------------------------------------------------------------ Bruker Nanoscope scaling
def make_spm(path, *, hard_value, hard_scale=0.006713765, sens="\\@Sens. Potential: V 100.0000 mV/V",
             scan_list="", soft="Sens. Potential", title="Potential", nx=8, ny=4, bpp=2):
    """A Nanoscope v5 file with one image whose Z scale is given explicitly."""
    rng = np.random.default_rng(5)
    raw = rng.integers(-30000, 30000, size=(ny, nx)).astype(f"<i{bpp}")
    off = 4096
    soft_part = f"[{soft}] " if soft else ""
    hdr = ("\\*File list\r\n\\Version: 0x05310001\r\n\\*Scanner list\r\n" + (sens + "\r\n" if sens else "")
           + "\\*Ciao scan list\r\n" + scan_list
           + f"\\*Ciao image list\r\n\\Data offset: {off}\r\n\\Data length: {raw.nbytes}\r\n"
           f"\\Bytes/pixel: {bpp}\r\n\\Samps/line: {nx}\r\n\\Number of lines: {ny}\r\n\\Scan size: 2 1 ~m\r\n"
           f"\\Line direction: Trace\r\n\\@2:Image Data: S [{title}] \"{title}\"\r\n"
           f"\\@2:Z scale: V {soft_part}({hard_scale} V/LSB) {hard_value} V\r\n\\*File list end\r\n")
    Path(path).write_bytes(hdr.encode("latin-1").ljust(off, b"\0") + raw.tobytes())
    return raw


def test_nanoscope_auto_ranged_channel_is_valid(tmp_path):
    """Hard value 202.2 V is not 0.006713765 V/LSB x 2^16 (440 V): auto-ranged, read with the hard value."""
    raw = make_spm(tmp_path / "a.001", hard_value=202.2)
    kf = read(tmp_path / "a.001")  # refused before ("disagrees with hard value")
    c = kf.channel()
    assert kf.potential_channel == "Potential" and c.unit == "V"
    np.testing.assert_allclose(c.data, raw[::-1] * 202.2 / 65536 * 0.1, rtol=1e-12)
    assert any("auto-ranged" in n for n in kf.notes) and c.metadata["scaling"]["auto_ranged"]


def test_nanoscope_sensitivity_without_unit_and_from_the_scan_list(tmp_path):
    raw = make_spm(tmp_path / "b.001", hard_value=440.0, sens="",
                   scan_list="\\@Sens. Potential: V 1.000000 \r\n")
    c = read(tmp_path / "b.001").channel()
    assert c.unit == "V" and c.metadata["scaling"]["soft_scale_section"] == "Ciao scan list"
    np.testing.assert_allclose(c.data, raw[::-1] * 440.0 / 65536, rtol=1e-12)
    raw = make_spm(tmp_path / "c.001", hard_value=10.0, soft="")  # no soft scale: the hard value's unit
    np.testing.assert_allclose(read(tmp_path / "c.001").channel().data, raw[::-1] * 10.0 / 65536, rtol=1e-12)


def test_nanoscope_scanner_list_sensitivity_wins(tmp_path):
    raw = make_spm(tmp_path / "d.001", hard_value=440.0, scan_list="\\@Sens. Potential: V 1.000000 \r\n")
    c = read(tmp_path / "d.001").channel()
    assert c.metadata["scaling"]["soft_scale_section"] == "Scanner list"
    np.testing.assert_allclose(c.data, raw[::-1] * 440.0 / 65536 * 0.1, rtol=1e-12)


# ------------------------------------------------------------------ Nanonis grids: old headers, stopped early
def _split_3ds(p):
    raw = p.read_bytes()
    i = raw.index(b"\n", raw.index(b":HEADER_END:")) + 1
    return raw[:i].decode("latin-1"), raw[i:]


def test_3ds_old_header(tmp_path):
    p = tmp_path / "g.3ds"
    cpd, _, df = make_3ds(p)
    hdr, body = _split_3ds(p)
    old = re.sub(r"(# Parameters \(4 byte\)|Experiment size \(bytes\)|Delay before measuring \(s\)|Start time|"
                 r"End time|User|Comment|Experiment)=[^\r]*\r\n", "", hdr)
    assert "# Parameters" not in old
    (tmp_path / "old.3ds").write_bytes(old.encode("latin-1") + body)
    kf = read(tmp_path / "old.3ds")
    np.testing.assert_allclose(kf.channel("Frequency Shift").data, df.astype(">f4"))
    assert any("old grid header" in n for n in kf.notes)
    np.testing.assert_allclose(fit_grid(kf).cpd_V, cpd, atol=1e-5)
    no_settings = re.sub(r"Grid settings=[^\r]*\r\n", "", old)
    kf = read(_write(tmp_path / "ns.3ds", no_settings.encode() + body))
    assert kf.channel("Frequency Shift").size_m is None and any("Grid settings" in n for n in kf.notes)


def _write(p, b):
    p.write_bytes(b)
    return p


@pytest.mark.parametrize("zero_filled", [False, True])
def test_3ds_grid_stopped_early(tmp_path, zero_filled):
    p = tmp_path / "g.3ds"
    cpd, _, df = make_3ds(p)  # 4 x 3 pixels, 6 parameters + 2 x 16 points
    hdr, body = _split_3ds(p)
    px = (6 + 2 * 16) * 4
    part = body[:5 * px] + (b"\0" * (len(body) - 5 * px) if zero_filled else b"")
    kf = read(_write(tmp_path / "s.3ds", hdr.encode("latin-1") + part))
    d = kf.channel("Frequency Shift").data
    np.testing.assert_allclose(d.reshape(12, 16)[:5], df.reshape(12, 16)[:5].astype(">f4"))
    assert np.isnan(d.reshape(12, 16)[5:]).all()
    assert any("5 of 12 pixels" in n for n in kf.notes)
    f = fit_grid(kf)
    np.testing.assert_allclose(f.cpd_V.ravel()[:5], cpd.ravel()[:5], atol=1e-5)
    assert not f.valid.ravel()[5:].any()


def test_3ds_sweep_not_a_bias_is_not_fitted(tmp_path):
    p = tmp_path / "g.3ds"
    make_3ds(p)
    hdr, body = _split_3ds(p)
    z = _write(tmp_path / "z.3ds", hdr.replace('Sweep Signal="Bias (V)"', 'Sweep Signal="Z (m)"').encode() + body)
    with pytest.raises(InputError, match="not a bias in V"):
        fit_grid(z)


# ------------------------------------------------------------------ Nanonis .dat point spectra
def make_dat(path, v0=0.137, n=41, bwd=True, sweep_col="Bias calc (V)"):
    v = np.linspace(-1.0, 1.0, n)
    df = -3.0 * (v - v0) ** 2 - 5.0
    cols = [sweep_col, "Frequency Shift (Hz)"] + (["Frequency Shift [bwd] (Hz)"] if bwd else []) + ["Current (A)"]
    lines = ["Experiment\tbias spectroscopy\t", "Date\t10.03.2017 08:21:16\t", "X (m)\t1.2E-9\t",
             "Y (m)\t-3.4E-9\t", "Bias>Bias (V)\t200E-3\t", "", "[DATA]", "\t".join(cols)]
    for a, b in zip(v, df, strict=True):
        row = [a, b] + ([b + 0.02] if bwd else []) + [1e-12]
        lines.append("\t".join(f"{x:.6E}" for x in row))
    Path(path).write_text("\r\n".join(lines) + "\r\n", encoding="latin-1")
    return v, df


def test_nanonis_dat_point_spectrum_gives_the_cpd(tmp_path):
    p = tmp_path / "Bias-Spectroscopy001.dat"
    make_dat(p)
    kf = read(p)
    assert kf.format == "nanonis-dat" and kf.titles == ["Frequency Shift", "Frequency Shift (backward)", "Current"]
    assert kf.channel("Frequency Shift").shape == (1, 1, 41) and kf.channel("Current").unit == "A"
    f = fit_grid(kf)
    assert f.valid.all() and f.cpd_V[0, 0] == pytest.approx(0.137, abs=1e-9)
    assert fit_grid(kf, "Frequency Shift (backward)").cpd_V[0, 0] == pytest.approx(0.137, abs=1e-9)
    make_dat(tmp_path / "m.dat", v0=-0.2, sweep_col="Bias (V)")  # the measured bias when no calculated one
    assert fit_grid(tmp_path / "m.dat").cpd_V[0, 0] == pytest.approx(-0.2, abs=1e-9)


def test_nanonis_dat_cli_and_refusals(capsys, tmp_path):
    p = tmp_path / "s.dat"
    make_dat(p)
    rc, out, err = run(capsys, "kpfm", "spectroscopy", str(p), "--json")
    assert rc == 0, err
    d = json.loads(out)
    assert d["format"] == "nanonis-dat" and d["cpd_V"][0][0] == pytest.approx(0.137, abs=1e-6)
    text = p.read_text(encoding="latin-1").replace("Bias calc (V)", "Z rel (m)")
    q = tmp_path / "z.dat"
    q.write_text(text, encoding="latin-1")
    with pytest.raises(InputError, match=r"no bias column.*Z rel \(m\)"):
        read(q)
    t = tmp_path / "t.dat"
    t.write_text(p.read_text(encoding="latin-1").rsplit("\t", 1)[0], encoding="latin-1")
    with pytest.raises(InputError, match="truncated or corrupt"):
        read(t)


# ------------------------------------------------------------------ Gwyddion 1.x
def test_gwyddion_1x_is_named(tmp_path):
    p = tmp_path / "old.gwy"
    p.write_bytes(b"GWYO" + b"GwyContainer\0" + b"\0" * 64)
    with pytest.raises(InputError, match=r"old\.gwy.*Gwyddion 1\.x file.*save it again"):
        read(p)


# ------------------------------------------------------------------ library messages name parameters
def test_library_messages_never_name_a_cli_flag():
    """Library code names the parameter (pixel_size_nm=VALUE); the CLI adds its flag."""
    bad = []
    for f in (SRC / "kpfm").rglob("*.py"):
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"(?<![\w-])--[a-z][a-z-]+", line):
                bad.append(f"{f.relative_to(SRC)}:{n}: {line.strip()}")
    assert not bad, bad


# ------------------------------------------------------------------ property tests of the class
_LENGTH = {"nm": 1e-9, "µm": 1e-6, "um": 1e-6, "mm": 1e-3, "m": 1.0, "pm": 1e-12, "Å": 1e-10}


@settings(**PROPS)
@given(v=st.floats(1e-3, 1e4), w=st.floats(1e-3, 1e4), unit=st.sampled_from(sorted(_LENGTH)),
       style=st.sampled_from(["gwyddion", "after", "bracket", "scan"]))
def test_property_text_size_is_value_times_its_unit(tmp_path_factory, v, w, unit, style):
    """Whatever the header style, the size is the value times its stated unit; never a bare number."""
    d = tmp_path_factory.mktemp("size")
    hdr = {"gwyddion": f"# Channel: CPD\n# Width: {v!r} {unit}\n# Height: {w!r} {unit}\n# Value units: V\n",
           "after": f"title: CPD\nunit: V\nx size: {v!r} {unit}\ny size: {w!r} {unit}\n",
           "bracket": f"title: CPD\nunit: V\nx size [{unit}]: {v!r}\ny size [{unit}]: {w!r}\n",
           "scan": f"title: CPD\nunit: V\nScan size: {v!r} {w!r} {unit}\n"}[style]
    kf = read(text_map(d / "p.txt", hdr))
    assert kf.channels[0].size_m == pytest.approx((v * _LENGTH[unit], w * _LENGTH[unit]), rel=1e-12)
    bare = read(text_map(d / "b.txt", f"title: CPD\nunit: V\nWidth: {v!r}\n"))
    assert bare.channels[0].size_m is None


_POT = ["CPD", "KPFM", "Surface potential", "Contact potential", "NapPotential", "SKPM", "Kelvin"]
_OTHER = ["Amplitude", "Phase", "LI Demod 1 X", "Temperature", "Input 3", "UserIn1", "Aux2", "Bias", "Error",
          "Setpoint", "Height", "Lock-in Y", "Humidity", "Current"]
_DIR = ["", " (forward)", " (backward)", "Trace", "Retrace"]


@st.composite
def channel_sets(draw):
    n = draw(st.integers(1, 6))
    out = []
    for _ in range(n):
        kind = draw(st.sampled_from(["pot", "other", "mixed", "neutral"]))
        base = {"pot": draw(st.sampled_from(_POT)), "other": draw(st.sampled_from(_OTHER)),
                "mixed": f"{draw(st.sampled_from(_POT))} {draw(st.sampled_from(_OTHER))}",
                "neutral": f"Data {draw(st.integers(1, 9))}"}[kind]
        out.append((base + draw(st.sampled_from(_DIR)), draw(st.sampled_from(["V", "mV", "m", "Hz", ""]))))
    return out


@settings(**PROPS)
@given(chs=channel_sets())
def test_property_channel_choice_never_takes_a_non_potential(chs):
    """The chosen channel (if any) names the potential, names no other signal, is in V, is unique among
    the forward candidates; without a unique one nothing is chosen and the candidates are listed."""
    seen = set()
    channels = []
    for t, u in chs:
        if t not in seen:
            seen.add(t)
            channels.append(make_channel(t, u, np.zeros((2, 2))))
    title, notes = choose_potential(channels, Path("f.gwy"))
    pots = [c for c in channels if c.role == "potential"]
    fwd = [c for c in pots if not re.search(r"backward|Retrace", c.title)]
    if title is None:
        assert len(fwd or pots) != 1
        if len(fwd or pots) > 1:
            assert all(repr(c.title) in notes[0] for c in fwd or pots)
        return
    c = next(c for c in channels if c.title == title)
    assert c.unit == "V" and c.role == "potential"
    assert not any(re.search(re.escape(o), title, re.IGNORECASE) for o in _OTHER)
    assert (fwd or pots) == [c]


@settings(**PROPS)
@given(hval=st.floats(0.01, 500.0), hscale=st.floats(1e-5, 1e-2), sens=st.floats(0.01, 1000.0),
       unit=st.sampled_from(["mV/V", "V/V", "nm/V", "~m/V"]))
def test_property_nanoscope_scaling(tmp_path_factory, hval, hscale, sens, unit):
    """Every Nanoscope channel reads as raw x hard value / 2^16 x sensitivity, auto-ranged or not."""
    d = tmp_path_factory.mktemp("spm")
    raw = make_spm(d / "p.001", hard_value=f"{hval:.7g}", hard_scale=f"{hscale:.7g}",
                   sens=f"\\@Sens. Potential: V {sens:.7g} {unit}")
    c = read(d / "p.001").channels[0]
    f = {"mV/V": 1e-3, "V/V": 1.0, "nm/V": 1e-9, "~m/V": 1e-6}[unit]
    np.testing.assert_allclose(c.data, raw[::-1] * float(f"{hval:.7g}") / 65536 * float(f"{sens:.7g}") * f,
                               rtol=1e-12)
    assert c.unit == {"mV/V": "V", "V/V": "V", "nm/V": "m", "~m/V": "m"}[unit]


@settings(**PROPS)
@given(n_done=st.integers(0, 12), cut=st.integers(0, 151), zero_tail=st.booleans())
def test_property_stopped_grid_reads_the_pixels_present(tmp_path_factory, n_done, cut, zero_tail):
    """A grid cut anywhere: whole pixels are read and the rest are NaN; a cut inside a pixel, or no pixel at
    all, is refused. Both outcomes are checked, so the test cannot pass by refusing everything."""
    d = tmp_path_factory.mktemp("g3ds")
    p = d / "g.3ds"
    _, _, df = make_3ds(p)
    hdr, body = _split_3ds(p)
    px = (6 + 2 * 16) * 4
    ragged = n_done < 12 and cut > 0
    part = body[:n_done * px + (cut if ragged else 0)]
    if zero_tail and not ragged:
        part += b"\0" * (len(body) - len(part))
    q = _write(d / "s.3ds", hdr.encode("latin-1") + part)
    if n_done == 0 or ragged:
        with pytest.raises(InputError, match="truncated|no pixel|every pixel"):
            read(q)
        return
    got = read(q).channel("Frequency Shift").data.reshape(12, 16)
    np.testing.assert_allclose(got[:n_done], df.reshape(12, 16)[:n_done].astype(">f4"))
    assert np.isnan(got[n_done:]).all()


def test_property_text_fuzz_is_not_all_refused(tmp_path):
    """Mutated Gwyddion exports and Nanonis spectra: InputError or a well-formed file, and some succeed."""
    outcomes = []
    seeds = {".txt": text_map(tmp_path / "seed.txt", "# Channel: CPD\n# Width: 2.000 µm\n# Height: 1.5 µm\n"
                                                     "# Value units: V\n").read_bytes()}
    make_dat(tmp_path / "seed.dat")
    seeds[".dat"] = (tmp_path / "seed.dat").read_bytes()

    @settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(ext=st.sampled_from(sorted(seeds)), edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True),
                                                                        st.binary(max_size=3)), max_size=3))
    def one(ext, edits):
        b = bytearray(seeds[ext])
        for pos, ins in edits:
            i = int(pos * len(b))
            b[i:i + len(ins)] = ins
        q = tmp_path / f"fuzzed{ext}"
        q.write_bytes(bytes(b))
        try:
            kf = read(q)
        except InputError as exc:
            assert "fuzzed" in str(exc)
            outcomes.append("refused")
            return
        for c in kf.channels:
            assert c.data.dtype == float and c.data.ndim in (2, 3)
            assert c.size_m is None or (np.all(np.isfinite(c.size_m)) and min(c.size_m) > 0)
        outcomes.append("read")

    one()
    assert "read" in outcomes and "refused" in outcomes, outcomes
