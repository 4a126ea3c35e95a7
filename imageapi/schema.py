"""OpenAPI post-processing: what every operation shares, said once.

drf-spectacular describes each view from its own annotations; these hooks add what
holds across views: the errors any protected operation can answer, one type for every
numeric id in a path, and examples for lists (ReDoc and Swagger UI otherwise show an
empty ``[ ]`` for the array-or-page ``oneOf``).
"""

import copy
from typing import Any

DETAIL = {"$ref": "#/components/schemas/Detail"}
RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."},
}
RATE_FIELDS = {
    "RateLimit-Limit": {"schema": {"type": "integer"}, "description": "Uploads per window."},
    "RateLimit-Remaining": {"schema": {"type": "integer"}, "description": "Uploads left."},
    "RateLimit-Reset": {"schema": {"type": "integer"}, "description": "Seconds until one frees."},
    "RateLimit-Policy": {"schema": {"type": "string"}, "description": "`<limit>;w=3600`."},
}
PROTECTED_ERRORS = {
    "401": "Not signed in: no valid token, JWT cookie or session.",
    "403": (
        "Not allowed: a feature your tier does not include, a limit of your tier reached, "
        "or a cookie-authenticated POST or DELETE without the `X-CSRFToken` header."
    ),
    "404": "No such object of yours (other users' objects are not found either).",
    "413": (
        "The request body is over the size limit (`MAX_UPLOAD_BYTES` plus 64 KiB of form "
        "for uploads); refused from its Content-Length, before it is read."
    ),
    "429": "Too many requests; retry after `Retry-After` seconds.",
}
SAMPLE_TEXT = {
    "uri": "https://images.example.com/media/P1Ny6ulHkq8i0Mbf5dJtQgAAAADIx9w2…",
    "date-time": "2026-11-27T10:00:00Z",
}


def document_protected_errors(result: dict, generator, request, public: bool) -> dict:
    """Every operation that needs a signed-in user documents 401, 403 and 429; those that
    name an object (``{id}``) 404; those that take a body 413. A list is never "not
    found", and a GET sends no body to be too large."""
    for path, method, operation in _operations(result):
        security = operation.get("security") or [{}]
        if {} in security:
            continue  # open to anyone
        responses = operation.setdefault("responses", {})
        for status, description in PROTECTED_ERRORS.items():
            if status == "404" and "{" not in path:
                continue
            if status == "413" and "requestBody" not in operation:
                continue
            if status not in responses:
                responses[status] = {
                    "description": description,
                    "content": {"application/json": {"schema": DETAIL}},
                }
        headers = responses["429"].setdefault("headers", {})
        headers.update(RETRY_AFTER)
        if method == "post" and path.endswith("/images/"):
            responses["429"]["description"] = (
                "Over your tier's uploads per hour; retry after `Retry-After` seconds."
            )
            headers.update(RATE_FIELDS)
            # An accepted upload carries them too, when the tier limits the rate.
            responses["201"].setdefault("headers", {}).update(RATE_FIELDS)
    return result


def integer_path_ids(result: dict, generator, request, public: bool) -> dict:
    """Numeric path parameters are integers everywhere (routers describe some as digit
    strings, path converters as integers)."""
    for _path, _method, operation in _operations(result):
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema", {})
            if parameter.get("in") == "path" and schema.get("pattern") == "^[0-9]+$":
                parameter["schema"] = {"type": "integer", "minimum": 1}
            elif parameter.get("in") == "path" and schema.get("type") == "integer":
                schema.setdefault("minimum", 1)
    return result


def list_examples(result: dict, generator, request, public: bool) -> dict:
    """Give array-or-page list answers an example of each shape, from the item's own
    example where an operation has one, else sampled from its schema."""
    schemas = result.get("components", {}).get("schemas", {})
    item_examples = _examples_by_component(result)
    for _path, _method, operation in _operations(result):
        content = operation.get("responses", {}).get("200", {}).get("content", {})
        media = content.get("application/json")
        if not media or "examples" in media:
            continue
        ref = media.get("schema", {}).get("$ref", "")
        shapes = schemas.get(ref.rsplit("/", 1)[-1], {}).get("oneOf")
        if not shapes or shapes[0].get("type") != "array":
            continue
        item_ref = shapes[0]["items"].get("$ref", "")
        item = item_examples.get(item_ref) or _sample({"$ref": item_ref}, schemas)
        media["examples"] = {
            "List": {"summary": "Without limit: every item", "value": [item]},
            "Page": {
                "summary": "With limit=1",
                "value": {
                    "count": 2,
                    "next": "https://images.example.com/api/user/…?limit=1&offset=1",
                    "previous": None,
                    "results": [item],
                },
            },
        }
    return result


def _operations(result: dict):
    for path, methods in result.get("paths", {}).items():
        for method, operation in methods.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield path, method, operation


def _examples_by_component(result: dict) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for _path, _method, operation in _operations(result):
        for status in ("200", "201"):
            media = (
                operation["responses"].get(status, {}).get("content", {}).get("application/json")
            )
            if not media or "$ref" not in media.get("schema", {}):
                continue
            for example in media.get("examples", {}).values():
                if "value" in example:
                    found.setdefault(media["schema"]["$ref"], copy.deepcopy(example["value"]))
                    break
    return found


# Values for leaf types, by schema type.
SCALAR_SAMPLES: dict[str, Any] = {"number": 1.0, "boolean": True}


def _sample(schema: dict, schemas: dict, depth: int = 0) -> Any:
    """A plausible value for a schema: its example, or one made from its type."""
    if depth > 8:
        return None
    if "$ref" in schema:
        return _sample(schemas.get(schema["$ref"].rsplit("/", 1)[-1], {}), schemas, depth + 1)
    if "example" in schema:
        return schema["example"]
    choice = _first_choice(schema)
    if choice is not None:
        return _sample(choice, schemas, depth + 1)
    if "enum" in schema:
        return schema["enum"][0]
    return _sample_of_type(schema, schemas, depth)


def _sample_of_type(schema: dict, schemas: dict, depth: int) -> Any:
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: _sample(prop, schemas, depth + 1)
            for name, prop in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [_sample(schema.get("items", {}), schemas, depth + 1)]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "string":
        return SAMPLE_TEXT.get(schema.get("format", ""), "string")
    return SCALAR_SAMPLES.get(kind or "")


def _first_choice(schema: dict) -> dict | None:
    """The first schema of an ``allOf``/``oneOf``/``anyOf``, if the schema is one."""
    for combinator in ("allOf", "oneOf", "anyOf"):
        if schema.get(combinator):
            return schema[combinator][0]
    return None
