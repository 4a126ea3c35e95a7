"""Container healthcheck: GET a URL of the app as its clients do; exit 0 on a 2xx.

Usage: python deploy/healthcheck.py http://127.0.0.1:8000/readyz

Django refuses a Host that is not in ALLOWED_HOSTS (400), and a real deployment lists
only its public names there, so the request carries the first of them as its Host
(a leading "." or a "*" stands for any name) and says it came through the TLS proxy,
so that an https-only setup does not answer with a redirect. Standard library only.
"""

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 5


def host_header(allowed_hosts: str) -> str:
    """A Host that ALLOWED_HOSTS accepts: its first entry, made concrete."""
    first = next((h.strip() for h in allowed_hosts.split(",") if h.strip()), "localhost")
    if first == "*":
        return "localhost"
    return first.lstrip(".")


def check(url: str, allowed_hosts: str) -> tuple[bool, str]:
    request = urllib.request.Request(  # noqa: S310 - the URL is the healthcheck's own
        url,
        headers={"Host": host_header(allowed_hosts), "X-Forwarded-Proto": "https"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return 200 <= response.status < 300, f"{response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"{exc.code}: {exc.read(300)!r}"
    except OSError as exc:
        return False, str(exc)


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    ok, outcome = check(sys.argv[1], os.environ.get("ALLOWED_HOSTS", "localhost"))
    print(f"{sys.argv[1]}: {outcome}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
