"""Central's OData query options on the server: ``$filter`` (parsed and evaluated on submission metadata),
``$skiptoken``, ``$orderby``, ``$select``, and the paging rules of ``Submissions`` (newest first, a next link that
carries a ``$skiptoken`` naming the last row).

A ``$filter`` may use ``__system/submissionDate``, ``updatedAt``, ``deletedAt``, ``reviewState`` and
``submitterId`` (also as ``$root/Submissions/__system/…``), the operators ``eq ne lt le gt ge and or not``,
parentheses, and ``year month day hour minute second now``; comparisons with null follow SQL (unknown). Deleted
submissions are left out unless the filter mentions ``__system/deletedAt``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Protocol

from qaf_kobo.devserver.central import problem
from qaf_kobo.devserver.central.xform import FormSchema

SUPPORTED_PARAMS = ("$format", "$count", "$skip", "$top", "$filter", "$wkt", "$expand", "$select", "$skiptoken",
                    "$orderby", "$search", "viewAs")
SYSTEM_FIELDS = ("submissionDate", "updatedAt", "submitterId", "submitterName", "attachmentsPresent",
                 "attachmentsExpected", "status", "reviewState", "deviceId", "edits", "formVersion", "deletedAt")
FILTERABLE = {"__system/submissionDate": "created_at", "__system/updatedAt": "updated_at",
              "__system/submitterId": "submitter_id", "__system/reviewState": "review_state",
              "__system/deletedAt": "deleted_at"}
FILTERABLE |= {f"$root/Submissions/{name}": attr for name, attr in list(FILTERABLE.items())}
DELETED_AT = ("__system/deletedAt", "$root/Submissions/__system/deletedAt")


class Row(Protocol):
    """What the query reads of a submission."""

    seq: int
    instance_id: str
    created_at: datetime
    updated_at: datetime | None
    deleted_at: datetime | None
    review_state: str | None
    submitter_id: int | None


# --- $filter ---------------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"""\s*(?:
    (?P<string>'(?:[^']|'')*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_$][A-Za-z0-9_$/]*)
  | (?P<punct>[(),])
)""", re.VERBOSE)
_COMPARISONS = {"eq", "ne", "lt", "le", "gt", "ge"}
_FUNCTIONS = {"year", "month", "day", "hour", "minute", "second", "now"}

Node = tuple[Any, ...]


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise problem.unparseable_filter(f"unexpected character at position {pos}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self, *values: str) -> bool:
        return self.i < len(self.tokens) and self.tokens[self.i][1] in values

    def take(self) -> tuple[str, str, int]:
        if self.i >= len(self.tokens):
            raise problem.unparseable_filter("unexpected end of expression")
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expect(self, value: str) -> None:
        kind, text, pos = self.take()
        if text != value:
            raise problem.unparseable_filter(f"expected '{value}' at position {pos}")

    def parse(self) -> Node:
        node = self.or_()
        if self.i != len(self.tokens):
            raise problem.unparseable_filter(f"unexpected '{self.tokens[self.i][1]}' at position {self.tokens[self.i][2]}")
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.peek("or"):
            self.take()
            node = ("or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.peek("and"):
            self.take()
            node = ("and", node, self.not_())
        return node

    def not_(self) -> Node:
        if self.peek("not"):
            self.take()
            return ("not", self.not_())
        left = self.operand()
        if self.peek(*_COMPARISONS):
            op = self.take()[1]
            return ("cmp", op, left, self.operand())
        return left

    def operand(self) -> Node:
        kind, text, pos = self.take()
        if text == "(":
            node = self.or_()
            self.expect(")")
            return node
        if kind == "string":
            return ("lit", text[1:-1].replace("''", "'"))
        if kind == "datetime":
            return ("lit", _parse_time(text))
        if kind == "date":
            return ("lit", datetime.combine(date.fromisoformat(text), datetime.min.time(), timezone.utc))
        if kind == "number":
            return ("lit", float(text) if "." in text else int(text))
        if kind == "name":
            if text in ("null", "true", "false"):
                return ("lit", {"null": None, "true": True, "false": False}[text])
            if self.peek("("):
                if text not in _FUNCTIONS:
                    raise problem.Problem(501.4, "The given OData filter expression uses features not supported by this "
                                                 f"server: MethodCallExpression at {pos} (\"{text}\")")
                self.take()
                args = [] if self.peek(")") else [self.or_()]
                self.expect(")")
                return ("call", text, args)
            if text not in FILTERABLE:
                raise problem.unsupported_field(text, pos)
            return ("field", text)
        raise problem.unparseable_filter(f"unexpected '{text}' at position {pos}")


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def parse_filter(text: str) -> Node:
    """The syntax tree of a ``$filter``; a Problem for text Central cannot parse or fields it does not filter on."""
    return _Parser(text).parse()


def mentions_deleted_at(node: Node) -> bool:
    """Whether a filter refers to ``__system/deletedAt`` (then deleted submissions are not left out)."""
    if node[0] == "field":
        return node[1] in DELETED_AT
    return any(mentions_deleted_at(part) for part in node[1:] if isinstance(part, tuple)) or (
        node[0] == "call" and any(mentions_deleted_at(arg) for arg in node[2]))


def _compare(op: str, left: Any, right: Any) -> bool | None:
    if op in ("eq", "ne") and (left is None or right is None):
        same = left is None and right is None
        return same if op == "eq" else not same
    if left is None or right is None:
        return None
    if isinstance(left, datetime) and isinstance(right, str):
        right = _parse_time(right)
    elif isinstance(right, datetime) and isinstance(left, str):
        left = _parse_time(left)
    elif isinstance(left, (int, float)) != isinstance(right, (int, float)):
        left, right = str(left), str(right)
    try:
        return {"eq": left == right, "ne": left != right, "lt": left < right, "le": left <= right,
                "gt": left > right, "ge": left >= right}[op]
    except TypeError:
        raise problem.Problem(400.11, f"Invalid input data type: expected '{right}' to be ({type(left).__name__})") from None


def evaluate(node: Node, row: Row, now: Callable[[], datetime]) -> Any:
    """The value of a filter (sub)expression for one submission; True/False/None (unknown) for conditions."""
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "field":
        value = getattr(row, FILTERABLE[node[1]])
        return str(value) if node[1].endswith("submitterId") and value is not None else value
    if kind == "call":
        if node[1] == "now":
            return now()
        value = evaluate(node[2][0], row, now) if node[2] else None
        return None if value is None else getattr(value, node[1])
    if kind == "cmp":
        return _compare(node[1], evaluate(node[2], row, now), evaluate(node[3], row, now))
    if kind == "not":
        value = evaluate(node[1], row, now)
        return None if value is None else not value
    left, right = evaluate(node[1], row, now), evaluate(node[2], row, now)
    if kind == "and":
        return False if left is False or right is False else (None if left is None or right is None else True)
    return True if left is True or right is True else (None if left is None or right is None else False)


# --- $skiptoken ------------------------------------------------------------------------------------------------
def skiptoken(instance_id: str) -> str:
    """Central's ``$skiptoken`` for continuing after a row: ``01`` + base64 of ``{"instanceId": …}``."""
    data = json.dumps({"instanceId": instance_id}, separators=(",", ":")).encode("utf-8")
    return "01" + base64.b64encode(data).decode("ascii")


def parse_skiptoken(token: str) -> dict[str, Any]:
    """The data of a ``$skiptoken``; a Problem when it is not one."""
    invalid = problem.Problem(400.35, "Invalid $skiptoken")  # as Central: 400.35, this message
    if not token.startswith("01"):
        raise invalid
    try:
        parsed = json.loads(base64.b64decode(token[2:], validate=False).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(parsed, dict):
        raise invalid
    return parsed


# --- $select ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Selection:
    """What a ``$select`` keeps: the form paths (with their groups), and which ``__system`` properties."""

    paths: frozenset[str] | None  # None: every field
    system: tuple[str, ...]  # the __system properties shown ((): no __system at all)


def parse_select(text: str | None, schema: FormSchema) -> Selection:
    """A ``$select``; Problems for unknown properties and fields inside a repeat."""
    if text is None or text.strip() in ("", "*"):
        return Selection(None, SYSTEM_FIELDS)
    keep: set[str] = set()
    system: list[str] = []
    for name in (p.strip() for p in text.split(",")):
        if name == "__id":
            continue
        if name == "__system":
            system = list(SYSTEM_FIELDS)
            continue
        if name.startswith("__system/") and name[9:] in SYSTEM_FIELDS:
            system.append(name[9:])
            continue
        field = schema.by_path.get(name)
        if field is None:
            raise problem.property_not_found(name)
        parts = name.split("/")
        for i in range(1, len(parts)):
            ancestor = schema.by_path["/".join(parts[:i])]
            if ancestor.type == "repeat":
                raise problem.Problem(400.24, f"The given OData select property '{name}' uses features not supported "
                                              "by this server.", {"property": name})
            keep.add(ancestor.path)
        stack = [field]
        while stack:
            f = stack.pop()
            keep.add(f.path)
            stack.extend(c for c in f.children if f.type == "structure")
    return Selection(frozenset(keep), tuple(s for s in SYSTEM_FIELDS if s in system))


def select_data(data: dict[str, Any], paths: frozenset[str] | None, prefix: str = "") -> dict[str, Any]:
    """``data`` restricted to the selected paths (repeat links follow their repeat)."""
    if paths is None:
        return data
    out = {}
    for key, value in data.items():
        name = key.split("@", 1)[0]
        if prefix + name in paths:
            out[key] = select_data(value, paths, f"{prefix}{name}/") if isinstance(value, dict) else value
    return out


# --- $orderby --------------------------------------------------------------------------------------------------
def order_key(orderby: str) -> tuple[Callable[[Row], Any], bool]:
    """A sort key and whether the first term is descending (Central adds the row id in that direction); Problems
    for fields it cannot sort on."""
    terms = []
    for part in orderby.split(","):
        words = part.split()
        if not words or words[0] not in FILTERABLE:
            raise problem.unsupported_field(words[0] if words else part, 0)
        if len(words) > 1 and words[1].lower() not in ("asc", "desc"):
            raise problem.unsupported_field(words[1], 0)
        terms.append((FILTERABLE[words[0]], len(words) > 1 and words[1].lower() == "desc"))

    def key(row: Row) -> tuple[Any, ...]:
        out: list[Any] = []
        for attr, desc in terms:
            value = getattr(row, attr)
            # ASC NULLS FIRST / DESC NULLS LAST, as Central's SQL; the whole key is reversed for descending terms
            out.append(_Reversed((value is not None, value)) if desc else (value is not None, value))
        out.append(_Reversed(row.seq) if terms[0][1] else row.seq)
        return tuple(out)

    return key, terms[0][1]


class _Reversed:
    """Sorts in the opposite order of the value it wraps."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return other.value < self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and other.value == self.value


# --- the query -------------------------------------------------------------------------------------------------
def _int_param(text: str | None) -> int | None:
    match = re.match(r"\s*[+-]?\d+", text) if text is not None else None
    return int(match.group()) if match else None


@dataclass(frozen=True)
class Query:
    """The options of one request to ``Submissions``."""

    top: int | None
    skip: int
    count: bool
    filter: Node | None
    include_deleted: bool
    cursor: str | None  # the instanceId the $skiptoken continues after
    orderby: str | None
    selection: Selection
    expand: bool
    wkt: bool

    @classmethod
    def from_args(cls, args: dict[str, str], schema: FormSchema) -> Query:
        """The query of a request's arguments (Central's preprocessing: unknown ``$`` options are 501.1)."""
        for key in args:
            if key not in SUPPORTED_PARAMS:
                raise problem.not_implemented(key)
        expand = args.get("$expand")
        if expand is not None and expand != "*":
            raise problem.Problem(501.6, f"The given OData expand expression is not supported by this server: \"{expand}\". "
                                         "Currently, only \"$expand=*\" is supported.", {"text": expand})
        if expand and args.get("$select"):
            raise problem.Problem(501.11, "This server doesn't support $select query parameter with $expand.")
        token = parse_skiptoken(args["$skiptoken"]) if "$skiptoken" in args else None
        if token is not None and args.get("$orderby"):
            raise problem.not_implemented("using $orderby and $skiptoken together")
        node = parse_filter(args["$filter"]) if args.get("$filter") else None
        top = _int_param(args.get("$top"))
        return cls(top=None if top is None else max(0, top), skip=0 if token else max(0, _int_param(args.get("$skip")) or 0),
                   count=args.get("$count", "").lower() == "true", filter=node,
                   include_deleted=node is not None and mentions_deleted_at(node),
                   cursor=str(token.get("instanceId")) if token is not None else None, orderby=args.get("$orderby"),
                   selection=parse_select(args.get("$select"), schema), expand=expand == "*",
                   wkt=args.get("$wkt", "").lower() == "true")


@dataclass(frozen=True)
class Page:
    """The rows of one answer, the total ``count`` (when asked) and whether a next link follows."""

    rows: list[Any]
    count: int | None
    more: bool


def run(query: Query, rows: Sequence[Row], now: Callable[[], datetime],
        index_of: Callable[[str], int | None]) -> Page:
    """Apply a query to the form's submissions (``rows`` oldest first, ties by ``seq``; ``index_of`` finds a row by
    instanceId, deleted or not): filter, leave out the deleted unless asked, continue after the cursor, order
    (newest first by default), skip, take ``top``."""
    def matches(row: Row) -> bool:
        if row.deleted_at is not None and not query.include_deleted:
            return False
        return query.filter is None or evaluate(query.filter, row, now) is True

    ordered: Iterable[Row]
    if query.cursor is not None:
        at = index_of(query.cursor)
        if at is None:  # purged: Central's join finds nothing to continue after
            return Page([], 0 if query.count else None, False)
        ordered = (rows[i] for i in range(at - 1, -1, -1))
    elif query.orderby:
        key, _ = order_key(query.orderby)
        ordered = sorted(rows, key=key)
    else:
        ordered = reversed(rows)
    total = sum(1 for r in rows if matches(r)) if query.count else None
    picked: list[Row] = []
    seen = 0
    for row in ordered:
        if not matches(row):
            continue
        seen += 1
        if seen <= query.skip:
            continue
        if query.top is not None and len(picked) >= query.top:
            break
        picked.append(row)
    # Central links a next page while rows remain after the cursor beyond those sent (skipped rows included)
    more = query.top is not None and bool(picked) and seen > len(picked)
    return Page(picked, total, more)
