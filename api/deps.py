"""Dependencies and parameter types shared by the routes.

The dependencies are `async def` because they never block (no I/O): a sync dependency would cost
a hop to the thread pool on every request. Routes that query the database are sync `def` (FastAPI
runs them in the threadpool), or `async def` handing their database work to `Database.remembered`
(api/represent.py).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from fastapi import Depends, Query, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator, WithJsonSchema
from pydantic.fields import FieldInfo

from api.db import Database
from api.negotiation import CSV, Representation, negotiate, negotiation_of
from api.present import Presenter
from api.problems import ParameterError, Problem, invalid
from api.snapshot import snapshot_of
from models.scripts import Script

MAX_OFFSET = 1_000_000
BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# An integer as JSON writes it and as clients serialise one: ASCII digits, no sign, no leading zero.
# pydantic's lax parsing (like int()) also reads "+5", " 5", "1_0", "05" and digits of other
# scripts ("５"); refusing them gives every value one spelling, so two URLs never name one page.
DECIMAL = re.compile(r"0|[1-9][0-9]*")
DECIMAL_EXPECTED = "an integer in ASCII digits (0-9), without sign, spaces, underscores or leading zeros"
BOOLEAN = re.compile(r"true|false")  # pydantic would also read yes, on, 1, t, TRUE…
BOOLEAN_EXPECTED = "`true` or `false`"


def spelled(pattern: re.Pattern[str], expected: str) -> BeforeValidator:
    """A check of a parameter's text before pydantic parses it: the one spelling the spec means.
    Placed after the parameter's Query in its Annotated, it runs before the Query's constraints,
    which pydantic then keeps on the type (and so in the spec)."""

    def check(value: object) -> object:
        if isinstance(value, str) and not pattern.fullmatch(value):
            raise ValueError(expected)  # api/problems.py makes it the 400's `expected`
        return value

    return BeforeValidator(check)


_DECIMAL_TEXT = spelled(DECIMAL, DECIMAL_EXPECTED)
_BOOLEAN_TEXT = spelled(BOOLEAN, BOOLEAN_EXPECTED)


def integer_query(**query: Any) -> Any:
    """An integer query parameter (`Query(**query)`: bounds, description) spelled as DECIMAL. (With
    the check before Query, pydantic could not keep the bounds on the integer, and the spec would
    say the raw `ge`/`le` instead of `minimum`/`maximum`.)"""
    return Annotated[int, Query(**query), _DECIMAL_TEXT]


def boolean_query(**query: Any) -> Any:
    """An optional boolean query parameter spelled `true` or `false`, as the spec's clients send it."""
    return Annotated[bool | None, Query(**query), _BOOLEAN_TEXT]


async def get_db(request: Request) -> Database:
    return snapshot_of(request).db


DB = Annotated[Database, Depends(get_db)]

_allowed: dict[int, frozenset[str]] = {}


def _query_names(declared: FieldInfo) -> list[str]:
    """The names a query parameter declares: its own, or those of its model's fields."""
    model = declared.annotation
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [field.alias or name for name, field in model.model_fields.items()]
    return [declared.alias]


def _allowed_names(request: Request) -> frozenset[str]:
    route = request.scope["route"]
    if id(route) not in _allowed:
        names, pending = set(), [route.dependant]
        while pending:  # the route's own query parameters and those of its dependencies
            dependant = pending.pop()
            names.update(name for p in dependant.query_params for name in _query_names(p.field_info))
            pending.extend(dependant.dependencies)
        _allowed[id(route)] = frozenset(names)
    return _allowed[id(route)]


async def check_query(request: Request) -> None:
    """Refuse what parameter validation would otherwise let through silently: unknown names (a
    typo would return unfiltered data), repeated names (which one wins?), broken percent-encoding,
    bytes that are not UTF-8, and NUL characters."""
    raw = request.scope.get("query_string", b"").decode("latin-1")
    if BAD_PERCENT.search(raw):
        raise invalid("(query string)", "valid percent-encoding: '%' followed by two hex digits")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise invalid("(query string)", "percent-encoded UTF-8") from None
    allowed = _allowed_names(request)
    seen: set[str] = set()
    for name, value in pairs:
        if name not in allowed:
            expected = f"one of {', '.join(sorted(allowed))}" if allowed else "no query parameters"
            raise Problem(400, f"unknown query parameter {name!r}: expected {expected}", [ParameterError(name, "query", expected)])
        if name in seen:
            raise invalid(name, "a single value (the parameter was given more than once)")
        if "\x00" in value:
            raise invalid(name, "text without NUL characters")
        seen.add(name)


ScriptQuery = Annotated[
    Script | None,
    Query(
        alias="script",
        description="`hant`: Traditional, as published (default). `hans`: Simplified (OpenCC t2s). "
        "Without it, an Accept-Language of zh-Hans, zh-CN or zh-SG selects `hans`.",
        examples=["hans"],
    ),
]
FormatQuery = Annotated[
    Literal["json", "csv"] | None,
    # Out of the spec: one operation answering JSON or CSV by a parameter is one that generated
    # clients cannot type (they parse JSON). Each list documents its `.csv` operation instead;
    # today's `format=csv` URLs keep working, validated here and read by `negotiate`.
    Query(alias="format", include_in_schema=False, description="`json` (default) or `csv`."),
]


async def format_parameter(format: FormatQuery = None) -> None:  # noqa: A002
    """Accepts `format` on a JSON list route (see FormatQuery); a route-level dependency, so that the
    `.csv` twin of the route, which shares the endpoint, does not take it."""


SELECTION_KEY = "api.fields"  # where a list's `fields` dependency leaves the selection for api/paging
# Names that make a good example of a selection, where an item has them.
EXAMPLE_FIELDS = ("number", "title", "name", "kind", "text")


def selection_pattern(names: Sequence[str]) -> re.Pattern[str]:
    """A comma-separated list of `names`, each at most once (the lookahead refuses a name seen again
    later), in the regular expressions that both Python and the spec's ECMA-262 read alike."""
    name = "|".join(map(re.escape, names))
    return re.compile(rf"(?!(?:.*,)?({name}),(?:.*,)?\1(?:,|$))(?:{name})(?:,(?:{name}))*")


def field_selection(names: Sequence[str], key: Sequence[str]) -> Callable[..., Awaitable[None]]:
    """The `fields` parameter of a list whose items have the top-level fields `names`, `key` among
    them. A route-level dependency (api/routes/common.list_route), so that a list's JSON and CSV
    operations declare it once; it leaves the selection in the scope (`selection_of`): the key,
    then the named fields in the order given."""
    pattern = selection_pattern(names)
    keys = " and ".join(f"`{k}`" for k in key)
    listed = ", ".join(f"`{n}`" for n in [*key, *(n for n in names if n not in key)])
    expected = f"comma-separated field names, each at most once, from: {', '.join(names)}"
    example = ",".join([n for n in EXAMPLE_FIELDS if n in names][:2])
    # The pattern goes into the spec as it is, and `spelled` checks it with Python's `re`: pydantic's
    # own `pattern` runs on a regex engine without lookaheads or backreferences.
    FieldsQuery = Annotated[
        Annotated[str, WithJsonSchema({"type": "string", "pattern": f"^{pattern.pattern}$"})] | None,
        Query(
            alias="fields",
            description=f"Only these top-level fields of each item, comma-separated, each at most once: {listed}. "
            f"{keys} {'is' if len(key) == 1 else 'are'} always returned, first, whether named or not; then the named fields, "
            "in the order given. As CSV: the columns each named field gives in the full CSV, field by field. Without it: "
            "every field.",
            examples=[example],
        ),
        spelled(pattern, expected),
    ]

    async def select_fields(request: Request, fields: FieldsQuery = None) -> None:
        request.scope[SELECTION_KEY] = None if fields is None else (*key, *(n for n in fields.split(",") if n not in key))

    # The type itself, not the name that `from __future__ import annotations` leaves: FastAPI would
    # look the name up among this module's globals, where a per-list type is not.
    select_fields.__annotations__["fields"] = FieldsQuery
    return select_fields


def selection_of(request: Request) -> tuple[str, ...] | None:
    """The fields a list request selected (its key first), or None for every field."""
    return request.scope.get(SELECTION_KEY)


class CsvRoute(APIRoute):
    """The `.csv` operation of a list: the same endpoint and parameters, answered as CSV whatever
    the Accept header says."""


async def representation(request: Request, script: ScriptQuery = None) -> Representation:
    return negotiate(request.query_params, negotiation_of(request.scope))


async def list_representation(request: Request, script: ScriptQuery = None) -> Representation:
    negotiated = negotiate(request.query_params, negotiation_of(request.scope))
    return replace(negotiated, format=CSV) if isinstance(request.scope["route"], CsvRoute) else negotiated


Rep = Annotated[Representation, Depends(representation)]
ListRep = Annotated[Representation, Depends(list_representation)]


def presenter(request: Request, representation: Representation) -> Presenter:
    return Presenter(request.app.state.settings.public_base_url, representation.script)


Limit = integer_query(ge=1, le=100, description="Items per page.", examples=[20])
Offset = integer_query(ge=0, le=MAX_OFFSET, description="Items to skip.", examples=[0])
