"""Datasette's own table pages, made to answer as the reading room does: CSV that Excel reads as
UTF-8, and a 400 rather than a 500 for a sort that was asked for wrongly."""

from datasette import hookimpl
from datasette.handle_exception import handle_exception as datasette_error_page
from datasette.utils.asgi import BadRequest
from datasette.views.base import DatasetteError

from archive.datasette.plugins.reading_room import CSV_BOM

BOM = CSV_BOM.encode("utf-8")
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
        held = []  # the response's start, until its first bytes say whether a BOM is there

        async def send_csv(message):
            if message["type"] == "http.response.start" and _utf8_csv(message):
                held.append(message)
                return
            if held and message["type"] == "http.response.body":
                body = message.get("body", b"")
                if not body and message.get("more_body"):
                    return
                start = held.pop()
                # The reading room's own CSV begins with one already.
                if not body.startswith(BOM):
                    body = BOM + body
                    if _header(start, b"content-length"):
                        length = int(_header(start, b"content-length")) + len(BOM)
                        start = {**start, "headers": [
                            (k, str(length).encode("latin-1") if k.lower() == b"content-length" else v)
                            for k, v in start["headers"]
                        ]}
                await send(start)
                await send({**message, "body": body})
                return
            await send(message)

        await app(scope, receive, send_csv)

    return csv_with_bom


@hookimpl
def asgi_wrapper(datasette):
    """A UTF-8 byte-order mark at the start of datasette's CSV, as the reading room's CSV has:
    without it Excel reads the file in the computer's codepage, and Vietnamese as mojibake."""
    return _with_bom


@hookimpl
def handle_exception(datasette, request, exception):
    if (type(exception) is DatasetteError and exception.status == 500
            and str(exception.message).startswith(BAD_SORTS)
            # Without either argument the sort is the metadata's: the server's own mistake.
            and any(request.args.get(name) for name in SORT_ARGS)):
        return datasette_error_page(datasette, request, BadRequest(exception.message))
    return None
