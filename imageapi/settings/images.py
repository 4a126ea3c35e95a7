"""The image product: upload limits, thumbnail encoding, media delivery, link lifetimes."""

from imageapi.settings.environment import cores, env
from imageapi.settings.storage import STORAGE
from imageapi.settings.tasks import CELERY_TASK_TIME_LIMIT

MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
MAX_IMAGE_PIXELS = env.int("MAX_IMAGE_PIXELS", default=50_000_000)
# Decode cost, bounded from the header before decoding (see images/processing/types.py):
# the estimated peak memory of one decode (256 MiB takes every 8-bit PNG and baseline or
# 4:2:0 JPEG up to 50 MP, and refuses a 50 MP progressive 4:4:4 JPEG: 300 MB of
# coefficients), and JPEG scans (ordinary progressive files use 6-18; each costs a full
# pass over the coefficients).
MAX_DECODE_BYTES = env.int("MAX_DECODE_BYTES", default=256 * 1024 * 1024)
MAX_JPEG_SCANS = env.int("MAX_JPEG_SCANS", default=32)
# Frames of an animated GIF, WebP or AVIF (only the first is decoded, but every frame's
# header is read), and tiles of a HEIC/AVIF grid image (each decoded on its own).
MAX_FRAMES = env.int("MAX_FRAMES", default=1_000)
MAX_TILES = env.int("MAX_TILES", default=1_024)
MAX_THUMBNAIL_HEIGHT = env.int("MAX_THUMBNAIL_HEIGHT", default=4096)

THUMBNAIL_JPEG_QUALITY = env.int("THUMBNAIL_JPEG_QUALITY", default=85)
THUMBNAIL_JPEG_PROGRESSIVE = env.bool("THUMBNAIL_JPEG_PROGRESSIVE", default=True)
THUMBNAIL_JPEG_OPTIMIZE = env.bool("THUMBNAIL_JPEG_OPTIMIZE", default=True)
THUMBNAIL_WEBP_QUALITY = env.int("THUMBNAIL_WEBP_QUALITY", default=80)
THUMBNAIL_AVIF_QUALITY = env.int("THUMBNAIL_AVIF_QUALITY", default=60)
# libavif encoder speed, 0 (smallest files) to 10 (fastest): 8 keeps one 400 px AVIF
# well under a second.
THUMBNAIL_AVIF_SPEED = env.int("THUMBNAIL_AVIF_SPEED", default=8)
# Modern formats a thumbnail URL may serve when the client's Accept header prefers them.
THUMBNAIL_FORMATS = env.list("THUMBNAIL_FORMATS", default=["webp", "avif"])

MEDIA_DELIVERY = env.str("MEDIA_DELIVERY", default="app")
if MEDIA_DELIVERY not in {"app", "nginx", "redirect"}:
    raise ValueError(f"MEDIA_DELIVERY must be 'app', 'nginx' or 'redirect', not {MEDIA_DELIVERY!r}")
if MEDIA_DELIVERY == "redirect" and STORAGE != "s3":
    raise ValueError("MEDIA_DELIVERY=redirect needs STORAGE=s3 (it redirects to presigned URLs)")
MEDIA_NGINX_LOCATION = env.str("MEDIA_NGINX_LOCATION", default="/protected-media/")
# Lifetime of the presigned URLs a redirect hands out (never longer than an expiring
# link has left); nginx mode fetches at once and uses a minute at most.
MEDIA_PRESIGNED_SECONDS = env.int("MEDIA_PRESIGNED_SECONDS", default=600)
EXPIRING_LINK_MIN_SECONDS = 300
EXPIRING_LINK_MAX_SECONDS = 30000
API_CACHE_SECONDS = env.int("API_CACHE_SECONDS", default=15)
# Answers larger than this are not cached (a very large account's full list is streamed).
API_CACHE_MAX_BYTES = env.int("API_CACHE_MAX_BYTES", default=2 * 1024 * 1024)

# Requests never hold more than this in memory; larger bodies spill to temp files and
# uploads over MAX_UPLOAD_BYTES are refused while they stream in.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_HANDLERS = [
    "images.api.upload_limits.BoundedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]


# Decoding is bounded per process: at most MAX_CONCURRENT_DECODES at a time (default:
# the cores this process may use); a request waits DECODE_WAIT_SECONDS for a slot, then
# is answered 503 with Retry-After. A thumbnail is made once however many ask for it at
# the same time: the others wait up to THUMBNAIL_WAIT_SECONDS for it. The claim that
# says who makes it lives in the cache (shared by processes with CACHE_URL) and expires
# after THUMBNAIL_CLAIM_SECONDS should its maker die: by default the longest a task may
# run, so a killed worker's redelivered task finds the claim gone.
MAX_CONCURRENT_DECODES = env.int("MAX_CONCURRENT_DECODES", default=cores())
DECODE_WAIT_SECONDS = env.float("DECODE_WAIT_SECONDS", default=10.0)
THUMBNAIL_WAIT_SECONDS = env.float("THUMBNAIL_WAIT_SECONDS", default=30.0)
THUMBNAIL_CLAIM_SECONDS = env.int("THUMBNAIL_CLAIM_SECONDS", default=CELERY_TASK_TIME_LIMIT)
# Files older than this without a database row are orphans to `cleanup_storage`;
# younger ones may belong to an upload still in flight.
CLEANUP_GRACE_SECONDS = env.int("CLEANUP_GRACE_SECONDS", default=3600)

# How long browsers (and, for thumbnails, shared caches and CDNs) may keep a media file
# without asking again. After a delete or a tier downgrade the link answers 404 at once,
# but a copy already cached may be shown for up to this long; then the client revalidates
# (ETag: a cheap 304 while the file stands). So "deleted" means gone everywhere within
# MEDIA_CACHE_SECONDS. Originals are never stored by shared caches (private).
MEDIA_CACHE_SECONDS = env.int("MEDIA_CACHE_SECONDS", default=3600)
