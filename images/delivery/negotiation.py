"""Choosing a thumbnail format from the client's Accept header."""

from images.processing import FORMATS


def _accept_q(accept: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if not media:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        weights[media.lower()] = max(q, weights.get(media.lower(), 0.0))
    return weights


def preferred_format(accept: str | None, source_mime: str, allowed: list[str]) -> str | None:
    """The format of ``allowed`` (e.g. ``"WEBP"``) the client prefers, or None for the source's.

    A modern format is chosen only when the client names it explicitly (wildcards do not
    count) with a weight at least that of the source format; ties go to ``allowed``'s order.
    """
    if not accept:
        return None
    weights = _accept_q(accept[:2048])
    source_q = weights.get(source_mime, weights.get("image/*", weights.get("*/*", 0.0)))
    best, best_q = None, 0.0
    for name in allowed:
        known = FORMATS.get(name.upper())
        q = weights.get(known.mime_type, 0.0) if known else 0.0
        if q > best_q and q >= source_q:
            best, best_q = name.upper(), q
    return best
