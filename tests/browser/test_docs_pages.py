"""ReDoc and Swagger UI in a real browser: complete, and nothing fetched from elsewhere."""

from tests.browser.conftest import App, Visit


def off_server(visit: Visit, app: App) -> list[str]:
    local = (app.url + "/", f"blob:{app.url}/", "data:")
    return [url for url in visit.requests if not url.startswith(local)]


def test_redoc_renders_every_operation_without_leaving_the_server(app, visit):
    schema = visit.context.request.get(app.url + "/api/schema/?format=json").json()
    operations = {
        operation["operationId"]
        for methods in schema["paths"].values()
        for operation in methods.values()
    }

    visit.page.goto(app.url + "/api/redoc/")
    visit.page.wait_for_selector("[data-section-id^='operation/']")
    visit.page.wait_for_load_state("networkidle")

    rendered = visit.page.eval_on_selector_all(
        "[data-section-id^='operation/']",
        "els => els.map(e => e.getAttribute('data-section-id').split('/').pop())",
    )
    assert set(rendered) == operations
    assert off_server(visit, app) == []
    assert visit.console_errors == [] and visit.failed == []
