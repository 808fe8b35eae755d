"""Type-checked, not run: the package's public names as a user's code imports them.

``.ci/run`` checks this file with ``mypy --strict``: every name in ``cio_schemas.__all__`` must be
visible to a type checker from ``import cio_schemas`` (a computed ``__all__`` hides them all).
``tests/test_api_errors.py`` keeps this list equal to ``__all__``.
"""

from __future__ import annotations

from cio_schemas import (
    ROUTES,
    Change,
    CioSchemasError,
    Conversion,
    ConvertOptions,
    InvalidArgumentError,
    InvalidJSONError,
    InvalidPayloadError,
    InvalidRequestError,
    InvalidTimestampError,
    Limits,
    Loss,
    LossyConversionError,
    NoSuchSchemaError,
    PayloadTooLargeError,
    Problem,
    Request,
    Route,
    SchemaRegistry,
    UnknownRouteError,
    UnsupportedConversionError,
    best_match,
    build_path,
    byte_size,
    check_size,
    convert,
    convert_iso_attributes,
    convert_many,
    get_limits,
    get_schema,
    is_iso_timestamp,
    is_valid,
    iter_errors,
    match_route,
    normalize_request_timestamps,
    schema_names,
    size_report,
    split_batch,
    to_iso,
    to_unix,
    validate,
    validator_for,
)

request: Request = Request("PUT", "/api/v1/customers/42", {"email": "a@example.com"})
valid: bool = is_valid(request)
changes: tuple[Change, ...] = convert(request, to="pipelines").changes
