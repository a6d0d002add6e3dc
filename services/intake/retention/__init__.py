"""Data protection in intake: review dates, warnings, extensions, erasure and subject access."""
