"""Responses whose declared charset cannot decode text (``charset=base64``, ``charset=hex``).

Python's codec registry also holds bytes-to-bytes codecs, so w3lib accepts such a label and the
first read of ``response.text`` raises: in MetaRefreshMiddleware for any HTML page, in the
spider's callback for a listing, and the exchange leaves no fetch row. Those responses are read
as UTF-8 with replacement characters instead. Only the decoded view changes: the body and
headers stay as received, and extraction decodes the stored bytes itself.
"""

from __future__ import annotations

import logging

from scrapy.http import TextResponse

logger = logging.getLogger(__name__)


class UsableCharsetMiddleware:
    def process_response(self, request, response):
        if isinstance(response, TextResponse) and not _decodes(response):
            logger.info("%s: charset %r cannot decode text, reading it as UTF-8", response.url, response.encoding)
            return response.replace(encoding="utf-8")
        return response


def _decodes(response: TextResponse) -> bool:
    try:
        return isinstance(response.text, str)
    except (LookupError, UnicodeError):
        return False
