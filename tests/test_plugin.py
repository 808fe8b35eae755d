"""The pytest plugin: cheap to load, and its fixture's failures readable in a real pytest run."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from cio_schemas import testing
from cio_schemas.pytest_plugin import assert_converts, assert_invalid, assert_valid, assert_valid_request

pytest_plugins = ["pytester"]

GOOD_TESTS = """
    from cio_schemas.testing import assert_valid


    def test_identify(cio_schemas):
        cio_schemas.assert_valid("PUT", "/api/v1/customers/42", {"email": "a@example.com"})


    def test_invalid_platform(cio_schemas):
        bad = {"method": "PUT", "path": "/api/v1/customers/42/devices", "body": {"device": {"id": "t", "platform": "web"}}}
        cio_schemas.assert_invalid(bad, pointer="/device/platform", keyword="enum")


    def test_converts(cio_schemas):
        cio_schemas.assert_converts(
            {"method": "POST", "path": "/v1/identify", "body": {"userId": "42", "traits": {"plan": "pro"}}},
            "track-v2",
            {"method": "POST", "path": "/api/v2/entity",
             "body": {"type": "person", "action": "identify", "identifiers": {"id": "42"}, "attributes": {"plan": "pro"}}},
            lossless=True,
        )


    def test_without_fixture():
        assert_valid("POST", "/v1/track", {"userId": "42", "event": "Signed Up"})
"""

BAD_TESTS = """
    def test_bad_batch(cio_schemas):
        cio_schemas.assert_valid("POST", "/v1/batch", {"batch": [{"type": "identify"}, {"type": "track", "userId": 3, "event": "e"}]})


    def test_expected_problem_missing(cio_schemas):
        cio_schemas.assert_invalid({"method": "POST", "path": "/v1/identify", "body": {}}, pointer="/userId", keyword="type")


    def test_lossy(cio_schemas):
        body = {"userId": "42", "context": {"ip": "203.0.113.9"}}
        cio_schemas.assert_converts({"method": "POST", "path": "/v1/identify", "body": body}, "track-v1", lossless=True)
"""


def test_plugin_import_is_cheap() -> None:
    code = textwrap.dedent(
        """
        import sys
        import cio_schemas.pytest_plugin
        import cio_schemas.testing
        heavy = ["jsonschema", "referencing", "hypothesis", "jsonschema_rs", "dateutil",
                 "cio_schemas.validation", "cio_schemas.registry", "cio_schemas.converters"]
        print(",".join(m for m in heavy if m in sys.modules))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_fixture_and_helpers_in_a_pytest_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_good=textwrap.dedent(GOOD_TESTS), test_bad=textwrap.dedent(BAD_TESTS))
    result = pytester.runpytest_inprocess("-p", "cio_schemas", "-v", "-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=4, failed=3)
    result.stdout.fnmatch_lines(
        [
            "*test_good.py::test_identify PASSED*",
            "*test_good.py::test_invalid_platform PASSED*",
            "*test_good.py::test_converts PASSED*",
            "*test_good.py::test_without_fixture PASSED*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "E*POST /v1/batch: expected a valid request, found * problems:",
            "E*/batch/0 *required*needs one of 'userId', 'anonymousId'",
            "E*/batch/1/userId *type*3 is not of type 'string'*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "E*POST /v1/identify: expected a problem at /userId with keyword 'type'; found 1 other problem:",
            "E*(body) *required*needs one of 'userId', 'anonymousId'",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "E*expected a lossless conversion to track-v1, but 1 value lost:",
            "E*/body/context *no-home*",
        ]
    )
    # The helpers hide their own frames: the traceback points at the test's line.
    assert "pytest_plugin.py" not in result.stdout.str()


def test_testing_module_reexports_the_helpers() -> None:
    assert testing.assert_valid is assert_valid
    assert testing.assert_valid_request is assert_valid_request
    assert testing.assert_invalid is assert_invalid
    assert testing.assert_converts is assert_converts
    assert set(testing.__all__) >= {"assert_valid", "assert_valid_request", "assert_invalid", "assert_converts"}


def test_helpers_accept_requests_and_envelopes() -> None:
    from cio_schemas import Request

    assert_valid_request(Request("POST", "/v1/identify", {"userId": "42"}))
    problems = assert_invalid({"method": "GET", "path": "/nowhere"}, keyword="route")
    assert [p.keyword for p in problems] == ["route"]
    with pytest.raises(AssertionError, match=r"(?m)^  \(request\)  request  "):
        assert_valid_request({"method": "POST"})
    assert_invalid({"method": "POST", "path": "/v1/identify", "body": {"userId": 1}}, pointer="$.userId")
    with pytest.raises(AssertionError, match="but the request is valid"):
        assert_invalid(Request("POST", "/v1/identify", {"userId": "42"}), keyword="type")


def test_assert_converts_failures() -> None:
    identify = {"method": "POST", "path": "/v1/identify", "body": {"userId": "42", "context": {"ip": "203.0.113.9"}}}
    result = assert_converts(identify, "track-v2", lossless=False)
    assert result.losses
    with pytest.raises(AssertionError, match="lost none"):
        assert_converts(
            {"method": "POST", "path": "/v1/identify", "body": {"userId": "42"}}, "track-v2", lossless=False
        )
    with pytest.raises(
        AssertionError, match=r"strict conversion to track-v1 would lose 1 value:\n  /body/context  no-home"
    ):
        assert_converts(identify, "track-v1", strict=True)
    with pytest.raises(AssertionError, match=r"differs from the expected output[\s\S]*\+\s+\"action\": \"identify\""):
        assert_converts(identify, "track-v2", [{"method": "POST", "path": "/api/v2/entity", "body": {}}])
    with pytest.raises(AssertionError, match=r"the input has 1 problem:\n  \(body\)  required"):
        assert_converts({"method": "POST", "path": "/v1/identify", "body": {}}, "track-v1")
    with pytest.raises(AssertionError, match="cannot convert to pipelines: form submissions"):
        assert_converts(
            {"method": "POST", "path": "/api/v1/forms/1/submit", "body": {"data": {"id": "1"}}}, "pipelines"
        )
    with pytest.raises(AssertionError, match="not a request"):
        assert_converts({"path": "/v1/identify"}, "track-v1")


def test_the_library_at_work_never_imports_hypothesis() -> None:
    """hypothesis is a dependency for cio_schemas.strategies only: validating and converting do not load it."""
    code = textwrap.dedent(
        """
        import sys
        from cio_schemas import Request, convert, validate
        request = Request("POST", "/v1/identify", {"userId": "42", "traits": {"email": "a@example.com"}})
        validate(request)
        convert(request, "track-v2")
        print("hypothesis" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
