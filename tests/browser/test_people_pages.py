"""The browsable API and the admin, used in a browser as people use them."""

import json

from tests.browser.conftest import (
    ADMIN_PASSWORD,
    PASSWORD,
    App,
    Visit,
    loaded_image_size,
    upload_as,
)
from tests.conftest import image_bytes


def test_browsable_api_log_in_upload_form_and_thumbnail_opens(app: App, visit: Visit, jpeg):
    page = visit.page
    page.goto(app.url + "/api-auth/login/?next=/api/user/images/")
    page.fill("#id_username", "bob")
    page.fill("#id_password", PASSWORD)
    page.click("[type=submit]")
    page.wait_for_url(app.url + "/api/user/images/")

    form = page.locator("#post-object-form")
    form.locator("input[type=file][name=image]").set_input_files(str(jpeg))
    form.locator("button", has_text="POST").click()
    page.wait_for_selector(".response-info:has-text('201 Created')")
    visit.screenshot("-created")

    body = json.loads(page.locator(".response-info pre").inner_text().split("\n\n", 1)[1])
    assert [t["height"] for t in body["thumbnails"]] == [200, 400]
    thumbnail = body["thumbnails"][0]["url"]
    page.locator(f'.response-info pre a[href="{thumbnail}"]').click()
    page.wait_for_load_state()

    size = page.eval_on_selector("img", "i => [i.naturalWidth, i.naturalHeight]")
    assert size == [300, 200]  # the 200 px thumbnail of a 900x600 photo
    assert loaded_image_size(page, body["thumbnails"][1]["url"]) == (600, 400)
    assert visit.failed == []  # pages without an icon link get /favicon.ico


def test_admin_new_tier_heights_reach_a_users_thumbnails(app: App, visit: Visit):
    image = upload_as(visit, app, "dee", image_bytes(900, 600))
    page = visit.page
    page.goto(app.url + "/admin/login/?next=/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("[type=submit]")

    page.goto(app.url + "/admin/accounts/tier/add/")
    page.fill("#id_name", "Gallery")
    page.fill("#id_thumbnail_heights", "150, 300")
    page.check("#id_original_link")
    page.fill("#id_uploads_per_hour", "20")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    page.goto(app.url + "/admin/accounts/user/?q=dee")
    page.click("a:text-is('dee')")
    page.select_option("#id_tier", label="Gallery")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    token = app.token("dee")
    me = app.api("GET", "/api/user/me/", token)
    assert me["tier"] == "Gallery" and me["limits"]["uploads_per_hour"]["limit"] == 20
    again = app.api("GET", f"/api/user/images/{image['id']}/", token)
    assert [t["height"] for t in again["thumbnails"]] == [150, 300]
    assert again["image"]  # the new tier has the original link
    page.set_content(
        "".join(f'<img id="h{t["height"]}" src="{t["url"]}">' for t in again["thumbnails"])
    )
    page.wait_for_function("[...document.images].every(i => i.complete && i.naturalHeight > 0)")
    heights = page.eval_on_selector_all("img", "els => els.map(i => i.naturalHeight)")
    assert heights == [150, 300]
    assert visit.failed == []


def test_browsable_api_log_out_signs_the_person_out(app: App, visit: Visit):
    page = visit.page
    page.goto(app.url + "/api-auth/login/?next=/api/user/images/")
    page.fill("#id_username", "bob")
    page.fill("#id_password", PASSWORD)
    page.click("[type=submit]")
    page.wait_for_url(app.url + "/api/user/images/")
    assert page.locator(".navbar .dropdown-toggle", has_text="bob").is_visible()

    page.click(".navbar .dropdown-toggle")
    page.get_by_text("Log out").click()
    page.wait_for_load_state()
    page.goto(app.url + "/api/user/images/")

    assert page.locator(".navbar a", has_text="Log in").is_visible()
    assert page.locator(".navbar .dropdown-toggle", has_text="bob").count() == 0
    assert page.locator(".response-info", has_text="401 Unauthorized").is_visible()
    assert not [e for e in visit.console_errors if "Content Security Policy" in e]
