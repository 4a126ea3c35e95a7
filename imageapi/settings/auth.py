"""Signing in: passwords, cookies, JWT lifetimes, and the API's authentication classes."""

from datetime import timedelta

from imageapi.settings.core import DEBUG
from imageapi.settings.environment import env

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Cookies are sent over HTTPS only. Browsers also accept them from http://localhost;
# to serve plain HTTP to other hosts (a LAN, no TLS), set SECURE_COOKIES=0.
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}
JWT_COOKIES = {
    "ACCESS": "access_token",
    "REFRESH": "refresh_token",
    "SECURE": SECURE_COOKIES,
    "SAMESITE": "Lax",
    "REFRESH_PATH": "/api/user/",
}

# One brute-force policy for every form that checks a password (API token, jwt-login,
# admin, browsable-API login): django-axes with accounts.lockout's handler. Failures count
# per (username, client address) and per client address; either reaching its limit locks
# that pair (or address) out for LOGIN_LOCKOUT_MINUTES with a JSON 429 and Retry-After.
# A user is never locked out from addresses that did not fail. The client address
# follows NUM_PROXIES (see core.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=50)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "imageapi.client_address.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["password", "password1", "password2", "new_password1"]
# Successful sign-ins are not logged in a table of their own (the access log has them).
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False  # no banner on every start

# Refreshes per client address (each writes a blacklist row).
JWT_REFRESH_THROTTLE_RATE = env.str("JWT_REFRESH_THROTTLE_RATE", default="30/min")
