"""Account operations shared by the HTTP layer, management commands and migrations."""

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import RevokedAccessToken, Tier, User
from accounts.tiers import BUILTIN_TIERS


class UnknownTier(ValueError):
    pass


def ensure_builtin_tiers() -> list[Tier]:
    """Create any missing built-in tier; tiers an admin edited are left as they are."""
    tiers = []
    for spec in BUILTIN_TIERS:
        tier, _ = Tier.objects.get_or_create(
            name=spec["name"], defaults={k: v for k, v in spec.items() if k != "name"}
        )
        tiers.append(tier)
    return tiers


def tier_named(name: str) -> Tier:
    try:
        return Tier.objects.get(name__iexact=name)
    except Tier.DoesNotExist:
        existing = ", ".join(Tier.objects.values_list("name", flat=True)) or "none"
        raise UnknownTier(f"There is no tier named {name!r}. Tiers: {existing}.") from None


@transaction.atomic
def create_or_update_user(
    username: str,
    *,
    password: str | None = None,
    tier: str | None = None,
    email: str | None = None,
) -> tuple[User, bool]:
    """Create the user, or update the given fields of an existing one."""
    tier_obj = tier_named(tier) if tier else None
    user = get_user_model().objects.filter(username=username).first()
    created = user is None
    if created:
        if not password:
            raise ValidationError("A new user needs a password.")
        user = get_user_model()(username=username)
    if password:
        user.set_password(password)
    if tier_obj is not None:
        user.tier = tier_obj
    if email is not None:
        user.email = email
    user.full_clean(exclude=["password"])
    user.save()
    return user, created


def revoke_access_token(jti: str, expires_at: datetime) -> None:
    """Refuse this access token from now on; forget tokens that expired anyway."""
    RevokedAccessToken.objects.filter(expires_at__lt=timezone.now()).delete()
    RevokedAccessToken.objects.get_or_create(jti=jti, defaults={"expires_at": expires_at})


def is_access_token_revoked(jti: str) -> bool:
    return RevokedAccessToken.objects.filter(jti=jti).exists()


@dataclass(frozen=True)
class SuperuserResult:
    username: str
    created: bool
    generated_password: str | None


def ensure_superuser(
    username: str | None, password: str | None, email: str | None
) -> SuperuserResult:
    """Create the operator's superuser once; never reset an existing one's password.

    With no username given, an ``admin`` is created only when no superuser exists, with a
    random password the caller shows once.
    """
    users = get_user_model().objects
    if not username:
        existing = users.filter(is_superuser=True).order_by("pk").first()
        if existing is not None:
            return SuperuserResult(existing.username, created=False, generated_password=None)
        username = "admin"
    if users.filter(username=username).exists():
        return SuperuserResult(username, created=False, generated_password=None)
    generated = None if password else secrets.token_urlsafe(18)
    users.create_superuser(username=username, email=email or "", password=password or generated)
    return SuperuserResult(username, created=True, generated_password=generated)


@transaction.atomic
def create_or_update_tier(name: str, **fields: object) -> tuple[Tier, bool, set[int]]:
    """Create the tier, or change the given fields of the one so named (any case).

    ``fields`` are Tier fields; a limit given as ``None`` becomes unlimited. Returns the
    tier, whether it was created, and the thumbnail heights it gained.
    """
    tier = Tier.objects.select_for_update().filter(name__iexact=name).first()
    created = tier is None
    if created:
        tier = Tier(name=name)
    before = set() if created else set(tier.thumbnail_heights)
    for field, value in fields.items():
        setattr(tier, field, value)
    tier.full_clean()
    tier.save()
    return tier, created, set(tier.thumbnail_heights) - before
