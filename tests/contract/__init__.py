"""Contract tests: the event schemas, examples, AsyncAPI document and topic list agree."""
