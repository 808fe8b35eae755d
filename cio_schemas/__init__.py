"""cio-schemas: validate and convert Customer.io Track and Pipelines API requests, offline.

The library is sans-I/O: every function takes plain JSON-compatible data (or
:class:`Request` values) and returns new data. It never opens a socket, reads a
file (except the CLI), looks at the clock, or modifies its arguments, and it
gives the same answer every time. Sending requests is your HTTP client's job.

Quick start::

    >>> from cio_schemas import Request, is_valid
    >>> is_valid(Request("PUT", "/api/v1/customers/42", {"email": "a@example.com"}))
    True

Names are imported lazily so that ``import cio_schemas`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # requests and routes
    "Request": "request",
    "build_path": "request",
    "Route": "catalog",
    "ROUTES": "catalog",
    "match_route": "catalog",
    # schemas and validation
    "SchemaRegistry": "registry",
    "get_schema": "registry",
    "schema_names": "registry",
    "validator_for": "registry",
    "iter_errors": "validation",
    "validate": "validation",
    "is_valid": "validation",
    "best_match": "validation",
    # timestamps and sizes
    "to_unix": "timestamps",
    "to_iso": "timestamps",
    "is_iso_timestamp": "timestamps",
    "normalize_request_timestamps": "timestamps",
    "convert_iso_attributes": "timestamps",
    "byte_size": "sizes",
    "check_size": "sizes",
    "size_report": "sizes",
    "split_batch": "sizes",
    "Limits": "sizes",
    "get_limits": "sizes",
    # conversion
    "convert": "converters",
    "convert_many": "converters",
    "Conversion": "conversion",
    "ConvertOptions": "conversion",
    "Loss": "conversion",
    "Change": "conversion",
    # errors
    "CioSchemasError": "errors",
    "UnknownRouteError": "errors",
    "NoSuchSchemaError": "errors",
    "InvalidArgumentError": "errors",
    "InvalidRequestError": "errors",
    "InvalidJSONError": "errors",
    "InvalidPayloadError": "errors",
    "InvalidTimestampError": "errors",
    "PayloadTooLargeError": "errors",
    "UnsupportedConversionError": "errors",
    "LossyConversionError": "errors",
    "Problem": "errors",
}

#: Written out, not computed, so that type checkers see what the package exports.
__all__ = [
    "Change",
    "CioSchemasError",
    "Conversion",
    "ConvertOptions",
    "InvalidArgumentError",
    "InvalidJSONError",
    "InvalidPayloadError",
    "InvalidRequestError",
    "InvalidTimestampError",
    "Limits",
    "Loss",
    "LossyConversionError",
    "NoSuchSchemaError",
    "PayloadTooLargeError",
    "Problem",
    "ROUTES",
    "Request",
    "Route",
    "SchemaRegistry",
    "UnknownRouteError",
    "UnsupportedConversionError",
    "best_match",
    "build_path",
    "byte_size",
    "check_size",
    "convert",
    "convert_iso_attributes",
    "convert_many",
    "get_limits",
    "get_schema",
    "is_iso_timestamp",
    "is_valid",
    "iter_errors",
    "match_route",
    "normalize_request_timestamps",
    "schema_names",
    "size_report",
    "split_batch",
    "to_iso",
    "to_unix",
    "validate",
    "validator_for",
    "__version__",
]

if TYPE_CHECKING:  # pragma: no cover - at run time the names resolve lazily (see __getattr__)
    from .catalog import ROUTES, Route, match_route
    from .conversion import Change, Conversion, ConvertOptions, Loss
    from .converters import convert, convert_many
    from .errors import (
        CioSchemasError,
        InvalidArgumentError,
        InvalidJSONError,
        InvalidPayloadError,
        InvalidRequestError,
        InvalidTimestampError,
        LossyConversionError,
        NoSuchSchemaError,
        PayloadTooLargeError,
        Problem,
        UnknownRouteError,
        UnsupportedConversionError,
    )
    from .registry import SchemaRegistry, get_schema, schema_names, validator_for
    from .request import Request, build_path
    from .sizes import Limits, byte_size, check_size, get_limits, size_report, split_batch
    from .timestamps import convert_iso_attributes, is_iso_timestamp, normalize_request_timestamps, to_iso, to_unix
    from .validation import best_match, is_valid, iter_errors, validate


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cio_schemas' has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
