"""The simulated users of the soak (``make loadtest`` runs this file with Locust, headless).

Who they are (``weight`` is Locust's share of the weighted users; ``fixed_count`` users
are always there, whatever the total):

- **BasicUser** (weight 5), **PremiumUser** (3), **EnterpriseUser** (2): most accounts
  are on the free tier, fewer pay. Several Locust users share an account, as a person's
  phone and laptop do, so one device's delete is another's 404. Half sign in with a DRF
  token, half with the JWT cookies (sending ``X-CSRFToken`` on writes, refreshing, and
  now and then signing out and in again). Between actions they think for 1 to 4 s.
  What they do, by task weight: open their gallery (list images, 10; sometimes a page
  of it, ``?limit=20``), look at thumbnails (12) with the ``Accept`` of a current
  browser (AVIF first, half the time), of an older one (WebP, a quarter) or of a plain
  client (``*/*``, a quarter), list thumbnails (3), upload (5: the mix in
  ``payloads.KINDS``, one in ten refused), open an original (Premium and Enterprise, 3),
  make an expiring link and open it (Enterprise, 3), delete an image (2), read their
  usage (``/me``, 1). Uploads are the expensive action and the one most users do least.
- **QuotaRacer** (4, one shared account on the LoadSlot tier, 12 images at most): upload
  bursts of three at once; at the limit, one racer in two deletes an image, freeing a
  single slot that every racer then races for. ``/me`` must never report more images
  than the limit.
- **UploadDeleteRacer** (1): uploads, then fetches the image's thumbnails (WebP), original
  and detail while deleting it twice at once, all while the worker renders it. Each
  delete answers 204 or 404 (at least one 204), each fetch 200 or 404, and afterwards
  the detail must answer 404.
- **Shifter** (1): an account the soak's driver moves from Premium to Basic and then to
  Enterprise while it is used (``manage.py create_user --tier``, as an admin would).
  Once a change has settled (20 s: longer than the API cache), the gallery must show
  exactly the new tier's heights and original links, and a 400 px link handed out
  before the downgrade must no longer serve.
- **ExpiryEdge** (1): makes 10-second expiring links (the soak's settings lower the
  minimum) and fetches each one every quarter second from 1.5 s before to 1.5 s after
  its expiry: served before, 410 after, never anything else.

Every request is written to ``requests.jsonl`` (start, end, status, error) so the driver
can tell faults' 5xx from others; every 201 upload (with the SHA-256 of the bytes sent)
and every delete to ``uploads.jsonl``; every broken rule to ``violations.jsonl``.
"""

import base64
import binascii
import hashlib
import json
import os
import random
import time
from pathlib import Path

import gevent
import requests
from locust import HttpUser, between, events, task
from locust.exception import StopUser

from loadtest import payloads

OUT = Path(os.environ.get("LOADTEST_OUT", "artifacts/loadtest"))
ACCOUNTS_FILE = OUT / "accounts.json"
ACCOUNTS = json.loads(ACCOUNTS_FILE.read_text()) if ACCOUNTS_FILE.exists() else {}
TIMEOUT = 65.0  # past nginx's 60 s proxy_read_timeout: a client timeout means a hang
SETTLE = 20.0  # a tier change is seen everywhere by then (API_CACHE_SECONDS is 15)
TIER_HEIGHTS = {"Basic": {200}, "Premium": {200, 400}, "Enterprise": {200, 400}}
ACCEPTS = [  # (share, name, Accept header)
    (50, "avif", "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"),
    (25, "webp", "image/webp,*/*"),
    (25, "plain", "*/*"),
]


class Journal:
    """Append-only JSON lines in the run's folder (one process: gevent, no locks needed)."""

    def __init__(self, name: str):
        OUT.mkdir(parents=True, exist_ok=True)
        self.file = open(OUT / name, "a", buffering=1)  # noqa: SIM115 (open for the run)

    def write(self, **record) -> None:
        self.file.write(json.dumps(record) + "\n")


REQUESTS = Journal("requests.jsonl")
UPLOADS = Journal("uploads.jsonl")
VIOLATIONS = Journal("violations.jsonl")


@events.request.add_listener
def record_request(request_type, name, response_time, response, exception, start_time=None, **kw):
    error = getattr(response, "error", None) or exception
    status = getattr(response, "status_code", 0) or 0
    start = start_time or time.time() - response_time / 1000
    REQUESTS.write(
        t=round(start, 3),
        end=round(start + response_time / 1000, 3),
        method=request_type,
        name=name,
        status=status,
        error=type(error).__name__ if error is not None and status == 0 else None,
        timeout=isinstance(error, requests.exceptions.Timeout),
    )


def violation(check: str, **detail) -> None:
    VIOLATIONS.write(t=round(time.time(), 3), check=check, **detail)


def media_key(url: str) -> str | None:
    """The image's random key, read from one of its links: a link's token starts with the
    key's 16 bytes (README, "Media links"). The stored files' names carry it, so an orphan
    can be traced to its image. None if the link does not parse."""
    token = url.rstrip("/").rsplit("/", 1)[-1]
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, binascii.Error):
        return None
    return raw[:16].hex() if len(raw) >= 16 else None


def tier_events() -> list[dict]:
    """The driver's tier changes so far: {"user", "tier", "began"[, "done"]}, the last line
    of a change in progress has no "done" yet."""
    path = OUT / "tiers.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class ApiUser(HttpUser):
    """A signed-in user of one account; the account and sign-in style are picked at start."""

    abstract = True
    tier = "Basic"
    wait_time = between(1, 4)
    accounts_key = ""  # which list of ACCOUNTS this class draws from
    jwt_share = 0.5  # how many sign in with the JWT cookies (the others: a DRF token)
    _counters: dict[str, int] = {}

    def on_start(self) -> None:
        key = self.accounts_key or self.tier
        pool = ACCOUNTS[key]
        n = ApiUser._counters.get(key, 0)
        ApiUser._counters[key] = n + 1
        self.username, self.password = pool[n % len(pool)]
        self.rng = random.Random(f"{self.username}-{n}")
        self.jwt = self.rng.random() < self.jwt_share
        self.images: list[dict] = []
        self.sign_in()

    # --- HTTP ---------------------------------------------------------------------------

    def call(self, method: str, url: str, name: str, expect=(200,), **kwargs):
        """One request, a success in Locust's statistics when its status is in ``expect``."""
        headers = dict(kwargs.pop("headers", {}))
        if self.jwt and method in ("POST", "DELETE", "PUT", "PATCH"):
            headers["X-CSRFToken"] = self.client.cookies.get("csrftoken", "")
        with self.client.request(
            method, url, name=name, headers=headers, timeout=TIMEOUT, catch_response=True, **kwargs
        ) as response:
            if response.status_code in expect:
                response.success()
            elif response.status_code:
                response.failure(f"{response.status_code}: {response.text[:120]}")
            return response

    def sign_in(self) -> None:
        credentials = {"username": self.username, "password": self.password}
        if self.jwt:
            self.client.headers.pop("Authorization", None)
            login = "/api/user/jwt-login/"
            r = self.call("POST", login, f"POST {login}", json=credentials)
        else:
            r = self.call("POST", "/api/user/token/", "POST /api/user/token/", data=credentials)
            if r.status_code == 200:
                self.client.headers["Authorization"] = f"Token {r.json()['token']}"
        if r.status_code != 200:
            gevent.sleep(2)  # signing in failed (a fault?): the next task tries again
            self.signed_in = False
        else:
            self.signed_in = True

    def ensure_signed_in(self, response) -> bool:
        if response.status_code == 401 or not self.signed_in:
            self.sign_in()
            return False
        return True

    # --- What users do ------------------------------------------------------------------

    def list_images(self, paged: bool = False) -> list[dict] | None:
        url = "/api/user/images/" + ("?limit=20" if paged else "")
        r = self.call("GET", url, "GET /api/user/images/" + (" ?limit" if paged else ""))
        if r.status_code != 200 or not self.ensure_signed_in(r):
            return None
        body = r.json()
        self.images = body["results"] if paged else body
        return self.images

    def upload(self, kind: payloads.Kind | None = None, data: bytes | None = None):
        kind = kind or payloads.pick(self.rng)
        data = data if data is not None else payloads.make(kind)
        digest = hashlib.sha256(data).hexdigest()
        group = "refused" if not kind.accepted else kind.name.split("-")[1]
        expect = (403, 429, 201) if kind.accepted else (400,)
        started = time.time()
        r = self.call(
            "POST",
            "/api/user/images/",
            f"POST /api/user/images/ [{group}]",
            expect=expect,
            files={"image": (kind.filename, data, kind.content_type)},
        )
        if r.status_code == 201 and not kind.accepted:
            violation("refused kind accepted", user=self.username, kind=kind.name)
        if r.status_code == 201:
            image = r.json()
            links = [t["url"] for t in image["thumbnails"]] + [image["image"] or ""]
            UPLOADS.write(
                event="created",
                user=self.username,
                id=image["id"],
                sha256=digest,
                key=media_key(links[0]),
            )
            self.images.append(image)
            return image
        if kind.accepted and (r.status_code == 0 or r.status_code >= 500):
            # The answer was lost: the image may or may not exist.
            UPLOADS.write(event="uncertain", user=self.username, sha256=digest, t=started)
        self.ensure_signed_in(r)
        return None

    def delete(self, image_id: int, name: str = "DELETE /api/user/images/{id}/"):
        r = self.call("DELETE", f"/api/user/images/{image_id}/", name, expect=(204, 404))
        if r.status_code == 204:
            UPLOADS.write(event="deleted", user=self.username, id=image_id)
        elif r.status_code == 0 or r.status_code >= 500:
            UPLOADS.write(event="delete-uncertain", user=self.username, id=image_id)
        self.images = [i for i in self.images if i["id"] != image_id]
        return r

    def fetch_media(self, url: str, name: str, accept: str = "*/*", expect=(200,)):
        return self.call("GET", url, name, expect=expect, headers={"Accept": accept})

    def pick_accept(self) -> tuple[str, str]:
        _, name, header = self.rng.choices(ACCEPTS, weights=[a[0] for a in ACCEPTS])[0]
        return name, header


class TierUser(ApiUser):
    """The everyday user of a tier (see the module's docstring for the weights)."""

    abstract = True

    @task(10)
    def gallery(self) -> None:
        self.list_images(paged=self.rng.random() < 0.2)

    @task(12)
    def view_thumbnails(self) -> None:
        if not self.images:
            self.list_images()
        if not self.images:
            return
        image = self.rng.choice(self.images)
        accept_name, accept = self.pick_accept()
        for thumb in image["thumbnails"]:
            # 404: the image was deleted by another of the account's devices.
            name = f"GET /media/[thumbnail, {accept_name}]"
            self.fetch_media(thumb["url"], name, accept, (200, 404))

    @task(3)
    def thumbnails(self) -> None:
        r = self.call("GET", "/api/user/thumbnails/", "GET /api/user/thumbnails/")
        self.ensure_signed_in(r)

    @task(5)
    def upload_one(self) -> None:
        self.upload()

    @task(2)
    def delete_one(self) -> None:
        if len(self.images) > 3:
            self.delete(self.rng.choice(self.images)["id"])

    @task(1)
    def usage(self) -> None:
        r = self.call("GET", "/api/user/me/", "GET /api/user/me/")
        self.ensure_signed_in(r)

    @task(1)
    def session(self) -> None:
        """JWT users refresh their access cookie, and now and then sign out and in again."""
        if not self.jwt:
            return
        if self.rng.random() < 0.3:
            self.call("POST", "/api/user/jwt-logout/", "POST /api/user/jwt-logout/", expect=(204,))
            self.sign_in()
        else:
            r = self.call(
                "POST", "/api/user/jwt-refresh/", "POST /api/user/jwt-refresh/", expect=(200, 429)
            )
            self.ensure_signed_in(r)


class BasicUser(TierUser):
    weight = 5
    tier = "Basic"


class PremiumUser(TierUser):
    weight = 3
    tier = "Premium"

    @task(3)
    def open_original(self) -> None:
        if not self.images:
            return
        image = self.rng.choice(self.images)
        if image.get("image"):
            self.fetch_media(image["image"], "GET /media/[original]", expect=(200, 404))


class EnterpriseUser(PremiumUser):
    weight = 2
    tier = "Enterprise"

    @task(3)
    def expiring_link(self) -> None:
        if not self.images:
            return
        image = self.rng.choice(self.images)
        seconds = self.rng.choice([300, 600, 3600])
        r = self.call(
            "GET",
            f"/api/user/link/{image['id']}/?time={seconds}",
            "GET /api/user/link/{id}/",
            expect=(200, 404),
        )
        if r.status_code == 200:
            self.fetch_media(r.json()["url"], "GET /media/[expiring]", expect=(200, 404))


class QuotaRacer(ApiUser):
    """Many clients of one account racing for its last free image slot."""

    fixed_count = 4
    accounts_key = "slot"
    jwt_share = 0.0
    wait_time = between(2, 5)

    @task(3)
    def burst(self) -> None:
        kind, _ = payloads.small_jpeg()
        results = gevent.joinall([gevent.spawn(self.upload, kind) for _ in range(3)])
        refused = [g.value for g in results if g.value is None]
        if refused and self.rng.random() < 0.5:
            images = self.list_images()
            if images:
                self.delete(self.rng.choice(images)["id"])

    @task(1)
    def usage(self) -> None:
        r = self.call("GET", "/api/user/me/", "GET /api/user/me/")
        if r.status_code == 200:
            images = r.json()["limits"]["images"]
            if images["limit"] is not None and images["used"] > images["limit"]:
                violation("over the image quota", user=self.username, **images)


class UploadDeleteRacer(ApiUser):
    """Deletes each upload at once, twice, while its thumbnails, original and detail are fetched."""

    fixed_count = 1
    accounts_key = "racer"
    tier = "Enterprise"
    wait_time = between(1, 3)

    @task
    def upload_and_delete(self) -> None:
        kind, data = payloads.small_jpeg()
        image = self.upload(kind, data)
        if image is None:
            return
        image_id = image["id"]
        fetches = [
            gevent.spawn(
                self.call,
                "GET",
                f"/api/user/images/{image_id}/",
                "GET /api/user/images/{id}/ [racing]",
                (200, 404),
            ),
            gevent.spawn(
                self.fetch_media, image["image"], "GET /media/[original, racing]", "*/*", (200, 404)
            ),
        ]
        for thumb in image["thumbnails"]:
            fetches.append(
                gevent.spawn(
                    self.fetch_media,
                    thumb["url"],
                    "GET /media/[thumbnail, racing]",
                    "image/webp",
                    (200, 404),
                )
            )
        # The deletes leave a little after the fetches, so either may win.
        gevent.sleep(self.rng.uniform(0, 0.2))
        name = "DELETE /api/user/images/{id}/ [racing]"
        deletes = [gevent.spawn(self.delete, image_id, name) for _ in range(2)]
        gevent.joinall(fetches + deletes)
        statuses = sorted(job.value.status_code for job in deletes)
        UPLOADS.write(event="race", user=self.username, id=image_id, deletes=statuses)
        if all(s and s < 500 for s in statuses) and (
            204 not in statuses or not set(statuses) <= {204, 404}
        ):
            violation("two racing deletes", user=self.username, id=image_id, statuses=statuses)
        after = self.call(
            "GET", f"/api/user/images/{image_id}/", "GET /api/user/images/{id}/ [racing]", (404,)
        )
        if 204 in statuses and after.status_code == 200:
            violation("deleted image still served", user=self.username, id=image_id)


class Shifter(ApiUser):
    """An account whose tier the driver changes during the run."""

    fixed_count = 1
    accounts_key = "shifter"
    wait_time = between(1, 3)

    def on_start(self) -> None:
        super().on_start()
        self.held_400: list[tuple[float, str]] = []  # (when obtained, link)

    def settled_tier(self, started: float) -> str | None:
        """The tier in force for a request started at ``started``, if it has settled.

        Called after the answer: the driver writes a change's ``began`` line before it
        runs the command, so a change that may have reached the answer is seen here.
        """
        changes = [e for e in tier_events() if e["user"] == self.username]
        if not changes:
            return ACCOUNTS["shifter_tier"]
        last = changes[-1]
        if "done" not in last or started < last["done"] + SETTLE:
            return None
        return last["tier"]

    @task(1)
    def upload_some(self) -> None:
        if len(self.images) < 8:
            self.upload(payloads.KINDS[1], payloads.make(payloads.KINDS[1]))

    @task(4)
    def gallery(self) -> None:
        started = time.time()
        images = self.list_images()
        tier = self.settled_tier(started)
        if images is None or tier is None:
            return
        for image in images:
            heights = {t["height"] for t in image["thumbnails"]}
            if heights != TIER_HEIGHTS[tier]:
                violation("thumbnails after a tier change", tier=tier, heights=sorted(heights))
            if (image["image"] is None) != (tier == "Basic"):
                violation("original link after a tier change", tier=tier, image=image["image"])
            for thumb in image["thumbnails"]:
                if thumb["height"] == 400:
                    self.held_400.append((started, thumb["url"]))
        self.held_400 = self.held_400[-20:]

    @task(2)
    def old_links(self) -> None:
        """Links handed out while on a larger tier stop serving after a settled downgrade."""
        if not self.held_400:
            return
        _, url = self.rng.choice(self.held_400)
        started = time.time()
        r = self.fetch_media(url, "GET /media/[thumbnail, tier shifting]", expect=(200, 404))
        tier = self.settled_tier(started)
        if tier == "Basic" and r.status_code == 200:
            violation("400 px link served after the downgrade", url=url)
        if tier in ("Premium", "Enterprise") and r.status_code == 404:
            # Only a link of an image still listed must serve; the gallery decides.
            listed = {t["url"] for i in self.images for t in i["thumbnails"]}
            if url in listed:
                violation("400 px link refused on a tier that has it", tier=tier, url=url)


class ExpiryEdge(ApiUser):
    """Uses expiring links right as they expire."""

    fixed_count = 1
    accounts_key = "edge"
    tier = "Enterprise"
    wait_time = between(1, 2)
    SECONDS = 10

    def on_start(self) -> None:
        super().on_start()
        self.image = None

    @task
    def at_expiry(self) -> None:
        if self.image is None:
            self.image = self.upload(*payloads.small_jpeg())
            if self.image is None:
                return
        sent = time.time()
        r = self.call(
            "GET",
            f"/api/user/link/{self.image['id']}/?time={self.SECONDS}",
            "GET /api/user/link/{id}/ [expiry edge]",
        )
        answered = time.time()
        if r.status_code != 200:
            self.ensure_signed_in(r)
            return
        url = r.json()["url"]
        # The server signs int(its now) + SECONDS: the expiry lies between these two.
        earliest, latest = int(sent) + self.SECONDS, int(answered) + self.SECONDS
        gevent.sleep(max(0.0, earliest - 1.5 - time.time()))
        while time.time() < latest + 1.5:
            start = time.time()
            got = self.fetch_media(url, "GET /media/[expiring, at expiry]", expect=(200, 410))
            end = time.time()
            status = got.status_code
            if status == 200 and start >= latest:
                violation("expired link served", sent=start, expiry=latest)
            elif status == 410 and end < earliest:
                violation("link refused before its expiry", answered=end, expiry=earliest)
            elif status and status not in (200, 410) and status < 500:
                violation("expiring link answered", status=status)
            gevent.sleep(0.25)


@events.test_start.add_listener
def check_accounts(environment, **kw) -> None:
    if not ACCOUNTS:
        raise StopUser("no accounts.json: run the soak with `make loadtest`")
