"""The layering the code promises, checked on its syntax trees so that it stays true.

* accounts never imports images or uploads: tiers announce changes, images listens (and
  neither imports webhooks, which listens to images);
* no private attribute of Django, DRF, django-storages, boto3 or Pillow is touched;
* each setting is read by one module (outside the settings package);
* every format list comes from the one format table.
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_PACKAGES = ("accounts", "images", "imageapi", "webhooks", "uploads")
# Read by models and migrations by Django's own convention.
SHARED_SETTINGS = {"AUTH_USER_MODEL"}


def sources(*packages: str, skip: tuple[str, ...] = ()) -> dict[Path, ast.Module]:
    trees = {}
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if not any(part in relative for part in skip):
                trees[path] = ast.parse(path.read_text(), filename=str(path))
    return trees


def imported_modules(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


# Underscored yet documented and public: Django's model ``_meta``, ``os._exit``.
PUBLIC = {("os", "_exit")}


def _is_private(name: object) -> bool:
    return isinstance(name, str) and name.startswith("_") and not name.startswith("__")


def private_accesses(tree: ast.Module) -> list[str]:
    """``thing._name`` (not on self/cls, not a dunder, not Django's public ``_meta``) and
    ``getattr(thing, "_name")``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            if owner in {"self", "cls"}:
                continue
            if _is_private(node.attr) and (owner, node.attr) not in PUBLIC and node.attr != "_meta":
                found.append(f"line {node.lineno}: .{node.attr}")
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) in {"getattr", "hasattr", "setattr"}
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and _is_private(node.args[1].value)
        ):
            found.append(f"line {node.lineno}: getattr {node.args[1].value!r}")
    return found


def settings_read(tree: ast.Module) -> set[str]:
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "settings"
        and node.attr.isupper()
    }


def test_no_module_of_accounts_imports_images_or_uploads():
    apps = ("images", "uploads")
    offenders = {
        path.relative_to(ROOT).as_posix(): sorted(
            m
            for m in imported_modules(tree)
            if m in apps or m.startswith(tuple(f"{a}." for a in apps))
        )
        for path, tree in sources("accounts").items()
    }
    assert {path: mods for path, mods in offenders.items() if mods} == {}


def test_no_private_attribute_of_a_library_is_used():
    offenders = {
        path.relative_to(ROOT).as_posix(): found
        for path, tree in sources(*APP_PACKAGES, "deploy").items()
        if (found := private_accesses(tree))
    }
    assert offenders == {}


def test_images_never_imports_webhooks():
    """Webhooks follows images' signals; images does not know it is followed."""
    offenders = {
        path.relative_to(ROOT).as_posix(): sorted(
            m for m in imported_modules(tree) if m == "webhooks" or m.startswith("webhooks.")
        )
        for path, tree in sources("images", "accounts").items()
    }
    assert {path: mods for path, mods in offenders.items() if mods} == {}


def test_the_private_attribute_check_catches_what_it_looks_for():
    tree = ast.parse(
        "request._request\nstorage._normalize_name(x)\ngetattr(user, '_password', None)\n"
        "self._own\nmodel._meta\nx.__dict__"
    )
    assert sorted(f.split(": ")[1] for f in private_accesses(tree)) == [
        "._normalize_name",
        "._request",
        "getattr '_password'",
    ]


def test_each_setting_is_read_in_one_module():
    readers: dict[str, set[str]] = defaultdict(set)
    for path, tree in sources(*APP_PACKAGES, skip=("/settings/", "/migrations/")).items():
        for name in settings_read(tree):
            readers[name].add(path.relative_to(ROOT).as_posix())
    shared = {
        name: sorted(paths)
        for name, paths in readers.items()
        if len(paths) > 1 and name not in SHARED_SETTINGS
    }
    assert shared == {}
    assert "MAX_UPLOAD_BYTES" in readers and "MAX_IMAGE_PIXELS" in readers  # the scan sees


@pytest.mark.parametrize(
    "literal",
    ['"image/webp"', '"image/avif"', '"image/jpeg"', '"image/png"', '["JPEG", "PNG"]'],
)
def test_format_names_and_types_are_written_only_in_the_format_table(literal):
    table = ROOT / "images" / "processing" / "formats.py"
    writers = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "images").rglob("*.py"))
        if path != table and "/migrations/" not in path.as_posix() and literal in path.read_text()
    ]
    assert writers == []
