"""Account operations shared by the HTTP layer, management commands and migrations."""

import contextlib
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions as drf_exceptions
from rest_framework.authtoken.models import Token
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.tokens import Token as JWTToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.models import ActiveLogin, User
from accounts.tiers.services import announce_tier_assigned, tier_named
from imageapi.errors import NotSignedIn


@transaction.atomic
def create_or_update_user(
    username: str,
    *,
    password: str | None = None,
    tier: str | None = None,
    email: str | None = None,
) -> tuple[User, bool]:
    """Create the user, or update the given fields of an existing one.

    A new password must pass ``AUTH_PASSWORD_VALIDATORS``, as in the admin and
    ``changepassword``: a command is no back door for weak passwords. A user moved to
    another tier is announced (their images get its thumbnails).
    """
    tier_obj = tier_named(tier) if tier else None
    user = get_user_model().objects.filter(username=username).first()
    created = user is None
    tier_before = None if created else user.tier_id
    if created:
        if not password:
            raise ValidationError("A new user needs a password.")
        user = get_user_model()(username=username)
    if email is not None:
        user.email = email
    if password:
        # Judged against the user as they will be (username, email), before saving.
        password_validation.validate_password(password, user)
        user.set_password(password)
    if tier_obj is not None:
        user.tier = tier_obj
    user.full_clean(exclude=["password"])
    user.save()
    if not created and user.tier_id != tier_before:
        announce_tier_assigned([user.pk])
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


def refresh_login(raw_refresh: str) -> tuple[str, str | None]:
    """A new access token (and, with rotation, a new refresh token) for a sign-in.

    :class:`NotSignedIn` when the refresh token is invalid, expired or signed out.
    """
    serializer = TokenRefreshSerializer(data={"refresh": raw_refresh})
    try:
        if not is_login_active(RefreshToken(raw_refresh)):  # type: ignore[arg-type]
            raise TokenError("signed out")
        serializer.is_valid(raise_exception=True)
    except (TokenError, drf_exceptions.ValidationError, drf_exceptions.AuthenticationFailed):
        raise NotSignedIn(
            "The refresh token is invalid or expired; sign in again.", code="token_not_valid"
        ) from None
    rotated = serializer.validated_data.get("refresh")
    if rotated is not None:
        extend_login(RefreshToken(rotated, verify=False))
    return serializer.validated_data["access"], rotated


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
