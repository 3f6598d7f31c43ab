"""The OpenAPI document, with the statuses that app-wide layers add to every operation.

Routes declare their own statuses with ``error_responses(...)``; what the body cap
(413), request validation (422) and overload (503 with ``Retry-After``, on every
operation that needs the database) answer is declared here, once, for every operation
they can reach, so the schema lists every status a client can see.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import fastapi.routing
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

_ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
_DEFAULT_VALIDATION = ("HTTPValidationError", "ValidationError")


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


#: the overload answer of every operation that needs the database (api.db)
OVERLOADED = {
    **_error(
        "overloaded (`overloaded`): no database connection came free within "
        "`FORMA_DB_POOL_TIMEOUT_S`, the database took longer than "
        "`FORMA_DB_STATEMENT_TIMEOUT_S` or cannot be reached, or the write collided with "
        "another (`details.reason`); nothing of the request was stored"
    ),
    "headers": {
        "Retry-After": {
            "description": "seconds to wait before sending the request again",
            "required": True,
            "schema": {"type": "integer"},
        }
    },
}


def _uses_database(dependant: Dependant) -> bool:
    from api.db import get_session

    return dependant.call is get_session or any(
        _uses_database(sub) for sub in dependant.dependencies
    )


def _routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """(full path, route) of every API route, included routers' too."""
    iter_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if iter_contexts is None:  # FastAPI before included routers kept their own routes
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield route.path_format, route
        return
    for context in iter_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.path_format:
            yield context.path_format, context.original_route


def _database_operations(app: FastAPI) -> set[tuple[str, str]]:
    """(path, method) of every operation whose dependencies open a database session."""
    return {
        (path, method.lower())
        for path, route in _routes(app)
        if _uses_database(route.dependant)
        for method in route.methods or ()
    }


def _declare_overload(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation["responses"]
    declared = responses.get("503")
    schema = (declared or {}).get("content", {}).get("application/json", {}).get("schema")
    if declared is None or schema == _ERROR_REF:  # /readyz has its own 503 body
        responses["503"] = copy.deepcopy(OVERLOADED)


def _complete(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation["responses"]
    if "requestBody" in operation:
        responses.setdefault("413", _error("the request body is over the size cap"))
    if "requestBody" in operation or operation.get("parameters"):
        # FastAPI's own 422 schema is `{"detail": [...]}`; Forma answers the one error shape.
        responses["422"] = _error(
            "the request is not valid: `details` lists `{loc, msg, type}` per problem"
        )


# A created resource's `id` leads to the operations on it (OpenAPI links: for clients,
# and for stateful fuzzing, which follows them).
_LINKS: dict[tuple[str, str], tuple[str, str]] = {
    ("/v1/workouts", "post"): ("/v1/workouts/{workout_id}", "workout_id"),
    ("/v1/workouts/{workout_id}", "put"): ("/v1/workouts/{workout_id}", "workout_id"),
    ("/v1/body-metrics", "post"): ("/v1/body-metrics/{metric_id}", "metric_id"),
    ("/v1/exercises", "post"): ("/v1/exercises/{exercise_id}", "exercise_id"),
    ("/v1/imports", "post"): ("/v1/imports/{import_id}", "import_id"),
}


def _link(schema: dict[str, Any]) -> None:
    paths = schema.get("paths", {})
    for (source, method), (target, parameter) in _LINKS.items():
        if method not in paths.get(source, {}) or target not in paths:
            continue
        links = {
            f"{verb}_{parameter.removesuffix('_id')}": {
                "operationId": operation["operationId"],
                "parameters": {parameter: "$response.body#/id"},
            }
            for verb, operation in paths[target].items()
        }
        for status, response in paths[source][method]["responses"].items():
            if status.startswith("2"):
                response["links"] = links


# Forma refuses NUL, the other C0 controls but tab, line feed and carriage return, DEL and
# lone surrogates in every text field (422, api.schemas.check_text); the schema says so on
# every free-text string, and that a required one is more than whitespace.
_BAD = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
NO_NUL = rf"^[^{_BAD}]*$"


def _not_blank(length: int) -> str:
    # Request bodies are stripped of surrounding whitespace before their lengths are checked.
    if length == 1:
        return rf"^[^{_BAD}]*[^\s{_BAD}][^{_BAD}]*$"
    # surrounding blanks spelled out: VT and FF are whitespace to Python, refused by Forma
    return rf"^[ \t\n\r]*[^\s{_BAD}][^{_BAD}]{{{length - 2},}}[^\s{_BAD}][ \t\n\r]*$"


def _no_nul(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _no_nul(item)
        return
    if not isinstance(node, dict):
        return
    free_text = node.get("type") == "string" and not {"format", "enum", "const", "pattern"} & set(
        node
    )
    if free_text:
        node["pattern"] = _not_blank(node["minLength"]) if node.get("minLength") else NO_NUL
    for value in node.values():
        _no_nul(value)


def build_schema(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI schema with the app-wide statuses declared on every operation."""
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        routes=app.routes,
    )
    database = _database_operations(app)
    for path, path_item in schema.get("paths", {}).items():
        for method, operation in path_item.items():
            _complete(operation)
            if (path, method) in database:
                _declare_overload(operation)
    _link(schema)
    _no_nul(schema.get("paths", {}))
    _no_nul(schema.get("components", {}).get("schemas", {}))
    # Every route declares ErrorResponse (401 at least), so it is always among the components.
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in _DEFAULT_VALIDATION:
        components.pop(name, None)
    return schema


def install_openapi(app: FastAPI) -> None:
    """Serve :func:`build_schema` at ``/openapi.json`` (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_schema(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
