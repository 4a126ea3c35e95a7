"""Upload formats: the thumbnail set of a 12 MP HEIC, AVIF, WebP and animated GIF beside a
12 MP JPEG, in one run.

``make bench`` runs it after the thumbnail sections (``python -m bench.formats`` runs it
alone). Each file is made here from the same photo-like picture, grain and all (a hard
case: 7.6 MB as HEIC); the HEIC, AVIF and JPEG are also made from a phone-like version of
it, its grain smoothed away as a phone's noise reduction does, the HEIC in 512-pixel grid
tiles as iPhones write it (2.1 MB, about what an iPhone writes for 12 MP). Then, in a
fresh subprocess per file, what an upload does: validate and decode once, render the
Enterprise set (heights 200 and 400) in the canonical thumbnail format. Reported: the
median wall time of the repetitions (and its CPU time, all threads: more than the wall
time when a decoder uses several cores), its ratio to the JPEG of the same picture, and the peak
RSS above the process's RSS before the call, against ``max_decode_bytes`` plus the
thumbnails.

Targets: a 12 MP HEIC or AVIF takes at most 2.5x the JPEG's time; no format's peak
exceeds ``max_decode_bytes`` + the thumbnails' size.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageFilter

from bench.thumbnails import REPO_ROOT, _reset_peak, _status_kb, photo_like
from images.processing import ImageRejected, Limits, ThumbnailOptions, decode, render_thumbnails

HEIGHTS = [200, 400]
LIMITS = Limits()  # the service's defaults
OPTIONS = ThumbnailOptions()
SIZE = (4000, 3000)
TARGET_RATIO = 2.5
# The phone-like picture: the photo-like one with its grain blurred away (pixels).
PHONE_SMOOTHING = 1.2


def make_inputs(workdir: Path) -> dict[str, tuple[str, Path]]:
    """label -> (description, path) of each input, made once per run."""
    import pillow_heif  # test and bench tooling: it writes the HEIC (x265)

    photo = photo_like(SIZE, seed=12)
    files: dict[str, tuple[str, bytes]] = {}

    def save(img: Image.Image, fmt: str, **params) -> bytes:
        out = io.BytesIO()
        img.save(out, fmt, **params)
        return out.getvalue()

    files["jpeg"] = ("12 MP JPEG (quality 90)", save(photo, "JPEG", quality=90))
    heic = io.BytesIO()
    pillow_heif.from_pillow(photo).save(heic, quality=80)
    files["heic"] = ("12 MP HEIC (quality 80)", heic.getvalue())
    files["avif"] = ("12 MP AVIF (quality 70)", save(photo, "AVIF", quality=70, speed=10))
    files["webp"] = ("12 MP WebP (quality 80)", save(photo, "WEBP", quality=80, method=0))
    small = photo.resize((1600, 1200)).convert("P", palette=Image.Palette.ADAPTIVE)
    frames = [small.rotate(angle) for angle in range(0, 50, 5)]
    files["gif"] = (
        "1600x1200 GIF, 10 frames",
        save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=80),
    )
    phone = photo.filter(ImageFilter.GaussianBlur(PHONE_SMOOTHING))
    files["jpeg-phone"] = ("phone-like JPEG (q90)", save(phone, "JPEG", quality=90))
    heic = io.BytesIO()
    pillow_heif.from_pillow(phone).save(heic, quality=70, tile_size=512)
    files["heic-phone"] = ("phone-like HEIC (q70, grid)", heic.getvalue())
    files["avif-phone"] = ("phone-like AVIF (q70)", save(phone, "AVIF", quality=70, speed=10))
    paths = {}
    for key, (label, data) in files.items():
        path = workdir / f"{key}.bin"
        path.write_bytes(data)
        paths[key] = (label, path)
    return paths


def child(path: str, reps: int) -> None:
    """Decode and render the set ``reps`` times in this process; report times and peak."""
    data = Path(path).read_bytes()
    before = _status_kb("VmRSS")
    _reset_peak()
    walls, cpus, outcome, thumbs = [], [], "rendered", 0
    for _ in range(reps):
        started, cpu = time.perf_counter(), time.process_time()
        try:
            decoded = decode(data, HEIGHTS, limits=LIMITS, options=OPTIONS)
            made = render_thumbnails(decoded, HEIGHTS, options=OPTIONS, limits=LIMITS)
            thumbs = sum(t.width * t.height * 4 for t in made)
            del decoded, made
        except ImageRejected as exc:
            outcome = f"refused: {exc.code}"
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    print(
        json.dumps(
            {
                "walls": walls,
                "cpus": cpus,
                "before_kb": before,
                "peak_kb": _status_kb("VmHWM"),
                "thumb_bytes": thumbs,
                "outcome": outcome,
            }
        )
    )


def _reference(key: str) -> str:
    """The JPEG of the same picture, that a file's time is compared with."""
    return "jpeg-phone" if key.endswith("-phone") else "jpeg"


def run(reps: int = 5) -> dict[str, dict]:
    print("\n== upload formats: decode + thumbnail set (200, 400), fresh process each")
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-formats-") as tmp:
        started = time.perf_counter()
        inputs = make_inputs(Path(tmp))
        print(f"  inputs made in {time.perf_counter() - started:.0f} s")
        for key, (label, path) in inputs.items():
            command = [sys.executable, "-m", "bench.formats", "--child", str(path), str(reps)]
            done = subprocess.run(
                command, cwd=REPO_ROOT, capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                print(f"  {label:28} failed: {done.stderr.strip().splitlines()[-1:]}")
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            result["size"] = path.stat().st_size
            results[key] = result
            median = statistics.median(result["walls"][1:] or result["walls"])
            result["median"] = median
            cpu = statistics.median(result["cpus"][1:] or result["cpus"])
            above = (result["peak_kb"] - result["before_kb"]) / 1024
            result["above_mb"] = above
            reference = results.get(_reference(key), result)
            ratio = median / reference["median"]
            print(
                f"  {label:28} {result['size'] / 1e6:5.1f} MB  {median * 1000:6.0f} ms"
                f" (CPU {cpu * 1000:5.0f} ms)"
                f"  ({ratio:.1f}x JPEG)  peak +{above:4.0f} MB  {result['outcome']}"
            )
    budget_mb = LIMITS.max_decode_bytes / 2**20
    print("  targets:")
    for key in ("heic", "avif", "heic-phone", "avif-phone"):
        jpeg = results.get(_reference(key))
        if jpeg and key in results:
            ratio = results[key]["median"] / jpeg["median"]
            verdict = "MET" if ratio <= TARGET_RATIO else "MISSED"
            print(
                f"    {key.upper()} time <= {TARGET_RATIO}x {_reference(key).upper()}: "
                f"{ratio:.2f}x  {verdict}"
            )
    for key, result in results.items():
        bound = budget_mb + result["thumb_bytes"] / 2**20
        verdict = "MET" if result["above_mb"] <= bound else "MISSED"
        print(
            f"    {key.upper():5} peak +{result['above_mb']:.0f} MB <= max_decode_bytes "
            f"+ thumbnails ({bound:.0f} MB)  {verdict}"
        )
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the section; as part of ``python -m bench`` only when it runs every section."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench.formats")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--child", nargs=2, metavar=("PATH", "REPS"), help=argparse.SUPPRESS)
    args, unknown = parser.parse_known_args(argv)
    if args.child:
        child(args.child[0], int(args.child[1]))
        return 0
    if any(arg.startswith("--only") or arg == "--child" for arg in unknown):
        return 0  # a chosen subset of the thumbnail sections, or one of their children
    run(max(2, args.reps))
    return 0


if __name__ == "__main__":
    sys.exit(main())
