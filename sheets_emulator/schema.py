"""A small checker for JSON against Google's discovery documents (known properties, types, enums).

The documents ship with google-api-python-client (the project's `test` extra), so this module
is only imported when an emulator is started with `validate_schema=True`, or by tests.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

_INT32 = (-(2**31), 2**31 - 1)


def discovery_path(name: str) -> Path:
    import googleapiclient

    return Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / name


@functools.lru_cache(maxsize=4)
def discovery(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(discovery_path(name).read_text(encoding="utf-8"))
    return document


class SchemaChecker:
    """Checks values against one discovery document's schemas and methods."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.doc = document
        self.methods = dict(_methods(document.get("resources", {})))

    def check(self, value: Any, schema: dict[str, Any] | str, path: str = "") -> list[str]:
        """Violations of `value` against a schema (or a schema name), as 'path: problem' strings."""
        if isinstance(schema, str):
            schema = {"$ref": schema}
        if value is None:
            return []  # proto3 JSON reads null as "not set"
        if "$ref" in schema:
            return self.check(value, self.doc["schemas"][schema["$ref"]], path)
        return _CHECKS.get(schema.get("type", "any"), _check_any)(self, value, schema, path)

    def check_query(self, method_id: str, query: dict[str, list[str]]) -> list[str]:
        method = self.methods[method_id]
        known = {**self.doc.get("parameters", {}), **method.get("parameters", {})}
        problems = []
        for name, values in query.items():
            spec = known.get(name)
            if spec is None:
                problems.append(f"query {name}: unknown parameter")
                continue
            problems += [f"query {name}: {v!r} not in enum" for v in values if "enum" in spec and v not in spec["enum"]]
        return problems

    def _object(self, value: Any, schema: dict[str, Any], path: str) -> list[str]:
        if not isinstance(value, dict):
            return [f"{path or '.'}: expected object, got {type(value).__name__}"]
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        problems: list[str] = []
        for key, item in value.items():
            sub = properties.get(key, extra)
            if sub is None:
                problems.append(f"{path}.{key}: unknown property")
            else:
                problems += self.check(item, sub, f"{path}.{key}")
        return problems

    def _array(self, value: Any, schema: dict[str, Any], path: str) -> list[str]:
        if not isinstance(value, list):
            return [f"{path or '.'}: expected array, got {type(value).__name__}"]
        problems: list[str] = []
        for index, item in enumerate(value):
            problems += self.check(item, schema.get("items", {}), f"{path}[{index}]")
        return problems


def _methods(resources: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for resource in resources.values():
        found += [(m["id"], m) for m in resource.get("methods", {}).values()]
        found += _methods(resource.get("resources", {}))
    return found


def _check_string(_: SchemaChecker, value: Any, schema: dict[str, Any], path: str) -> list[str]:
    if not isinstance(value, str):
        return [f"{path}: expected string, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{path}: {value!r} not in enum"]
    if schema.get("format") in ("int64", "uint64") and not value.lstrip("-").isdigit():
        return [f"{path}: {value!r} is not an {schema['format']} string"]
    return []


def _check_integer(_: SchemaChecker, value: Any, schema: dict[str, Any], path: str) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int):
        return [f"{path}: expected integer, got {type(value).__name__}"]
    if schema.get("format") == "int32" and not _INT32[0] <= value <= _INT32[1]:
        return [f"{path}: {value} out of int32 range"]
    return []


def _check_number(_: SchemaChecker, value: Any, schema: dict[str, Any], path: str) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return [f"{path}: expected number, got {type(value).__name__}"]
    return []


def _check_boolean(_: SchemaChecker, value: Any, schema: dict[str, Any], path: str) -> list[str]:
    return [] if isinstance(value, bool) else [f"{path}: expected boolean, got {type(value).__name__}"]


def _check_any(_: SchemaChecker, value: Any, schema: dict[str, Any], path: str) -> list[str]:
    return []


_CHECKS = {
    "object": SchemaChecker._object,
    "array": SchemaChecker._array,
    "string": _check_string,
    "integer": _check_integer,
    "number": _check_number,
    "boolean": _check_boolean,
    "any": _check_any,
}

_ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "integer"},
                "message": {"type": "string"},
                "status": {"type": "string"},
                "errors": {"type": "array", "items": {"type": "object", "additionalProperties": {"type": "string"}}},
                "details": {"type": "array", "items": {"type": "object", "additionalProperties": {"type": "any"}}},
            },
        }
    },
}


class ExchangeValidator:
    """Records, for each exchange, where the request or the answer strays from the discovery documents."""

    def __init__(self, violations: list[str]) -> None:
        self.violations = violations
        self.sheets = SchemaChecker(discovery("sheets.v4.json"))
        self.drive = SchemaChecker(discovery("drive.v3.json"))

    def __call__(self, route: Any, request: Any, response: Any) -> None:
        checker = self.drive if route.is_drive else self.sheets
        where = route.method_id if route.is_drive else f"sheets.{route.method_id}"
        method = checker.methods[where]
        problems = checker.check_query(where, parse_qs(request.query, keep_blank_values=True))
        body = self._request_json(route, request)
        if body is not None and "request" in method:
            problems += [f"request {p}" for p in checker.check(body, method["request"]["$ref"])]
        problems += [f"response {p}" for p in self._check_answer(checker, method, response)]
        self.violations.extend(f"{where}: {p}" for p in problems)

    def _request_json(self, route: Any, request: Any) -> Any:
        if not request.body:
            return None
        if request.path.startswith("/upload/") or route.method_id == "drive.files.update":
            from sheets_emulator.docs import metadata_json

            query = {k: v[0] for k, v in parse_qs(request.query).items()}
            return metadata_json(request.headers.get("content-type", "application/json"), request.body, query.get("uploadType"))
        return json.loads(request.body)

    def _check_answer(self, checker: SchemaChecker, method: dict[str, Any], response: Any) -> list[str]:
        if response.status >= 400:
            return checker.check(response.body, _ERROR_SCHEMA)
        if response.body is None or isinstance(response.body, str) or "response" not in method:
            return []
        return checker.check(response.body, method["response"]["$ref"])
