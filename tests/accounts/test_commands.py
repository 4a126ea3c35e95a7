"""Operator commands: first-boot bootstrap and scripted user provisioning."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Tier, User


def bootstrap() -> str:
    out = StringIO()
    call_command("bootstrap", stdout=out)
    return out.getvalue()


@pytest.fixture
def no_superuser_env(monkeypatch):
    for name in ("USERNAME", "PASSWORD", "EMAIL"):
        monkeypatch.delenv(f"DJANGO_SUPERUSER_{name}", raising=False)


def printed_password(output: str) -> str:
    match = re.search(r"password '([^']+)'", output)
    assert match, output
    return match.group(1)


def test_bootstrap_creates_admin_with_a_random_password_shown_once(db, no_superuser_env):
    first = bootstrap()
    password = printed_password(first)

    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password(password)
    assert len(password) >= 20
    second = bootstrap()
    assert "password" not in second.replace("Superuser", "")
    assert User.objects.filter(is_superuser=True).count() == 1
    assert User.objects.get(username="admin").check_password(password)


def test_bootstrap_never_uses_a_fixed_password(db, no_superuser_env):
    first = printed_password(bootstrap())
    User.objects.all().delete()
    second = printed_password(bootstrap())

    assert first != second


def test_bootstrap_takes_the_superuser_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "root")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "operator-chosen-pass")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "ops@example.com")

    output = bootstrap()

    root = User.objects.get(username="root")
    assert root.is_superuser and root.email == "ops@example.com"
    assert root.check_password("operator-chosen-pass")
    assert "operator-chosen-pass" not in output


def test_bootstrap_restores_a_missing_builtin_tier_and_keeps_edits(db, no_superuser_env):
    Tier.objects.filter(name="Enterprise").delete()
    Tier.objects.filter(name="Premium").update(thumbnail_heights=[200, 400, 800])

    bootstrap()

    assert Tier.objects.get(name="Enterprise").expiring_links
    assert Tier.objects.get(name="Premium").thumbnail_heights == [200, 400, 800]


def test_create_user_creates_and_updates(db):
    call_command(
        "create_user", "alice", "--password", "pw-alice-1", "--tier", "premium", stdout=StringIO()
    )
    alice = User.objects.get(username="alice")
    assert alice.tier.name == "Premium" and alice.check_password("pw-alice-1")

    call_command(
        "create_user",
        "alice",
        "--tier",
        "Enterprise",
        "--email",
        "a@example.com",
        stdout=StringIO(),
    )
    alice.refresh_from_db()
    assert alice.tier.name == "Enterprise"
    assert alice.email == "a@example.com"
    assert alice.check_password("pw-alice-1")


def test_create_user_defaults_to_basic(db):
    call_command("create_user", "bob", "--password", "pw-bob-1", stdout=StringIO())

    assert User.objects.get(username="bob").tier.name == "Basic"


def test_create_user_with_unknown_tier_names_the_tiers_that_exist(db):
    with pytest.raises(CommandError) as excinfo:
        call_command("create_user", "carol", "--password", "pw", "--tier", "Gold")

    message = str(excinfo.value)
    assert "Gold" in message
    assert "Basic" in message and "Premium" in message and "Enterprise" in message
    assert not User.objects.filter(username="carol").exists()


def test_create_user_needs_a_password_for_a_new_user(db):
    with pytest.raises(CommandError, match="password"):
        call_command("create_user", "dave")


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [
        ("erin", "short", "too short"),
        ("frank-the-operator", "frank-the-operator", "too similar to the username"),
        ("gina", "password123", "too common"),
        ("hal", "83920174650192", "entirely numeric"),
    ],
)
def test_create_user_refuses_passwords_the_validators_refuse(db, username, password, reason):
    with pytest.raises(CommandError, match=reason):
        call_command("create_user", username, "--password", password, stdout=StringIO())

    assert not User.objects.filter(username=username).exists()


def test_create_user_refuses_a_weak_new_password_for_an_existing_user(db):
    call_command("create_user", "ivy", "--password", "a-long-passphrase", stdout=StringIO())

    with pytest.raises(CommandError, match="too short"):
        call_command("create_user", "ivy", "--password", "short", stdout=StringIO())

    assert User.objects.get(username="ivy").check_password("a-long-passphrase")


def tier_command(*args: str) -> str:
    out = StringIO()
    call_command("tier", *args, stdout=out)
    return out.getvalue()


def test_tier_command_refuses_a_tier_without_heights_or_original(db):
    with pytest.raises(CommandError, match="at least one thumbnail height"):
        tier_command("Odd", "--heights", "")

    assert not Tier.objects.filter(name="Odd").exists()


def test_tier_command_takes_a_tier_with_only_the_original_link(db):
    output = tier_command("Originals", "--heights", "", "--original")

    assert "Created tier 'Originals': heights none; original link yes" in output


def test_tier_command_does_not_rewrite_a_tier_named_in_another_case(db):
    with pytest.raises(CommandError, match="There is already a tier named 'Basic'"):
        tier_command("basic", "--heights", "300")

    assert Tier.objects.get(name="Basic").thumbnail_heights == [200]
    assert not Tier.objects.filter(name="basic").exists()


def test_tier_command_says_what_it_changed(db):
    output = tier_command("Basic", "--heights", "300", "--uploads-per-hour", "none")

    assert output.splitlines()[0] == (
        "Updated tier 'Basic': thumbnail heights 200 -> 300; uploads per hour 100 -> unlimited."
    )
    assert "get the new 300 px thumbnails" in output


def test_tier_command_says_when_nothing_changed(db):
    output = tier_command("Premium", "--heights", "400,200")

    assert output.startswith("Nothing changed: tier 'Premium': heights 200, 400;")
