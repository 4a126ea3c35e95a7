"""Account operations shared by the HTTP layer, management commands and migrations."""

import contextlib
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.tokens import Token as JWTToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.models import ActiveLogin, Tier, User
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


# The claim that ties every token of one JWT sign-in to its ActiveLogin row.
LOGIN_CLAIM = "login"


def start_login(user: User) -> RefreshToken:
    """A refresh token (and, from it, access tokens) for a new sign-in of ``user``."""
    refresh = RefreshToken.for_user(user)
    login = ActiveLogin.objects.create(user=user, expires_at=datetime_from_epoch(refresh["exp"]))
    refresh[LOGIN_CLAIM] = str(login.pk)
    return refresh


def login_id(token: JWTToken) -> str | None:
    value = token.get(LOGIN_CLAIM)
    return value if isinstance(value, str) else None


def is_login_active(token: JWTToken) -> bool:
    """Whether the sign-in this token belongs to is still on (one primary-key lookup)."""
    sid = login_id(token)
    if sid is None:
        return False
    try:
        return ActiveLogin.objects.filter(
            pk=sid, user_id=token.get(jwt_settings.USER_ID_CLAIM)
        ).exists()
    except ValidationError:  # not a UUID: a token from elsewhere
        return False


def extend_login(refresh: JWTToken) -> None:
    """A rotated refresh token lives longer: so does its sign-in's row."""
    sid = login_id(refresh)
    if sid is not None:
        ActiveLogin.objects.filter(pk=sid).update(expires_at=datetime_from_epoch(refresh["exp"]))


def end_login(token: JWTToken) -> None:
    """Sign out this token's sign-in: every access and refresh token it issued."""
    sid = login_id(token)
    if sid is not None:
        with contextlib.suppress(ValidationError):
            ActiveLogin.objects.filter(pk=sid).delete()


def end_all_logins(user: User) -> None:
    """Every credential of the user stops working: JWT sign-ins, refresh tokens, DRF token.

    Django sessions need nothing here: they carry a hash of the password and are refused
    once it changes or the user is deactivated.
    """
    ActiveLogin.objects.filter(user=user).delete()
    Token.objects.filter(user=user).delete()
    live = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in live], ignore_conflicts=True
    )


def flush_expired_logins() -> int:
    """Forget sign-ins, outstanding and blacklisted refresh tokens that expired anyway."""
    now = timezone.now()
    deleted, _ = ActiveLogin.objects.filter(expires_at__lt=now).delete()
    # Blacklist rows go with their outstanding token (cascade).
    _, per_model = OutstandingToken.objects.filter(expires_at__lt=now).delete()
    return deleted + per_model.get(OutstandingToken._meta.label, 0)


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
