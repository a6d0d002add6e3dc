"""Security tests reuse intake's fixtures: keys, tokens and intake settings on the per-test
database and topics."""

from tests.integration.intake.conftest import intake_settings, keys, token  # noqa: F401
