"""Swagger UI as a person uses it: sign in, upload, list, make an expiring link."""

import json

from tests.browser.conftest import PASSWORD, App, Visit, loaded_image_size


def open_operation(visit: Visit, tag: str, operation_id: str):
    block = visit.page.locator(f"#operations-{tag}-{operation_id}")
    block.locator(".opblock-summary").first.click()
    block.locator(".try-out__btn").click()
    return block


def execute(block) -> tuple[int, dict]:
    block.locator(".execute").click()
    status = block.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    body = block.locator(".live-responses-table tbody .response-col_description pre").first
    return int(status.inner_text().strip()), json.loads(body.inner_text() or "null")


def sign_in(visit: Visit, operation_id: str, username: str) -> dict:
    block = open_operation(visit, "auth", operation_id)
    block.locator("textarea.body-param__text").fill(
        json.dumps({"username": username, "password": PASSWORD})
    )
    status, body = execute(block)
    assert status == 200, body
    return body


def upload(visit: Visit, jpeg) -> dict:
    block = open_operation(visit, "images", "user_images_create")
    block.locator("input[type=file]").set_input_files(str(jpeg))
    status, body = execute(block)
    assert status == 201, body
    return body


def test_token_sign_in_upload_list_and_expiring_link(app: App, visit: Visit, jpeg):
    page = visit.page
    page.goto(app.url + "/api/docs/")
    token = sign_in(visit, "user_token_create", "ada")["token"]

    page.locator(".auth-wrapper .authorize").click()
    dialog = page.locator(".modal-ux")
    assert "Token <key>" in dialog.inner_text()
    assert "jwtCookie" not in dialog.inner_text() and "cookieAuth" not in dialog.inner_text()
    dialog.locator("input[type=text]").fill(f"Token {token}")
    dialog.locator("button.authorize").click()
    dialog.locator("button.btn-done").click()

    image = upload(visit, jpeg)
    assert [t["height"] for t in image["thumbnails"]] == [200, 400]

    status, listing = execute(open_operation(visit, "images", "user_images_list"))
    assert status == 200 and [i["id"] for i in listing] == [image["id"]]

    link = open_operation(visit, "images", "user_link_retrieve")
    link.locator("input[placeholder=id]").fill(str(image["id"]))
    link.locator("input[placeholder=time]").fill("300")
    status, body = execute(link)
    assert status == 200 and body["expires_in"] == 300
    visit.screenshot("-docs")

    assert loaded_image_size(page, body["url"]) == (900, 600)
    assert visit.failed == [] and visit.console_errors == []  # no favicon 404 either


def test_jwt_cookie_sign_in_then_upload_with_csrf(app: App, visit: Visit, jpeg):
    page = visit.page
    sent: list[dict] = []
    page.on(
        "request",
        lambda r: sent.append(r.headers) if r.method == "POST" and "/images/" in r.url else None,
    )
    page.goto(app.url + "/api/docs/")

    assert sign_in(visit, "user_jwt_login_create", "cy") == {"success": True}
    cookies = {c["name"]: c for c in visit.context.cookies()}
    assert cookies["access_token"]["httpOnly"] and cookies["refresh_token"]["httpOnly"]

    image = upload(visit, jpeg)

    assert image["image"] and len(image["thumbnails"]) == 2
    assert sent and sent[-1].get("x-csrftoken")
    assert "authorization" not in sent[-1]  # the cookie alone signed the request in
    assert visit.failed == [] and visit.console_errors == []
