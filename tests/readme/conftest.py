"""The README's examples run against a live server: marked ``readme`` (make test-readme)."""

from pathlib import Path

import pytest


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by marker
def pytest_collection_modifyitems(config, items) -> None:
    live = Path(__file__).parent / "test_readme.py"
    for item in items:
        if Path(item.fspath) == live:
            item.add_marker(pytest.mark.readme)
