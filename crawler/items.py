"""What a spider hands to the pipeline: one item per HTTP exchange, never parsed content."""

import scrapy


class PageItem(scrapy.Item):
    source_id = scrapy.Field()
    kind = scrapy.Field()  # article | sitemap | feed | listing
    url = scrapy.Field()  # canonical URL (the article's identity)
    requested_url = scrapy.Field()  # first URL requested, before redirects
    response_url = scrapy.Field()  # URL that finally answered
    moved_to = scrapy.Field()  # canonical form of response_url, for an article redirected to another URL
    status = scrapy.Field()  # HTTP status, None when no response came back
    headers = scrapy.Field()  # response headers, {name: value}
    body = scrapy.Field()  # raw body bytes, as received
    fetched_at = scrapy.Field()
    error = scrapy.Field()  # readable reason when the exchange failed
    warc = scrapy.Field()  # {"file", "offset", "length"} of the response record
    warc_hops = scrapy.Field()  # the same for the redirects and retries that led to it, in order
