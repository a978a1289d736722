"""What every page served answers alike: CSV that Excel reads as UTF-8 (datasette's and the
reading room's), full URLs under the archive's public URL when it has one, and a 400 rather
than a 500 for datasette arguments asked for wrongly (a sort, a NUL character, a facet,
_through or list that is not the JSON datasette reads, a view's _next that is no number),
a 404 for a row's URL that names too few of its keys, and a 405 for a POST to a table's page."""

import json
import os

from datasette import hookimpl
from datasette.handle_exception import handle_exception as datasette_error_page
from datasette.plugins import pm
from datasette.utils import await_me_maybe, tilde_decode, urlsafe_components
from datasette.utils.asgi import Base400, BadRequest, NotFound, Request
from datasette.views.base import DatasetteError

from archive.datasette.plugins.reading_room import READ_METHODS
from archive.serve import public_origin

# Excel reads a CSV file as the machine's legacy code page unless it starts with a byte-order
# mark, which turns every Vietnamese letter into mojibake; CSV readers of Python (utf-8-sig),
# pandas and R skip it.
BOM = "\ufeff".encode("utf-8")
CSV_MEDIA_TYPES = ("text/csv", "text/plain")  # datasette's CSV is text/plain unless downloaded
# Datasette raises a bare DatasetteError, a 500, for a sort it cannot do (views/table.py): its
# message is all that tells these from a failure of the server's.
BAD_SORTS = ("Cannot sort table by ", "Cannot use _sort and _sort_desc at the same time")
SORT_ARGS = ("_sort", "_sort_desc")
# So is a _through whose table has no foreign key to the table shown.
BAD_THROUGH = "Invalid _through"
# The filters whose value datasette compares as a number when it is all digits.
NUMERIC_FILTERS = ("__gt", "__gte", "__lt", "__lte")
# What datasette's value_as_boolean reads.
BOOLEAN_VALUES = ("on", "off", "true", "false", "1", "0")


def _header(message, name: bytes) -> str:
    for key, value in message.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _utf8_csv(start) -> bool:
    media_type, _, params = _header(start, b"content-type").lower().partition(";")
    return start["status"] == 200 and media_type.strip() in CSV_MEDIA_TYPES and "utf-8" in params


def _with_bom(app):
    async def csv_with_bom(scope, receive, send):
        if scope["type"] != "http" or not scope["path"].endswith(".csv"):
            await app(scope, receive, send)
            return
        marking = False  # a UTF-8 CSV has begun, its first bytes still to come

        async def send_csv(message):
            nonlocal marking
            if message["type"] == "http.response.start" and _utf8_csv(message):
                marking = True
                message = {**message, "headers": [
                    (k, str(int(v) + len(BOM)).encode("latin-1") if k.lower() == b"content-length" else v)
                    for k, v in message.get("headers") or []
                ]}
            elif marking and message["type"] == "http.response.body":
                marking = False
                message = {**message, "body": BOM + message.get("body", b"")}
            await send(message)

        await app(scope, receive, send_csv)

    return csv_with_bom


def _hardened(app):
    """Every response with nosniff: an archive serves text its sources wrote (a CSV cell, a
    JSON string), which a browser guessing types could run as a page. Datasette's own pages also
    may not be framed by another site, as the reading room's may not (their policies say so)."""
    async def hardened(scope, receive, send):
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        own_policy = not _datasette_page(scope["path"])  # the reading room's pages set theirs

        async def send_hardened(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                if not _header(message, b"x-content-type-options"):
                    headers.append((b"x-content-type-options", b"nosniff"))
                if not own_policy and not _header(message, b"content-security-policy"):
                    headers.append((b"content-security-policy", b"frame-ancestors 'none'"))
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, send_hardened)

    return hardened


def _under_public_url(app):
    """Every request as if made to GOVARCHIVE_PUBLIC_URL's scheme and host, when it is set: the
    full URLs datasette builds from the request (a JSON page's next_url, its Link header, a
    facet's toggle_url) are then the ones readers know the archive by, as the reading room's
    are, not the internal address a proxy asked for."""
    async def under_public_url(scope, receive, send):
        origin = public_origin(os.environ) if scope["type"] == "http" else None
        if origin is not None:
            scheme, host = origin
            headers = [(k, v) for k, v in scope.get("headers") or [] if k.lower() != b"host"]
            scope = {**scope, "scheme": scheme, "headers": [*headers, (b"host", host)]}
        await app(scope, receive, send)

    return under_public_url


def _datasette_page(path: str) -> bool:
    """Whether ``path`` is datasette's page of a database, table, row or query, not the reading
    room's (its home and its /-/ routes, which read a control character typed in the query as a space)."""
    return path != "/" and not path.startswith("/-/")


def _json(value: str):
    try:
        return json.loads(value)
    except ValueError:
        return None


def _bindable(value) -> bool:
    """Whether SQLite takes ``value`` as a parameter: a string, a number that fits, or null."""
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    return value is None or isinstance(value, (str, float))


def _fits(digits: str) -> bool:
    """Whether int() reads ``digits`` (which str.isdigit() passed) as a number SQLite takes."""
    # Measured first: int() refuses over 4,300 digits.
    return digits.isascii() and len(digits.lstrip("0")) <= 19 and int(digits) < 2**63


def _facet_mistake(value: str) -> str | None:
    config = _json(value)
    if isinstance(config, dict) and isinstance(config.get("column"), str) and config["column"]:
        return None
    return 'a facet written as JSON names its column, as {"column": "source_id"}'


def _through_mistake(value: str) -> str | None:
    through = _json(value)
    if (isinstance(through, dict) and all(isinstance(through.get(k), str) for k in ("table", "column"))
            and "value" in through and _bindable(through["value"])):
        return None
    return 'it is JSON naming a table, its column and a value, as {"table": "…", "column": "…", "value": "…"}'


def _list_mistake(value: str) -> str | None:
    values = _json(value)
    if isinstance(values, list) and all(map(_bindable, values)):
        return None
    return 'a list written as JSON is one of values, as ["a", "b"]'


def _mistake(key: str, value: str) -> str | None:
    """What is wrong with an argument that datasette 0.65 would fail on with a 500, or None."""
    if "\x00" in key or "\x00" in value:
        # SQLite refuses a query holding a NUL, and datasette writes facet, filter and _where
        # arguments into its SQL.
        return "a NUL character (%00) cannot be part of a query"
    if key.startswith("_facet") and value.startswith("{"):
        return _facet_mistake(value)  # datasette reads a JSON facet's column with no check
    if key == "_through":
        return _through_mistake(value)
    if key.endswith(("__in", "__notin")) and value.startswith("["):
        return _list_mistake(value)
    if key.endswith(NUMERIC_FILTERS) and value.isdigit() and not _fits(value):
        # datasette makes an int of any value str.isdigit() passes ("²" too) before comparing.
        return "a number SQLite's integers hold"
    if key == "_timelimit" and not (value.isascii() and value.isdigit()):
        return "a number of milliseconds"
    if key == "_json_infinity" and value.lower() not in BOOLEAN_VALUES:
        return f"one of {', '.join(BOOLEAN_VALUES)}"
    return None


def _argument_mistake(request: Request) -> str | None:
    """The first argument of ``request`` datasette would fail on, and what is wrong with it."""
    for key in request.args:
        for value in request.args.getlist(key):
            if mistake := _mistake(key, value):
                return f"{mistake[0].upper()}{mistake[1:]}: argument {key.replace(chr(0), '%00')}"
    return None


def _refusing_mistakes(app, datasette):
    async def mistakes_refused(scope, receive, send):
        if scope["type"] == "http" and _datasette_page(scope["path"]):
            request = Request(scope, receive)
            # A typing mistake is the asker's, not a 500 with a Python error.
            if (message := _argument_mistake(request)) is not None:
                response = await datasette_error_page(datasette, request, BadRequest(message))()
                await response.asgi_send(send)
                return
        await app(scope, receive, send)

    return mistakes_refused


@hookimpl
def asgi_wrapper(datasette):
    """A UTF-8 byte-order mark at the start of every CSV served, datasette's and the reading
    room's: without it Excel reads the file in the computer's codepage, and Vietnamese as mojibake.
    And a 400 for an argument of datasette's pages that it would fail on; nosniff on everything
    served, datasette's pages not to be framed by other sites, and full URLs under the public URL."""
    return lambda app: _under_public_url(_hardened(_with_bom(_refusing_mistakes(app, datasette))))


def _asked_wrongly(request, message: str) -> bool:
    if message.startswith(BAD_SORTS):
        # Without either argument the sort is the metadata's: the server's own mistake.
        return any(request.args.get(name) for name in SORT_ARGS)
    return message.startswith(BAD_THROUGH) and "_through" in request.args


class MethodNotAllowed(Base400):
    status = 405


def _offset(value: str) -> bool:
    """Whether ``value`` is a number of rows SQLite can skip, as datasette reads it (int())."""
    try:
        return -(2**63) <= int(value) < 2**63
    except ValueError:  # no number, or over int()'s 4,300 digits
        return False


async def _view_page_mistake(db, table: str, request) -> Base400 | None:
    """Why the request of a view's page that datasette 0.65 failed on is wrong, or None. It
    pages through a view by row number, and makes an int of _next with no check."""
    if request.args.get("_next") is None or _offset(request.args["_next"]):
        return None
    if table not in await db.view_names():
        return None
    return BadRequest("A number of rows to skip, as a view's next_url gives it: argument _next")


async def _missing_row(db, table: str, pks: str) -> Base400 | None:
    """Why a row's page datasette failed on names no row, or None: datasette binds a value for
    each key column (rowid where there is none), and fails when the URL has fewer."""
    keys = await db.primary_keys(table) or ["rowid"]
    if len(urlsafe_components(pks)) >= len(keys):
        return None
    named = f"{', '.join(keys[:-1])} and {keys[-1]}"  # more than one: a URL names at least one
    return NotFound(f"Record not found: a row of {table} is named by its {named}, in that order, separated by commas")


async def _post_mistake(datasette, db, table: str, request) -> Base400 | None:
    """Why a POST to a table's page is wrong, or None for a canned query's (whose failure is the
    server's): datasette 0.65 asserts that a table's page has a canned query to POST to."""
    if await datasette.get_canned_query(db.name, table, request.actor):
        return None
    return MethodNotAllowed("Method not allowed: a table's page takes GET, not POST")


async def _refusal(datasette, request) -> Base400 | None:
    """The 4xx a request of a table's or row's page is, which datasette failed on, or None."""
    route = request.url_vars
    try:
        db = datasette.get_database(route=tilde_decode(route["database"]))
    except KeyError:
        return None
    table = tilde_decode(route["table"])
    if "pks" in route:
        return await _missing_row(db, table, route["pks"])
    if request.method == "POST":
        return await _post_mistake(datasette, db, table, request)
    return await _view_page_mistake(db, table, request)


async def _answer(datasette, request, exception):
    """What every plugin's handle_exception makes of ``exception``, as datasette takes it: for a
    404, the site's own page (the reading room's), for a 400 datasette's."""
    for answer in pm.hook.handle_exception(datasette=datasette, request=request, exception=exception):
        if (response := await await_me_maybe(answer)) is not None:
            return response
    return None


def _refusing_failed_requests(datasette, request):
    """A 4xx for a request of a table's or row's page that datasette failed on, when the request
    is what was wrong: answered as datasette answers its own 4xx."""
    async def refused():
        refusal = await _refusal(datasette, request)
        if refusal is None:
            return None
        response = await _answer(datasette, request, refusal)
        if isinstance(refusal, MethodNotAllowed):
            response.headers["Allow"] = ", ".join(READ_METHODS)  # as the reading room's 405s say them
        return response

    return refused


@hookimpl
def handle_exception(datasette, request, exception):
    if (type(exception) is DatasetteError and exception.status == 500
            and _asked_wrongly(request, str(exception.message))):
        return datasette_error_page(datasette, request, BadRequest(exception.message))
    if isinstance(exception, (Base400, DatasetteError)) or "table" not in request.url_vars:
        return None  # datasette's own answer, or no table's page
    return _refusing_failed_requests(datasette, request)
