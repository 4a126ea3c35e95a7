"""A front end on another origin: images work from anywhere, the API only for listed origins."""

import json

from tests.browser.conftest import PASSWORD, App, Origin, Visit, upload_as
from tests.conftest import image_bytes

FRONT_END = """<!doctype html>
<html><head><meta charset="utf-8"><title>Gallery on another origin</title>
<link rel="icon" href="data:,"></head>
<body>
<h1>A front end on {origin}</h1>
<img id="thumb" crossorigin="anonymous" src="{thumbnail}">
<p id="me">asking {api}/api/user/me/ …</p>
<script>
  const thumb = document.getElementById("thumb");
  thumb.decode().then(() => {{
    const canvas = document.createElement("canvas");
    canvas.width = thumb.naturalWidth;
    canvas.height = thumb.naturalHeight;
    canvas.getContext("2d").drawImage(thumb, 0, 0);
    // toDataURL throws on a canvas tainted by an image loaded without CORS.
    document.body.dataset.canvas = canvas.toDataURL().slice(0, 22);
  }}).catch((e) => {{ document.body.dataset.canvas = "failed: " + e; }});
  fetch("{api}/api/user/me/", {{credentials: "include"}})
    .then((r) => r.json())
    .then((me) => {{ document.body.dataset.me = "signed in as " + me.username; }})
    .catch((e) => {{ document.body.dataset.me = "refused: " + e; }})
    .finally(() => {{ document.getElementById("me").textContent = document.body.dataset.me; }});
</script>
</body></html>
"""


def sign_in_with_cookies(visit: Visit, app: App, username: str) -> None:
    """Sign in on the API's own origin, as its docs page would."""
    visit.page.goto(app.url + "/api/docs/")
    status = visit.page.evaluate(
        """([username, password]) => fetch("/api/user/jwt-login/", {
            method: "POST", headers: {"Content-Type": "application/json"},
            body: JSON.stringify({username, password})}).then((r) => r.status)""",
        [username, PASSWORD],
    )
    assert status == 200


def front_end(visit: Visit, app: App, origin: Origin, thumbnail: str) -> dict:
    origin.pages["/gallery.html"] = FRONT_END.format(
        origin=origin.url, api=app.url, thumbnail=thumbnail
    )
    visit.page.goto(origin.url + "/gallery.html")
    visit.page.wait_for_function("document.body.dataset.me && document.body.dataset.canvas")
    return visit.page.evaluate("({...document.body.dataset})")


def test_a_listed_origin_shows_a_thumbnail_and_reads_the_api_with_cookies(
    app: App, visit: Visit, origins
):
    listed, _ = origins
    image = upload_as(visit, app, "eve", image_bytes(900, 600))
    sign_in_with_cookies(visit, app, "eve")

    seen = front_end(visit, app, listed, image["thumbnails"][0]["url"])

    assert seen["canvas"] == "data:image/png;base64,"  # drawn and read back: CORS image
    assert seen["me"] == "signed in as eve"
    assert visit.page.eval_on_selector("#thumb", "i => i.naturalHeight") == 200


def test_an_unlisted_origin_shows_the_thumbnail_but_is_refused_the_api(
    app: App, visit: Visit, origins
):
    _, unlisted = origins
    image = upload_as(visit, app, "eve", image_bytes(900, 600))
    sign_in_with_cookies(visit, app, "eve")

    seen = front_end(visit, app, unlisted, image["thumbnails"][0]["url"])

    assert seen["canvas"] == "data:image/png;base64,"
    assert seen["me"].startswith("refused: TypeError")
    assert any("blocked by CORS policy" in error for error in visit.console_errors)


TOO_LARGE_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Uploader on another origin</title>
<link rel="icon" href="data:,"></head>
<body>
<script>
  const form = new FormData();
  form.append("image", new Blob([new Uint8Array({size})], {{type: "image/jpeg"}}), "big.jpg");
  fetch("{api}/api/user/images/", {{
      method: "POST", body: form, headers: {{"Authorization": "Token {token}"}}}})
    .then((r) => r.json().then((body) => {{
      document.body.dataset.answer = JSON.stringify({{status: r.status, body}});
    }}))
    .catch((e) => {{ document.body.dataset.answer = "failed: " + e; }});
</script>
</body></html>
"""


def test_a_listed_origin_reads_why_make_runs_server_refused_a_too_large_upload(
    make_run_app: App, visit: Visit, origins
):
    listed, _ = origins
    limit = int(make_run_app.env["MAX_UPLOAD_BYTES"])
    listed.pages["/upload.html"] = TOO_LARGE_PAGE.format(
        api=make_run_app.url, token=make_run_app.token("cy"), size=limit + 128 * 1024
    )

    visit.page.goto(listed.url + "/upload.html")
    visit.page.wait_for_function("document.body.dataset.answer")
    answer = visit.page.evaluate("document.body.dataset.answer")

    assert not answer.startswith("failed"), answer  # a network error: no CORS headers
    seen = json.loads(answer)
    assert seen["status"] == 413
    assert seen["body"]["detail"].startswith("The upload is ")
    assert "MAX_UPLOAD_BYTES" in seen["body"]["detail"]
