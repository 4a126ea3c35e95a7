"""Thumbnail benchmark: ordinary Pillow ``thumbnail()`` and libvips vs ``images.processing``.

Run from the repository root (``make bench``)::

    python -m bench                     # everything, ~6-8 minutes on 2 cores
    python -m bench --reps 3            # quicker, noisier
    python -m bench --only worst,targets  # some sections: speed, memory, worst, targets

It makes its own inputs in a temporary directory (photo-like JPEGs of 12, 24 and 50 MP,
the 24 MP one stored sideways with EXIF orientation 6, and a 12 MP RGBA PNG), then:

* speed: the Enterprise set (heights 200 and 400) per input, interleaved round-robin so
  machine noise hits them all alike, by four methods: "naive", ordinary Pillow code
  (``exif_transpose()``, then ``thumbnail()`` on a copy per height); "drafted", Pillow
  written to keep ``thumbnail()``'s reduced JPEG decode (``draft()``); libvips'
  ``thumbnail_buffer``; and ours. All four apply EXIF orientation and encode alike;
* memory: peak RSS of each method in a fresh subprocess;
* worst case: time, CPU and peak memory of hostile inputs (a 20,000-scan JPEG, one at
  the scan limit, progressive 4:4:4 / 4:2:0 / CMYK 50 MP JPEGs, a 16-bit grey and a
  transparent palette 50 MP PNG), each in a fresh subprocess, as ratios to the typical
  12 MP JPEG measured the same way in the same run;
* targets: the goals, each printed as MET or MISSED (the exit code stays 0);
* upload: upload latency (p50, p90) of the 12 MP JPEG through a real server;
* api: the images and thumbnails lists, ours against conventional DRF code, in process
  and over HTTP (:mod:`bench.reads`);
* http: `make run`'s server against compose's gunicorn with Redis, side by side over
  HTTP, and the full list of 10,000 and 50,000 images (:mod:`bench.over_http`).

Sections are plain functions taking the shared :class:`Context`; to add one (say,
"upload latency through the API"), write ``def section_upload_latency(ctx)`` and add it
to ``SECTIONS``. Results other sections need go into ``ctx.results``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import ExifTags, Image, ImageDraw, ImageOps

from bench.api import section_upload_latency
from bench.over_http import section_http
from bench.reads import section_api_reads
from images.processing import ImageRejected, Limits, ThumbnailOptions, inspect, render_thumbnails
from images.processing.encode import PNG_COMPRESS_LEVEL
from tests.processing import hostile

REPO_ROOT = Path(__file__).resolve().parent.parent
HEIGHTS = (200, 400)  # the Enterprise tier
OPTIONS = ThumbnailOptions()  # the defaults the service uses
HUGE_WIDTH = 1_000_000  # a box this wide lets thumbnail() fit the height alone
SIDEWAYS = (5, 6, 7, 8)  # EXIF orientations that swap width and height

LIMITS = Limits()  # the defaults the service uses
TARGET_SPEEDUP_VS_NAIVE = 4.0
TARGET_PEAK_RSS_MB = 200
TARGET_SCAN_BOMB_SECONDS = 0.1  # "well under a second"
TARGET_PROGRESSIVE_444_PEAK_MB = 250
TARGET_WORST_CPU_SECONDS = 5.0  # "at most a few seconds of CPU"
# Above MAX_DECODE_BYTES, a decode may use this much more: Python objects, the output.
WORST_MEMORY_SLACK_MB = 32


# ------------------------------------------------------------------------ the methods


def _save_pillow(img: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        img.save(
            out,
            "JPEG",
            quality=OPTIONS.jpeg_quality,
            optimize=OPTIONS.jpeg_optimize,
            progressive=OPTIONS.jpeg_progressive,
        )
    else:
        img.save(out, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


def naive(data: bytes, fmt: str) -> list[bytes]:
    """Ordinary Pillow code: open, ``exif_transpose()``, ``thumbnail()`` a copy per height.

    ``exif_transpose()`` loads the whole image, and a height-only box (a huge width) would
    leave ``draft()`` nothing to scale by anyway, so the JPEG is decoded in full;
    ``thumbnail()`` still shrinks in two steps (``reduce()``, then bicubic: its defaults).
    """
    with Image.open(io.BytesIO(data)) as im:
        upright = ImageOps.exif_transpose(im)
    outputs = []
    for height in HEIGHTS:
        small = upright.copy()
        small.thumbnail((HUGE_WIDTH, height))
        outputs.append(_save_pillow(small, fmt))
    return outputs


def drafted(data: bytes, fmt: str) -> list[bytes]:
    """Pillow written for speed: ``thumbnail()`` before ``exif_transpose()``, largest first.

    The box is the exact size of the largest thumbnail, in stored orientation, so
    ``thumbnail()``'s ``draft()`` decodes a JPEG at a reduced DCT scale (keeping its 2x
    ``reducing_gap``); the smaller heights are made from that thumbnail.
    """
    with Image.open(io.BytesIO(data)) as im:
        sideways = im.getexif().get(ExifTags.Base.Orientation, 1) in SIDEWAYS
        shown_width, shown_height = (im.height, im.width) if sideways else im.size
        largest = max(HEIGHTS)
        width = math.ceil(shown_width * largest / shown_height)
        im.thumbnail((largest, width) if sideways else (width, largest))
        upright = ImageOps.exif_transpose(im)
    thumbnails = {}
    for height in sorted(HEIGHTS, reverse=True):
        upright.thumbnail((HUGE_WIDTH, height))  # from the previous, larger thumbnail
        thumbnails[height] = _save_pillow(upright, fmt)
    return [thumbnails[height] for height in HEIGHTS]


_PYVIPS: list = []  # [module or None, reason] once looked up


def load_pyvips():
    """pyvips if it can be imported (it needs the libvips library too), else None."""
    if not _PYVIPS:
        try:
            import pyvips  # optional, and kept out of the other children

            _PYVIPS[:] = [pyvips, ""]
        except (ImportError, OSError) as exc:
            _PYVIPS[:] = [None, f"{type(exc).__name__}: {exc}"]
    return _PYVIPS[0]


def libvips(data: bytes, fmt: str) -> list[bytes]:
    """libvips' own thumbnailer (shrink-on-load), once per height, same encoder settings."""
    pyvips = load_pyvips()
    no_metadata = {"keep": "none"} if pyvips.at_least_libvips(8, 15) else {"strip": True}
    outputs = []
    for height in HEIGHTS:
        thumb = pyvips.Image.thumbnail_buffer(data, 10_000_000, height=height)
        if fmt == "JPEG":
            outputs.append(
                thumb.write_to_buffer(
                    ".jpg",
                    Q=OPTIONS.jpeg_quality,
                    optimize_coding=OPTIONS.jpeg_optimize,
                    interlace=OPTIONS.jpeg_progressive,
                    **no_metadata,
                )
            )
        else:
            outputs.append(
                thumb.write_to_buffer(".png", compression=PNG_COMPRESS_LEVEL, **no_metadata)
            )
    return outputs


def ours(data: bytes, fmt: str) -> list[bytes]:
    """images.processing.render_thumbnails: one reduced-size decode for all heights."""
    return [t.content for t in render_thumbnails(data, HEIGHTS, options=OPTIONS, limits=LIMITS)]


METHODS: dict[str, Callable[[bytes, str], list[bytes]]] = {
    "naive": naive,
    "drafted": drafted,
    "libvips": libvips,
    "ours": ours,
}


def available_methods() -> list[str]:
    return [name for name in METHODS if name != "libvips" or load_pyvips() is not None]


# ---------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Input:
    key: str
    label: str
    path: Path
    fmt: str
    width: int  # as stored
    height: int
    orientation: int = 1

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1e6


def _grain(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """Sensor-like noise, tiled from a small random patch (effect_noise is slow)."""
    tile = Image.effect_noise((1031, 997), 28)
    grain = Image.new("L", size)
    for y in range(0, size[1], tile.height):
        for x in range(0, size[0], tile.width):
            grain.paste(tile, (x - rng.randrange(7), y))
    return grain


def photo_like(size: tuple[int, int], seed: int) -> Image.Image:
    """Smooth gradients, hard-edged shapes, thin lines and grain, as an RGB image."""
    width, height = size
    rng = random.Random(seed)
    r = Image.linear_gradient("L").resize(size, Image.Resampling.BILINEAR)
    g = Image.radial_gradient("L").resize(size, Image.Resampling.BILINEAR)
    b = r.transpose(Image.Transpose.ROTATE_180)
    img = Image.merge("RGB", (r, g, b))
    draw = ImageDraw.Draw(img)
    for _ in range(80):
        x, y = rng.randrange(width), rng.randrange(height)
        s = rng.randrange(width // 60, width // 5)
        colour = tuple(rng.randrange(256) for _ in range(3))
        rng.choice([draw.ellipse, draw.rectangle])((x, y, x + s, y + s * 0.7), fill=colour)
    for _ in range(150):
        line = [rng.randrange(width), rng.randrange(height)]
        line += [rng.randrange(width), rng.randrange(height)]
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.line(line, fill=colour, width=rng.randrange(1, 6))
    noise = _grain(size, rng)
    grain = Image.merge(
        "RGB",
        (
            noise,
            noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
            noise.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
        ),
    )
    return Image.blend(img, grain, 0.12)


def _exif_orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    exif[0x010F] = "Bench Camera"
    return exif.tobytes()


def make_inputs(workdir: Path) -> dict[str, Input]:
    specs = [
        # key, label, stored size, format, orientation
        ("jpeg12", "12 MP JPEG", (4000, 3000), "JPEG", 1),
        ("jpeg24r", "24 MP JPEG, EXIF orientation 6", (6000, 4000), "JPEG", 6),
        ("png12", "12 MP RGBA PNG", (4000, 3000), "PNG", 1),
        ("jpeg50", "50 MP JPEG", (8640, 5760), "JPEG", 1),
    ]
    inputs = {}
    for seed, (key, label, size, fmt, orientation) in enumerate(specs):
        img = photo_like(size, seed)
        path = workdir / f"{key}.{fmt.lower()}"
        if fmt == "JPEG":
            img.save(path, "JPEG", quality=90, exif=_exif_orientation(orientation))
        else:
            # Transparent outside a soft-edged disc; zlib level 1 only to save bench time
            # (decoding speed hardly depends on the level).
            disc = Image.radial_gradient("L").resize(size, Image.Resampling.BILINEAR)
            img.putalpha(disc.point(lambda v: 0 if v > 200 else 255 - v))
            img.save(path, "PNG", compress_level=1)
        del img
        inputs[key] = Input(key, label, path, fmt, *size, orientation=orientation)
    return inputs


# --------------------------------------------------------------------------- helpers


@dataclass
class Context:
    workdir: Path
    reps: int
    inputs: dict[str, Input] = field(default_factory=dict)
    # Shared between sections: ("speed", input key, method) -> [seconds], and so on.
    results: dict = field(default_factory=dict)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}" if seconds < 0.01 else f"{seconds * 1000:,.0f}"


def heading(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 74 - len(title)), flush=True)


def image_size(content: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(content)) as img:
        return img.size


# -------------------------------------------------------------------------- sections


def section_inputs(ctx: Context) -> None:
    heading("inputs")
    started = time.perf_counter()
    ctx.inputs = make_inputs(ctx.workdir)
    for inp in ctx.inputs.values():
        size = inp.path.stat().st_size
        print(
            f"  {inp.label:32} {inp.width}x{inp.height} stored, {inp.megapixels:.1f} MP, "
            f"{size / 1e6:.1f} MB"
        )
    print(f"  made in {time.perf_counter() - started:.1f} s in {ctx.workdir}")


def section_speed(ctx: Context) -> None:
    heading(f"speed: heights {', '.join(map(str, HEIGHTS))} per input, one call per method")
    methods = available_methods()
    if "libvips" not in methods:
        print(f"  libvips skipped: pyvips unavailable ({_PYVIPS[1]})")
    else:
        pyvips = load_pyvips()
        print(
            f"  libvips {pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)} "
            f"(may use several threads; Pillow uses one), pyvips {pyvips.__version__}"
        )
    print(
        f"  encoder settings for all: JPEG q{OPTIONS.jpeg_quality}, optimize="
        f"{OPTIONS.jpeg_optimize}, progressive={OPTIONS.jpeg_progressive}; "
        f"PNG level {PNG_COMPRESS_LEVEL}"
    )
    print("  naive: ordinary Pillow, exif_transpose() then thumbnail() on a copy per height;")
    print("  drafted: Pillow's thumbnail() before exif_transpose(), so its draft() applies")
    print(f"  {ctx.reps} repetitions after one warm-up, methods interleaved round-robin;")
    print("  wall time median [min-max], CPU time median (all threads), output sizes")
    for inp in ctx.inputs.values():
        data = inp.path.read_bytes()
        print(f"\n  {inp.label}")
        outputs = {name: METHODS[name](data, inp.fmt) for name in methods}  # warm-up
        walls: dict[str, list[float]] = {name: [] for name in methods}
        cpus: dict[str, list[float]] = {name: [] for name in methods}
        for rep in range(ctx.reps):
            order = methods[rep % len(methods) :] + methods[: rep % len(methods)]
            for name in order:
                gc.collect()
                wall, cpu = time.perf_counter(), time.process_time()
                METHODS[name](data, inp.fmt)
                walls[name].append(time.perf_counter() - wall)
                cpus[name].append(time.process_time() - cpu)
        for name in methods:
            runs = walls[name]
            dims = " ".join("x".join(map(str, image_size(c))) for c in outputs[name])
            kb = "/".join(f"{len(c) / 1000:.0f}" for c in outputs[name])
            print(
                f"    {name:8} {ms(statistics.median(runs)):>7} ms "
                f"[{ms(min(runs))}-{ms(max(runs))}]  CPU {ms(statistics.median(cpus[name])):>6} ms"
                f"  -> {dims} ({kb} KB)"
            )
            ctx.results["speed", inp.key, name] = runs
        checks = []
        for _ in range(ctx.reps):
            started = time.perf_counter()
            inspect(data, heights=HEIGHTS, limits=LIMITS)
            checks.append(time.perf_counter() - started)
        check = ms(statistics.median(checks))
        print(
            f"    (inspect(), the upload check: the same decode, reused for rendering: {check} ms)"
        )
        ctx.results["inspect", inp.key] = checks
        base = statistics.median(walls["ours"])
        ratios = [
            f"{name}/ours {statistics.median(walls[name]) / base:.1f}x"
            for name in methods
            if name != "ours"
        ]
        print("    " + ", ".join(ratios))


def _child_peak(method: str, inp: Input) -> dict:
    command = [sys.executable, "-m", "bench.thumbnails", "--child", method, str(inp.path), inp.fmt]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def section_memory(ctx: Context) -> None:
    heading("memory: peak RSS (VmHWM) of one call, each in a fresh subprocess")
    print("  'before' is the RSS after imports and reading the file, before the call")
    plan = [("jpeg12", m) for m in available_methods()]
    plan += [("jpeg50", m) for m in available_methods()]
    for key, method in plan:
        inp = ctx.inputs[key]
        peak = _child_peak(method, inp)
        if "error" in peak:
            print(f"  {inp.label:12} {method:8} failed: {peak['error']}")
            continue
        print(
            f"  {inp.label:12} {method:8} peak {peak['peak_kb'] / 1024:6.0f} MB"
            f"   (before {peak['before_kb'] / 1024:4.0f} MB)"
        )
        ctx.results["peak_mb", key, method] = peak["peak_kb"] / 1024


# Hostile inputs for the worst-case section: key, label, builder.
WORST_INPUTS = [
    ("scan_bomb", "7070x7070 JPEG, one scan repeated 20,000x", hostile.scan_bomb),
    (
        "scan_limit",
        f"7070x7070 JPEG at the scan limit ({LIMITS.max_jpeg_scans})",
        lambda: hostile.scan_bomb_within_limit(LIMITS.max_jpeg_scans),
    ),
    ("prog444", "50 MP progressive 4:4:4 JPEG", hostile.progressive_444),
    ("prog420", "50 MP progressive 4:2:0 JPEG", hostile.progressive_420),
    ("progcmyk", "50 MP progressive CMYK JPEG", hostile.progressive_cmyk),
    ("png16", "50 MP 16-bit grey PNG", hostile.png_16bit_grey),
    ("palette", "50 MP palette PNG with transparency", hostile.palette_png_50mp),
    ("rgba", "50 MP RGBA PNG (the largest pixel buffer)", hostile.rgba_png_50mp),
]


def section_worst_case(ctx: Context) -> None:
    heading("worst case: hostile inputs, each in a fresh subprocess (heights 200, 400)")
    print(
        f"  limits: MAX_IMAGE_PIXELS {LIMITS.max_pixels:,}, MAX_DECODE_BYTES "
        f"{LIMITS.max_decode_bytes / 2**20:.0f} MiB, MAX_JPEG_SCANS {LIMITS.max_jpeg_scans}"
    )
    print("  peak = VmHWM of the call (input already read); ratios against the typical")
    print("  12 MP JPEG, measured the same way in this run")
    started = time.perf_counter()
    inputs = [ctx.inputs["jpeg12"], ctx.inputs["jpeg50"]]
    for key, label, build in WORST_INPUTS:
        data = build()
        fmt = "PNG" if data.startswith(b"\x89PNG") else "JPEG"
        path = ctx.workdir / f"worst-{key}.{fmt.lower()}"
        path.write_bytes(data)
        with Image.open(path) as im:
            size = im.size
        inputs.append(Input(key, label, path, fmt, *size))
    print(f"  inputs made in {time.perf_counter() - started:.0f} s")
    typical = None
    for inp in inputs:
        runs = [_child_peak("ours", inp) for _ in range(2)]
        if any("error" in run for run in runs):
            print(f"  {inp.label:44} failed: {runs}")
            continue
        best = min(runs, key=lambda run: run["wall"])
        peak_mb = max(run["peak_kb"] - run["before_kb"] for run in runs) / 1024
        cost = {"wall": best["wall"], "cpu": best["cpu"], "peak_mb": peak_mb}
        typical = typical or cost
        ratio = (
            f"CPU x{cost['cpu'] / typical['cpu']:5.1f}, memory x{peak_mb / typical['peak_mb']:4.1f}"
        )
        print(
            f"  {inp.label:44} {inp.path.stat().st_size / 1e6:5.2f} MB file  "
            f"{ms(cost['wall']):>6} ms wall {ms(cost['cpu']):>6} ms CPU  "
            f"peak +{peak_mb:4.0f} MB  {ratio}  {best['outcome']}"
        )
        ctx.results["worst", inp.key] = {**cost, "outcome": best["outcome"]}


def section_targets(ctx: Context) -> None:
    heading("targets")
    lines = []
    speed = ctx.results.get
    naive_runs, ours_runs = speed(("speed", "jpeg12", "naive")), speed(("speed", "jpeg12", "ours"))
    if naive_runs and ours_runs:
        ratio = statistics.median(naive_runs) / statistics.median(ours_runs)
        lines.append(
            (
                f"ours >= {TARGET_SPEEDUP_VS_NAIVE:g}x faster than ordinary Pillow (naive) on "
                "the 12 MP JPEG",
                f"{ratio:.1f}x",
                ratio >= TARGET_SPEEDUP_VS_NAIVE,
            )
        )
    drafted_runs = speed(("speed", "jpeg12", "drafted"))
    if drafted_runs and ours_runs:
        ratio = statistics.median(drafted_runs) / statistics.median(ours_runs)
        lines.append(
            (
                "ours not slower than Pillow's thumbnail() with draft() on the 12 MP JPEG",
                f"drafted takes {ratio:.2f}x our time",
                ratio >= 1.0,
            )
        )
    vips_runs = speed(("speed", "jpeg12", "libvips"))
    if vips_runs and ours_runs:
        ratio = statistics.median(vips_runs) / statistics.median(ours_runs)
        lines.append(
            (
                "ours not slower than libvips on the 12 MP JPEG",
                f"libvips takes {ratio:.2f}x our time",
                ratio >= 1.0,
            )
        )
    elif ours_runs:
        lines.append(("ours not slower than libvips on the 12 MP JPEG", "pyvips missing", None))
    peak = speed(("peak_mb", "jpeg50", "ours"))
    if peak is not None:
        lines.append(
            (
                f"our peak RSS on the 50 MP JPEG < {TARGET_PEAK_RSS_MB} MB",
                f"{peak:.0f} MB",
                peak < TARGET_PEAK_RSS_MB,
            )
        )
    lines += _worst_case_targets(ctx.results)
    if not lines:
        print("  nothing measured (run the speed and memory sections)")
    for goal, value, met in lines:
        verdict = "SKIPPED" if met is None else ("MET" if met else "MISSED")
        print(f"  {verdict:8} {goal}: {value}")


def _worst_case_targets(results: dict) -> list[tuple[str, str, bool | None]]:
    worst = {key[1]: value for key, value in results.items() if key[0] == "worst"}
    if not worst:
        return []
    lines = []
    bomb = worst.get("scan_bomb")
    if bomb:
        lines.append(
            (
                f"the 20,000-scan JPEG refused in < {TARGET_SCAN_BOMB_SECONDS:g} s",
                f"{bomb['outcome']} in {ms(bomb['wall'])} ms",
                bomb["outcome"] != "rendered" and bomb["wall"] < TARGET_SCAN_BOMB_SECONDS,
            )
        )
    prog = worst.get("prog444")
    if prog:
        lines.append(
            (
                f"progressive 4:4:4 50 MP: peak < {TARGET_PROGRESSIVE_444_PEAK_MB} MB or refused",
                f"{prog['outcome']}, peak +{prog['peak_mb']:.0f} MB",
                prog["outcome"] != "rendered" or prog["peak_mb"] < TARGET_PROGRESSIVE_444_PEAK_MB,
            )
        )
    budget_mb = LIMITS.max_decode_bytes / 2**20 + WORST_MEMORY_SLACK_MB
    png16 = worst.get("png16")
    if png16:
        lines.append(
            (
                "50 MP 16-bit grey PNG refused, or rendered within MAX_DECODE_BYTES",
                f"{png16['outcome']}, peak +{png16['peak_mb']:.0f} MB",
                png16["outcome"] != "rendered" or png16["peak_mb"] <= budget_mb,
            )
        )
    cpu = max(worst.values(), key=lambda cost: cost["cpu"])
    memory = max(worst.values(), key=lambda cost: cost["peak_mb"])
    lines.append(
        (
            f"every input costs <= {TARGET_WORST_CPU_SECONDS:g} s CPU and <= "
            f"MAX_DECODE_BYTES + {WORST_MEMORY_SLACK_MB} MB",
            f"worst {cpu['cpu']:.2f} s CPU, +{memory['peak_mb']:.0f} MB",
            cpu["cpu"] <= TARGET_WORST_CPU_SECONDS and memory["peak_mb"] <= budget_mb,
        )
    )
    return lines


SECTIONS: dict[str, Callable[[Context], None]] = {
    "speed": section_speed,
    "memory": section_memory,
    "worst": section_worst_case,
    "targets": section_targets,
    "upload": section_upload_latency,
    "api": section_api_reads,
    "http": section_http,
}


# ------------------------------------------------------------------------------ main


def child(method: str, path: str, fmt: str) -> None:
    """Run one method once and report this process's peak RSS as JSON."""
    data = Path(path).read_bytes()
    if method == "libvips":
        load_pyvips()
    before = _status_kb("VmRSS")
    _reset_peak()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        METHODS[method](data, fmt)
        outcome = "rendered"
    except ImageRejected as exc:
        outcome = f"refused: {exc.code}"
    report = {
        "before_kb": before,
        "peak_kb": _status_kb("VmHWM"),
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "outcome": outcome,
    }
    print(json.dumps(report))


def _reset_peak() -> None:
    """Start VmHWM afresh, so reading the input does not count (Linux; else a no-op)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _status_kb(field_name: str) -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    # Not Linux: ru_maxrss is the peak (KiB on Linux, bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def _load_average() -> str:
    """The 1-minute load average: on a shared machine, how busy the others kept it."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:  # not available on this platform
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=7, help="timed repetitions (default 7)")
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"sections, of: {', '.join(SECTIONS)}"
    )
    parser.add_argument("--workdir", type=Path, help="keep the generated inputs here")
    parser.add_argument(
        "--child", nargs=3, metavar=("METHOD", "PATH", "FORMAT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    wanted = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(wanted) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")

    started = time.perf_counter()
    print(
        f"thumbnail benchmark: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {_load_average()}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        ctx = Context(workdir=workdir, reps=args.reps)
        section_inputs(ctx)
        for name in wanted:
            SECTIONS[name](ctx)
    print(f"\ndone in {time.perf_counter() - started:.0f} s, load average {_load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
