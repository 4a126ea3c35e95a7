"""A page on another origin uploads a photo straight to the S3 server, with a progress bar.

The app runs with STORAGE=s3 against moto's S3 server. moto answers a bucket's CORS
preflight from the bucket's own rules, but its answer to the form POST itself carries no
CORS headers (moto 5.2: only object-level operations add them), so a browser would call
a successful upload an error. Hence two servers: the whole flow runs against moto with
its allow-every-origin switch on, and the bucket rules deploy/ensure_bucket.py sets are
tested against a moto with that switch off (which origin's preflight passes, and so
which page's bytes reach the bucket).
"""

import importlib.util
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from PIL import Image as PILImage

from tests.browser.conftest import PASSWORD, TIMEOUT_MS, App, Origin, Visit
from tests.live_server import BIN, ROOT, Process, embedded_env, free_port, gunicorn_server, http

BUCKET = "staged-uploads"

FRONT_END = """<!doctype html>
<html><head><meta charset="utf-8"><title>Uploading from {origin}</title>
<link rel="icon" href="data:,"></head>
<body>
<h1>Upload straight to storage</h1>
<input type="file" id="file" accept="image/jpeg,image/png">
<progress id="bar" max="100" value="0"></progress> <span id="state">choose a photo</span>
<div id="thumbs"></div>
<script>
  const API = "{api}", AUTH = {{"Authorization": "Token {token}"}};
  const bar = document.getElementById("bar"), state = document.getElementById("state");
  const seen = [];

  function send(target, file) {{
    return new Promise((resolve, reject) => {{
      const xhr = new XMLHttpRequest();
      xhr.open(target.method, target.url);
      xhr.upload.onprogress = (e) => {{
        if (e.lengthComputable) {{ bar.value = 100 * e.loaded / e.total; seen.push(e.loaded); }}
      }};
      xhr.onload = () => xhr.status < 300 ? resolve(xhr.status)
                                           : reject(new Error("the store answered " + xhr.status));
      xhr.onerror = () => reject(new Error("the store refused the request (network or CORS)"));
      let body = file;
      if (target.method === "POST") {{
        body = new FormData();
        for (const [name, value] of Object.entries(target.fields)) body.append(name, value);
        body.append("file", file);
      }} else {{
        for (const [name, value] of Object.entries(target.headers)) {{
          xhr.setRequestHeader(name, value);
        }}
      }}
      xhr.send(body);
    }});
  }}

  async function upload(file) {{
    state.textContent = "starting";
    const started = await fetch(API + "/api/user/uploads/", {{
      method: "POST", headers: {{...AUTH, "Content-Type": "application/json"}},
      body: JSON.stringify({{size: file.size, filename: file.name}})}}).then((r) => r.json());
    document.body.dataset.target = started.upload.url;
    state.textContent = "sending";
    await send(started.upload, file);
    state.textContent = "processing";
    const done = await fetch(API + "/api/user/uploads/" + started.id + "/complete", {{
      method: "POST", headers: {{...AUTH, "Idempotency-Key": "complete-" + started.id}}}});
    let where = API + done.headers.get("Location"), answer;
    for (let i = 0; i < 100; i++) {{
      answer = await fetch(where, {{headers: AUTH}}).then((r) => r.json());
      if (answer.status === "ready" || answer.status === "rejected") break;
      await new Promise((r) => setTimeout(r, 200));
    }}
    for (const thumb of answer.image ? answer.image.thumbnails : []) {{
      const img = document.createElement("img");
      img.src = thumb.url; img.alt = thumb.height + " px";
      document.getElementById("thumbs").append(img);
      await img.decode();
    }}
    state.textContent = answer.status;
    return answer.status;
  }}

  document.getElementById("file").onchange = (e) => upload(e.target.files[0])
    .then((s) => {{
      document.body.dataset.progress = JSON.stringify(seen);
      document.body.dataset.done = s;
    }})
    .catch((err) => {{ document.body.dataset.done = "failed: " + err.message; }});
</script>
</body></html>
"""

TRY_THE_BUCKET = """<!doctype html>
<html><head><meta charset="utf-8"><title>Another origin</title><link rel="icon" href="data:,">
</head><body><script>
  const target = {target};
  const form = new FormData();
  for (const [name, value] of Object.entries(target.fields)) form.append(name, value);
  form.append("file", new Blob([new Uint8Array(1000)]), "x.jpg");
  const xhr = new XMLHttpRequest();
  xhr.open("POST", target.url);
  xhr.upload.onprogress = () => {{}};  // progress events make the browser preflight
  xhr.onload = () => {{ document.body.dataset.done = "stored " + xhr.status; }};
  xhr.onerror = () => {{ document.body.dataset.done = "refused"; }};
  xhr.send(form);
</script></body></html>
"""


@dataclass
class S3:
    endpoint: str
    client: object

    def stored(self) -> set[str]:
        listed = self.client.list_objects_v2(Bucket=BUCKET)
        return {obj["Key"] for obj in listed.get("Contents", ())}


def ensure_bucket_module():
    path = ROOT / "deploy" / "ensure_bucket.py"
    spec = importlib.util.spec_from_file_location("ensure_bucket", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def moto(tmp_path_factory, origins, *, bucket_rules_only: bool) -> Iterator[S3]:
    """moto's S3 server with a bucket configured by ensure_bucket for the listed origin."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    env = {k: v for k, v in os.environ.items() if k != "MOTO_DISABLE_GLOBAL_CORS"}
    if bucket_rules_only:
        env["MOTO_DISABLE_GLOBAL_CORS"] = "true"
    argv = [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    with Process(f"moto_server :{port}", argv, log, env) as server:
        endpoint = f"http://127.0.0.1:{port}"
        server.wait_until("moto_server", lambda: http("GET", endpoint + "/")[0] == 200)
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.create_bucket(Bucket=BUCKET)
        listed, _ = origins
        assert ensure_bucket_module().configure(client, BUCKET, [listed.url]) == []
        yield S3(endpoint, client)


@pytest.fixture(scope="module")
def s3(tmp_path_factory, origins) -> Iterator[S3]:
    """The app's S3 server (moto answering CORS for every origin)."""
    yield from moto(tmp_path_factory, origins, bucket_rules_only=False)


@pytest.fixture(scope="module")
def strict_s3(tmp_path_factory, origins) -> Iterator[S3]:
    """An S3 server that answers preflights only as the bucket's CORS rules say."""
    yield from moto(tmp_path_factory, origins, bucket_rules_only=True)


@pytest.fixture(scope="module")
def s3_app(tmp_path_factory, origins, s3) -> Iterator[App]:
    """The app with STORAGE=s3 on moto (work done in the request: no broker)."""
    data_dir = tmp_path_factory.mktemp("browser-s3-data")
    port = free_port()
    env = embedded_env(
        data_dir,
        DJANGO_SETTINGS_MODULE="imageapi.settings",
        CORS_ALLOWED_ORIGINS=origins[0].url,
        STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME=BUCKET,
        AWS_S3_ENDPOINT_URL=s3.endpoint,
        AWS_S3_REGION_NAME="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        LOG_LEVEL="WARNING",
        LOGIN_THROTTLE_RATE="200/min",
    )
    app = App(f"http://127.0.0.1:{port}", env, data_dir / "gunicorn.log")
    app.manage(
        ["migrate", "--no-input"],
        ["collectstatic", "--no-input", "--verbosity", "0"],
        ["bootstrap"],
        ["create_user", "sam", "--password", PASSWORD, "--tier", "Premium"],
    )
    with gunicorn_server(port, env, app.log, "--threads", "4") as server:
        server.wait_healthy()
        yield app


@pytest.fixture
def photo(tmp_path):
    """A real photo-sized JPEG (noise over a gradient: about 4 MB), on disk."""
    width, height = 2400, 1600
    noise = PILImage.frombytes("L", (width, height), os.urandom(width * height))
    gradient = PILImage.linear_gradient("L").resize((width, height))
    picture = PILImage.merge("RGB", (noise, gradient, PILImage.blend(noise, gradient, 0.5)))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=95)
    path = tmp_path / "beach.jpg"
    path.write_bytes(buffer.getvalue())
    return path


def open_front_end(visit: Visit, app: App, origin: Origin, page: str, html: str) -> None:
    origin.pages[page] = html
    visit.page.goto(origin.url + page)


def test_a_page_on_another_origin_uploads_straight_to_s3_with_progress_and_shows_thumbnails(
    s3_app: App, s3: S3, visit: Visit, origins, photo
):
    listed, _ = origins
    html = FRONT_END.format(origin=listed.url, api=s3_app.url, token=s3_app.token("sam"))
    open_front_end(visit, s3_app, listed, "/staged.html", html)
    # A slow uplink, so the upload reports its progress several times on the way.
    cdp = visit.context.new_cdp_session(visit.page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 2_000_000},
    )

    visit.page.set_input_files("#file", str(photo))
    visit.page.wait_for_function("document.body.dataset.done", timeout=TIMEOUT_MS * 3)

    seen = visit.page.evaluate("({...document.body.dataset})")
    assert seen["done"] == "ready", seen
    assert seen["target"].startswith(s3.endpoint)  # the bytes went to the S3 server
    progress = json.loads(seen["progress"])
    assert len(progress) >= 2 and progress == sorted(progress)
    assert progress[-1] >= photo.stat().st_size  # the whole file (and the form around it)
    assert visit.page.eval_on_selector("#bar", "b => b.value") == 100
    heights = visit.page.eval_on_selector_all("#thumbs img", "all => all.map(i => i.naturalHeight)")
    assert heights == [200, 400]
    assert visit.page.inner_text("#state") == "ready"
    assert any(key.startswith("originals/") for key in s3.stored())
    assert not any(key.startswith("staging/") for key in s3.stored())  # removed once stored
    assert visit.console_errors == []


def try_the_bucket(visit: Visit, s3: S3, origin: Origin, key: str) -> str:
    """A page on ``origin`` POSTs a file to the bucket with a presigned POST for ``key``."""
    target = s3.client.generate_presigned_post(
        BUCKET, key, Conditions=[["content-length-range", 1, 10_000]], ExpiresIn=300
    )
    target["method"] = "POST"
    origin.pages["/bucket.html"] = TRY_THE_BUCKET.format(target=json.dumps(target))
    visit.page.goto(origin.url + "/bucket.html")
    visit.page.wait_for_function("document.body.dataset.done")
    return visit.page.evaluate("document.body.dataset.done")


def test_the_buckets_cors_rule_lets_the_listed_origins_page_post_a_file(
    strict_s3: S3, visit: Visit, origins
):
    listed, _ = origins

    try_the_bucket(visit, strict_s3, listed, "staging/from-the-listed-origin")

    # The preflight passed (else the browser sends nothing): the bytes are in the bucket.
    stored = strict_s3.client.head_object(Bucket=BUCKET, Key="staging/from-the-listed-origin")
    assert stored["ContentLength"] == 1000


def test_the_bucket_refuses_a_page_on_an_origin_its_cors_rule_does_not_list(
    strict_s3: S3, visit: Visit, origins
):
    _, unlisted = origins

    outcome = try_the_bucket(visit, strict_s3, unlisted, "staging/from-an-unlisted-origin")

    assert outcome == "refused"
    assert any("blocked by CORS policy" in error for error in visit.console_errors)
    assert "staging/from-an-unlisted-origin" not in strict_s3.stored()
