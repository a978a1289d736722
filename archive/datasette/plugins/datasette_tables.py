"""What every page served answers alike: CSV that Excel reads as UTF-8 (datasette's and the
reading room's), and a 400 rather than a 500 for a datasette sort that was asked for wrongly."""

from datasette import hookimpl
from datasette.handle_exception import handle_exception as datasette_error_page
from datasette.utils.asgi import BadRequest
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


@hookimpl
def asgi_wrapper(datasette):
    """A UTF-8 byte-order mark at the start of every CSV served, datasette's and the reading
    room's: without it Excel reads the file in the computer's codepage, and Vietnamese as mojibake."""
    return _with_bom


@hookimpl
def handle_exception(datasette, request, exception):
    if (type(exception) is DatasetteError and exception.status == 500
            and str(exception.message).startswith(BAD_SORTS)
            # Without either argument the sort is the metadata's: the server's own mistake.
            and any(request.args.get(name) for name in SORT_ARGS)):
        return datasette_error_page(datasette, request, BadRequest(exception.message))
    return None
