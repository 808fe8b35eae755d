"""Assertion helpers for tests of code that builds Customer.io requests.

The same functions the pytest plugin's ``cio_schemas`` fixture offers, to
import directly (they raise :class:`AssertionError`, so they work under any
test runner)::

    from cio_schemas.testing import assert_converts, assert_invalid, assert_valid

    assert_valid("PUT", "/api/v1/customers/42", {"email": "a@example.com"})
    assert_invalid({"method": "POST", "path": "/v1/identify", "body": {}}, pointer="", keyword="required")
    assert_converts({"method": "POST", "path": "/v1/identify", "body": {"userId": "42"}}, "track-v2", lossless=True)

Failures list every problem on its own line: JSON pointer, keyword, message.
"""

from __future__ import annotations

from .pytest_plugin import CioSchemasHelpers, assert_converts, assert_invalid, assert_valid, assert_valid_request

__all__ = [
    "assert_valid_request",
    "assert_valid",
    "assert_invalid",
    "assert_converts",
    "CioSchemasHelpers",
]
