"""The OpenRosa ``/submission`` endpoint: a submission's XML checked, turned into KPI's ``/data/`` JSON, stored.

The XML is parsed with defusedxml (no DTD, no entities) and at most ``MAX_DEPTH`` elements deep; the body limit
it advertises (``MAX_BODY_BYTES``) is enforced by the loopback layer before the body is read. Fields the server
owns (every key starting with ``_``, which includes ``__version__``, and ``meta/rootUuid``) are set by the
server, never taken from the XML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from werkzeug.wrappers import Response

from qaf_kobo.devserver.kobo.context import Call, InvalidToken

MAX_BODY_BYTES = 10_000_000
MAX_DEPTH = 100
HEADERS = {"X-OpenRosa-Version": "1.0", "X-OpenRosa-Accept-Content-Length": str(MAX_BODY_BYTES)}

SUBMIT_OK = ('<OpenRosaResponse xmlns="http://openrosa.org/http/response">'
             '<message nature="submit_success">Successful submission.</message></OpenRosaResponse>')
DUPLICATE = ('<OpenRosaResponse xmlns="http://openrosa.org/http/response">'
             '<message nature="submit_success">Duplicate submission</message></OpenRosaResponse>')


def openrosa_error(text: str) -> str:
    """An OpenRosa error response body."""
    return f'<OpenRosaResponse xmlns="http://openrosa.org/http/response"><message>{escape(text)}</message></OpenRosaResponse>'


class Refused(Exception):
    """A submission the server does not accept: the HTTP status and the message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class _DepthLimitedBuilder(ET.TreeBuilder):
    """A tree builder that refuses elements nested more than ``MAX_DEPTH`` deep, while parsing."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Refused(400, f"The submission nests elements more than {MAX_DEPTH} levels deep.")
        return super().start(tag, attrs)

    def end(self, tag: str) -> ET.Element:
        self.depth -= 1
        return super().end(tag)


def parse_submission(xml: bytes) -> ET.Element:
    """The root element of a submission's XML; Refused (400) for XML that is malformed, carries a DTD or
    entities, or nests too deep."""
    parser = DefusedXMLParser(target=_DepthLimitedBuilder(), forbid_dtd=True)
    try:
        parser.feed(xml)
        return parser.close()
    except DefusedXmlException:
        raise Refused(400, "The submission's XML may not contain a DTD or entities.") from None
    except (ET.ParseError, ValueError, LookupError):
        raise Refused(400, "Improperly formatted XML.") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _flatten(elem: ET.Element, prefix: str, repeats: frozenset[str], out: dict[str, Any]) -> None:
    for child in elem:
        path = prefix + _local(child.tag)
        if path in repeats:
            item: dict[str, Any] = {}
            _flatten(child, path + "/", repeats, item)
            out.setdefault(path, []).append(item)
        elif len(child):
            _flatten(child, path + "/", repeats, out)
        elif child.text:
            out[path] = child.text


def submission_answers(root: ET.Element, repeats: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The answers of a parsed submission as KPI stores them: full paths without the root joined by ``/``, values
    as strings, empty elements left out, repeats as lists of dicts (keys again full paths), and the fields the
    server owns left out."""
    answers: dict[str, Any] = {}
    _flatten(root, "", repeats, answers)
    return {key: value for key, value in answers.items() if not key.startswith("_") and key != "meta/rootUuid"}


def _xml(body: str, status: int) -> Response:
    return Response(body, status=status, headers=HEADERS, content_type="text/xml; charset=utf-8")


def submission(call: Call) -> Response:
    """``/submission``: HEAD/GET answer 204 with the OpenRosa headers; POST stores a submission (201), answers
    202 for a duplicate, and refuses with an OpenRosa error message."""
    request = call.request
    if request.method in ("HEAD", "GET"):
        return Response(status=204, headers=HEADERS)
    if request.method != "POST":
        return Response('{"detail": "Method not allowed."}', 405, content_type="application/json")
    try:
        return _xml(*_receive(call))
    except Refused as refused:
        return _xml(openrosa_error(refused.message), refused.status)


def _receive(call: Call) -> tuple[str, int]:
    try:
        user = call.user()
    except InvalidToken:
        raise Refused(401, "Invalid token.") from None
    if user is None and not call.settings.anonymous_submissions:
        raise Refused(401, "Authentication required.")
    upload = call.request.files.get("xml_submission_file")
    if upload is None:
        raise Refused(400, "No XML submission file.")
    root = parse_submission(upload.read())
    state = call.state
    with state.lock:
        asset = state.accepting_asset(root.get("id", ""))
        if asset is None:
            raise Refused(404, "Form not found or not accepting submissions.")
        deployed = asset.version(asset.deployed_version_id)
        answers = submission_answers(root, deployed.info.repeats if deployed and deployed.info else frozenset())
        instance = answers.get("meta/instanceID")
        if not instance or not isinstance(instance, str):
            raise Refused(400, "The submission has no meta/instanceID.")
        if state.row_with_uuid(asset, instance) is not None:
            return DUPLICATE, 202
        version_attr = root.get("version", "")
        answers["__version__"] = next((v.uid for v in reversed(asset.versions)
                                       if v.info and v.info.version == version_attr and version_attr),
                                      version_attr or asset.deployed_version_id)
        answers["_attachments"] = [{"filename": f.filename, "mimetype": f.mimetype,
                                    "media_file_basename": Path(f.filename or "").name}
                                   for key, f in call.request.files.items(multi=True) if key != "xml_submission_file"]
        deprecated = answers.get("meta/deprecatedID")
        previous = state.row_with_uuid(asset, deprecated) if isinstance(deprecated, str) else None
        if previous is not None:  # an edit: same _id, rootUuid and submission time, as in KPI
            answers["meta/rootUuid"] = previous["meta/rootUuid"]
            state.store_new(asset, answers, kobo_id=previous["_id"], submission_time=previous["_submission_time"],
                            submitted_by=user)
        else:
            state.store_new(asset, answers, submitted_by=user)
    return SUBMIT_OK, 201
