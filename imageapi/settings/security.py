"""HTTPS and browser protections: HSTS, the proxy's scheme header, the CSP."""

from csp import constants as csp

from imageapi.settings.auth import SECURE_COOKIES
from imageapi.settings.core import NUM_PROXIES
from imageapi.settings.environment import env

# HSTS: browsers that reached the site over HTTPS refuse plain HTTP to it afterwards.
# On by default wherever cookies are HTTPS-only (SECURE_COOKIES, i.e. DEBUG off), since
# such a deployment already needs HTTPS; browsers ignore the header on plain HTTP.
SECURE_HSTS_SECONDS = env.int(
    "SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if SECURE_COOKIES else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Covering every subdomain, or asking browsers to preload the rule, commits the whole
# domain to HTTPS for a year: an operator's decision (the two variables above), so
# `check --deploy` does not warn that they are off.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
# Redirect plain HTTP to HTTPS in the app. Off by default: TLS usually ends at a proxy in
# front, which redirects itself; probes (healthz, readyz, metrics) are never redirected.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# Trust the proxy's X-Forwarded-Proto to tell HTTPS requests (secure cookies, CSRF
# origin checks, redirects). Only behind a proxy that always sets it (NUM_PROXIES > 0).
if env.bool("TRUST_X_FORWARDED_PROTO", default=NUM_PROXIES > 0):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts only from this site, none inline, which
# Swagger UI (its split view), ReDoc, the browsable API and the admin all satisfy.
# ReDoc runs a web worker from a blob: URL and styles inline; Swagger UI draws data: icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF, "'unsafe-inline'"],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF, "data:"],
        "worker-src": [csp.SELF, "blob:"],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}
