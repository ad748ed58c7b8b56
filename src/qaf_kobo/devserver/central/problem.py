"""Central's error answers ("Problems"): an HTTP status with a decimal code and a message, as JSON
``{"message", "code", "details"}`` — the codes and texts of central-backend's ``lib/util/problem.js``."""

from __future__ import annotations

import json
import math
from typing import Any

from werkzeug.wrappers import Response


class Problem(Exception):
    """An error answer: ``code`` such as 404.1 (the HTTP status is its integer part)."""

    def __init__(self, code: float, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details

    @property
    def status(self) -> int:
        """The HTTP status."""
        return math.floor(self.code)

    def response(self) -> Response:
        """The JSON answer."""
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.details is not None:
            body["details"] = self.details
        return Response(json.dumps(body), self.status, content_type="application/json; charset=utf-8")


def not_found() -> Problem:
    return Problem(404.1, "Could not find the resource you were looking for.")


def authentication_failed() -> Problem:
    return Problem(401.2, "Could not authenticate with the provided credentials.")


def https_only() -> Problem:
    return Problem(401.3, "This authentication method is only available over HTTPS")


def insufficient_rights() -> Problem:
    return Problem(403.1, "The authentication you provided does not have rights to perform that action.")


def unparseable(fmt: str, length: int) -> Problem:
    return Problem(400.1, f"Could not parse the given data ({length} chars) as {fmt}.", {"format": fmt, "rawLength": length})


def missing_parameter(field: str) -> Problem:
    return Problem(400.2, f"Required parameter {field} missing.", {"field": field})


def unexpected_value(field: str, value: str, reason: str) -> Problem:
    return Problem(400.8, f"Unexpected {field} value {value}; {reason}", {"field": field, "value": value, "reason": reason})


def not_implemented(feature: str) -> Problem:
    return Problem(501.1, f"The requested feature {feature} is not supported by this server.", {"feature": feature})


def unsupported_field(text: str, at: int) -> Problem:
    return Problem(501.5, f"The given OData filter expression references fields not supported by this server: {text} at {at}",
                   {"at": at, "text": text})


def unparseable_filter(reason: str) -> Problem:
    return Problem(400.18, f"The OData filter expression you provided could not be parsed: {reason}", {"reason": reason})


def property_not_found(name: str) -> Problem:
    return Problem(400.23, f"Could not find a property named '{name}'", {"property": name})


def uniqueness(fields: str, values: str) -> Problem:
    return Problem(409.3, f"A resource already exists with {fields} value(s) of {values}.", {"fields": fields, "values": values})


def version_conflict(form_id: str, version: str) -> Problem:
    return Problem(409.6, f"You tried to publish the form '{form_id}' with version '{version}', but a published form has "
                          "already existed in this project with those identifiers. Please choose a new name and try "
                          "again. You can re-request with ?version=xyz to have the version changed in-place for you.",
                   {"xmlFormId": form_id, "version": version})
