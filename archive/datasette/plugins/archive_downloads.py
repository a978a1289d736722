"""Downloads of archived captures: raw HTML (sandboxed), the WARC records, the record as JSON."""

import json
import os
from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from archive.captures import OTHER_URLS_SQL, CaptureMissing, article_json, read_capture, stored_capture
from archive.datasette.plugins.reading_room import error_page, not_found, row_id
from archive.warc import RecordUnreadable, WarcFileUnreadable

# Archived pages may carry script: never let it run on the archive's origin. Nor may they load
# anything: the archive keeps the page, not its images, styles or embeds, so each would be
# fetched live from the portal (or a third party), telling it who reads what in the archive and
# showing today's files inside an archived page. Inline styles and data: images are the page's own.
CAPTURE_POLICY = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "media-src data:; form-action 'none'; base-uri 'none'"
)
SANDBOX_HEADERS = {
    "Content-Security-Policy": CAPTURE_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _db(datasette):
    return datasette.get_database()


async def _row(datasette, sql, params):
    row = (await _db(datasette).execute(sql, params)).first()
    return dict(row) if row is not None else None


async def _by_id(datasette, table, value):
    """The row of ``table`` whose id is ``value`` as it came in the URL, or None."""
    number = row_id(value)
    return None if number is None else await _row(datasette, f"select * from {table} where id = ?", [number])


async def _fetch(datasette, request):
    """(fetch row, None), or (None, a 404 response)."""
    fetch = await _by_id(datasette, "fetches", request.url_vars["fetch_id"])
    if fetch is None:
        return None, await not_found(datasette, request, "Không có bản lưu này", "No such capture")
    return fetch, None


def _reason(datasette, exc) -> str:
    """The error, without the folder the archive lives in: not every reader should learn it."""
    return str(exc).replace(f"{Path(_db(datasette).path).parent}{os.sep}", "")


async def _missing(datasette, request, exc):
    return await error_page(datasette, request, "Bản lưu này không còn", "This capture is missing",
                            detail=_reason(datasette, exc))


async def _unreadable_file(datasette, request, exc):
    # The record may well be intact: the file could not be opened (permissions, a disk error).
    return await error_page(datasette, request, "Không đọc được tệp WARC chứa bản lưu này",
                            "The WARC file holding this capture cannot be read", status=500,
                            detail=_reason(datasette, exc))


async def raw_html(datasette, request):
    fetch, error = await _fetch(datasette, request)
    if fetch is None:
        return error
    try:
        capture = read_capture(_db(datasette).path, fetch)
        body = capture.body
    except CaptureMissing as exc:
        return await _missing(datasette, request, exc)
    except WarcFileUnreadable as exc:
        return await _unreadable_file(datasette, request, exc)
    except RecordUnreadable as exc:
        return await error_page(
            datasette, request, "Bản ghi WARC của bản lưu này bị hỏng", "This capture's WARC record is damaged",
            status=500, detail=_reason(datasette, exc),
            link=(datasette.urls.path(f"-/capture/{fetch['id']}.warc.gz"), "Tải bản ghi nguyên trạng",
                  "Download the record as stored"),
        )
    content_type = capture.headers.get("Content-Type") or capture.headers.get("content-type") or "text/html"
    headers = dict(SANDBOX_HEADERS)
    if request.args.get("download"):
        headers["Content-Disposition"] = f'attachment; filename="capture-{fetch["id"]}.html"'
    return Response(body, status=200, headers=headers, content_type=content_type)


async def warc_record(datasette, request):
    """The record's bytes as stored, unchecked: a damaged record is still all there is of it."""
    fetch, error = await _fetch(datasette, request)
    if fetch is None:
        return error
    try:
        record = stored_capture(_db(datasette).path, fetch)
    except CaptureMissing as exc:
        return await _missing(datasette, request, exc)
    except WarcFileUnreadable as exc:
        return await _unreadable_file(datasette, request, exc)
    except RecordUnreadable as exc:  # the file is shorter than the record
        return await error_page(datasette, request, "Bản ghi WARC của bản lưu này bị cắt cụt",
                                "This capture's WARC record is cut short", status=500,
                                detail=_reason(datasette, exc))
    return Response(
        record,
        status=200,
        headers={"Content-Disposition": f'attachment; filename="capture-{fetch["id"]}.warc.gz"'},
        content_type="application/warc",
    )


async def article_record(datasette, request):
    number = row_id(request.url_vars["article_id"])
    # An archive served before its upgrade (serve does not migrate) has no article_urls.
    other_urls = OTHER_URLS_SQL if await _db(datasette).table_exists("article_urls") else "null as other_urls"
    row = None if number is None else await _row(
        datasette, f"select a.*, {other_urls} from articles a where a.id = ?", [number]
    )
    if row is None:
        # A JSON answer, in the shape of datasette's own JSON errors, whatever the id.
        return Response.json({"ok": False, "error": "No such article", "status": 404}, status=404)
    return Response(
        json.dumps(article_json(row), ensure_ascii=False, indent=2),
        status=200,
        content_type="application/json; charset=utf-8",
    )


@hookimpl
def register_routes():
    return [
        # Any id, so that one which is not a number gets these routes' 404, not datasette's.
        (r"^/-/capture/(?P<fetch_id>[^/]+)\.html$", raw_html),
        (r"^/-/capture/(?P<fetch_id>[^/]+)\.warc\.gz$", warc_record),
        (r"^/-/article/(?P<article_id>[^/]+)\.json$", article_record),
    ]


@hookimpl
def render_cell(row, value, column, table, datasette):
    if table != "articles" or column != "fetch_id" or value is None:
        return None
    # A foreign-key cell arrives expanded as {"value", "label"}.
    fetch_id = escape(value["value"] if isinstance(value, dict) else value)
    article_id = escape(row["id"])
    base = datasette.urls.path("-")
    return Markup(
        f'<a href="{base}/capture/{fetch_id}.html">HTML</a> · '
        f'<a href="{base}/capture/{fetch_id}.warc.gz">WARC</a> · '
        f'<a href="{base}/article/{article_id}.json">JSON</a>'
    )
