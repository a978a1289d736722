"""What every page served answers alike: CSV that Excel reads as UTF-8 (datasette's and the
reading room's), and a 400 rather than a 500 for datasette arguments asked for wrongly (a sort,
a NUL character)."""

from datasette import hookimpl
from datasette.handle_exception import handle_exception as datasette_error_page
from datasette.utils.asgi import BadRequest, Request
from datasette.views.base import DatasetteError

# Excel reads a CSV file as the machine's legacy code page unless it starts with a byte-order
# mark, which turns every Vietnamese letter into mojibake; CSV readers of Python (utf-8-sig),
# pandas and R skip it.
BOM = "\ufeff".encode("utf-8")
CSV_MEDIA_TYPES = ("text/csv", "text/plain")  # datasette's CSV is text/plain unless downloaded
# Datasette raises a bare DatasetteError, a 500, for a sort it cannot do (views/table.py): its
# message is all that tells these from a failure of the server's.
BAD_SORTS = ("Cannot sort table by ", "Cannot use _sort and _sort_desc at the same time")
SORT_ARGS = ("_sort", "_sort_desc")


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


def _datasette_page(path: str) -> bool:
    """Whether ``path`` is datasette's page of a database, table, row or query, not the reading
    room's (its home and its /-/ routes, which read a control character typed in the query as a space)."""
    return path != "/" and not path.startswith("/-/")


def _nul_argument(request: Request) -> str | None:
    """The first argument with a NUL character in its name or value, as the URL writes it."""
    for key in request.args:
        if "\x00" in key or any("\x00" in value for value in request.args.getlist(key)):
            return key.replace("\x00", "%00")
    return None


def _refusing_nul(app, datasette):
    async def nul_refused(scope, receive, send):
        if scope["type"] == "http" and _datasette_page(scope["path"]):
            request = Request(scope, receive)
            # SQLite refuses a query holding a NUL, and datasette writes facet, filter and
            # _where arguments into its SQL: a 500 with a Python error, for a typing mistake.
            if (name := _nul_argument(request)) is not None:
                message = f"A NUL character (%00) cannot be part of a query: argument {name}"
                response = await datasette_error_page(datasette, request, BadRequest(message))()
                await response.asgi_send(send)
                return
        await app(scope, receive, send)

    return nul_refused


@hookimpl
def asgi_wrapper(datasette):
    """A UTF-8 byte-order mark at the start of every CSV served, datasette's and the reading
    room's: without it Excel reads the file in the computer's codepage, and Vietnamese as mojibake.
    And a 400 for a NUL character in the arguments of datasette's pages."""
    return lambda app: _with_bom(_refusing_nul(app, datasette))


@hookimpl
def handle_exception(datasette, request, exception):
    if (type(exception) is DatasetteError and exception.status == 500
            and str(exception.message).startswith(BAD_SORTS)
            # Without either argument the sort is the metadata's: the server's own mistake.
            and any(request.args.get(name) for name in SORT_ARGS)):
        return datasette_error_page(datasette, request, BadRequest(exception.message))
    return None
