"""Signals govarchive's crawler components send one another through Scrapy's SignalManager."""

# Sent by the storage pipeline just before it commits a batch of items. What those items point
# to outside the database (their WARC records) must be on disk first: the database's own writes
# reach the disk in their own time, and a power cut could otherwise keep a fetch row that
# points past the end of its WARC file. A receiver that cannot make its data durable stops the
# crawl for storage (crawler.frontier.stop_for_storage), and the batch is not committed.
before_commit = object()
