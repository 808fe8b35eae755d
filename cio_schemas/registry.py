"""The shipped JSON Schemas, loaded once, resolvable offline.

Schemas live in the wheel as ``cio_schemas/schemas/`` (copied from the
repository's top-level ``schemas/`` at build time); an editable checkout falls
back to that top-level folder. Every ``$ref`` resolves through one
:class:`referencing.Registry`; a reference to anything that is not shipped is
an error, never a network fetch.

A schema's *name* is its path below ``schemas/`` without ``.json``
(``track_v1/identify``); its ``$id`` is ``https://cio-schemas.dev/schemas/<name>.json``.

Verdicts and reports: ``jsonschema`` writes every report, but a valid value
never reaches it. :meth:`SchemaRegistry.fast_validator` gives the yes/no verdict
first, from ``jsonschema-rs`` when it is installed (``pip install
cio-schemas[fast]``), else from the schema compiled into Python closures
(:mod:`cio_schemas._compiled`); both give exactly ``jsonschema``'s verdicts. The
environment variable ``CIO_SCHEMAS_ENGINE`` chooses:

``auto`` (the default)
    ``jsonschema-rs`` if installed, else the compiled schemas.
``python``
    the compiled schemas, even with ``jsonschema-rs`` installed.
``jsonschema``
    no verdict engine: ``jsonschema`` validates everything (the slowest).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from jsonschema import validators as _validators
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from .errors import InvalidArgumentError, NoSuchSchemaError

__all__ = [
    "BASE_URI",
    "SchemaRegistry",
    "get_schema",
    "schema_names",
    "validator_for",
    "json_byte_length",
]

BASE_URI = "https://cio-schemas.dev/schemas/"


def json_byte_length(value: Any) -> int:
    """The ``maxBytes`` measure: UTF-8 length of a string, else of its compact JSON form."""
    kind = type(value)
    if kind is str:
        return len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass"))
    if kind is int:
        return len(str(value))
    if kind is bool:
        return 4 if value else 5
    if value is None:
        return 4
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    return len(_COMPACT(value).encode("utf-8", "surrogatepass"))


_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=True).encode


def _max_bytes(validator: Any, limit: int, instance: Any, schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    size = json_byte_length(instance)
    if size > limit:
        what = "string" if isinstance(instance, str) else "value"
        yield ValidationError(f"{what} is {size} bytes long; the limit is {limit} bytes (UTF-8)")


#: RFC 3339 ``date-time`` with every field's range in the pattern; only days 29-31 need a calendar.
_RFC3339 = re.compile(
    r"(?!0000)(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?"
    r"(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)",
    re.ASCII,
)


def _is_datetime(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    m = _RFC3339.fullmatch(instance)
    if m is None:
        return False
    year, month, day = m.group(1, 2, 3)
    if day > "28":
        try:
            datetime(int(year), int(month), int(day))
        except ValueError:
            return False
    return True


def _is_email(instance: object) -> bool:
    return not isinstance(instance, str) or "@" in instance


FORMAT_CHECKER = FormatChecker(formats=())
FORMAT_CHECKER.checks("date-time")(_is_datetime)
FORMAT_CHECKER.checks("email")(_is_email)

#: Draft 2020-12 plus cio-schemas' ``maxBytes`` keyword.
CioValidator: type[Validator] = _validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    {"maxBytes": _max_bytes},
    # A tuple is a JSON array here, as it is to the plain-JSON check, json.dumps and jsonschema-rs.
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine(
        "array", lambda checker, instance: isinstance(instance, (list, tuple))
    ),
)


def _engine_setting() -> str:
    """``CIO_SCHEMAS_ENGINE``: ``auto`` (the default), ``python`` or ``jsonschema`` (see the module docstring).

    Any other value is read as ``auto``, with a warning naming the three.
    """
    import os

    value = os.environ.get("CIO_SCHEMAS_ENGINE", "auto").strip().lower()
    if value not in ("auto", "python", "jsonschema"):
        import warnings

        warnings.warn(
            f"CIO_SCHEMAS_ENGINE={value!r} is not 'auto', 'python' or 'jsonschema'; using 'auto'",
            RuntimeWarning,
            stacklevel=3,
        )
        return "auto"
    return value


def _load_fast_engine(setting: str) -> Any:
    """``jsonschema_rs`` when it is installed and not switched off (``CIO_SCHEMAS_ENGINE=python`` or ``jsonschema``)."""
    if setting in ("python", "jsonschema"):
        return None
    try:
        import jsonschema_rs
    except ImportError:
        return None
    return jsonschema_rs


#: A date-time that :func:`_is_datetime` accepts without its calendar check (day 01-28 exists in every
#: month), as a ``pattern`` ``jsonschema-rs`` matches natively; anything else goes to the callback.
_DATETIME_NO_CALENDAR = (
    r"^(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(?:0[1-9]|1[0-2])"
    r"-(?:0[1-9]|1[0-9]|2[0-8])[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?"
    r"(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"
)


#: A flat object whose compact JSON is short, whatever it holds: names of at most 50 characters, values that
#: are strings of at most 200 characters, booleans, null, or numbers within ±10^15 (at most 24 characters as
#: Python writes floats). A character takes at most 6 bytes (``\u001f``), so one member, with its quotes,
#: colon and comma, takes at most :data:`_FLAT_PROPERTY_BYTES`; ``(limit - 1) // that`` members fit ``limit``
#: with the braces.
_FLAT_OBJECT: dict[str, Any] = {
    "propertyNames": {"maxLength": 50},
    "additionalProperties": {
        "anyOf": [
            {"type": "string", "maxLength": 200},
            {"type": ["boolean", "null"]},
            {"type": "number", "minimum": -(10**15), "maximum": 10**15},
        ]
    },
}
_FLAT_PROPERTY_BYTES = (6 * 50 + 2) + 1 + (6 * 200 + 2) + 1

#: Keywords whose value maps names (property names, definition names) to schemas.
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "dependentSchemas", "$defs", "definitions"})


def _native_first(node: Any) -> Any:
    """A copy of a bundled schema whose checks ``jsonschema-rs`` can mostly do without calling back into Python.

    Each rewrite keeps the verdict, by putting a native check that can only pass
    where the Python one passes in front of it (``anyOf`` stops at the first
    branch that holds): ``format: email`` is ``"@" in`` the string, i.e.
    ``pattern: "@"``; a ``date-time`` whose day is 01-28 needs no calendar; a
    string of at most ``limit // 4`` characters cannot exceed ``maxBytes: limit``
    (UTF-8 takes at most 4 bytes per character), nor can a small flat object
    (:data:`_FLAT_OBJECT`). Other formats are dropped: only
    these two are asserted, by every engine.
    """
    if isinstance(node, list):
        return [_native_first(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("const", "enum"):  # values, not schemas
            out[key] = value
        elif key in _SCHEMA_MAPS and isinstance(value, dict):  # names (any word, "enum" too) → schemas
            out[key] = {name: _native_first(sub) for name, sub in value.items()}
        else:
            out[key] = _native_first(value)
    guards: list[Any] = []
    form = out.get("format")
    if isinstance(form, str):
        del out["format"]  # a format cio-schemas does not check is an annotation, as it is to jsonschema
        if form == "email":
            guards.append({"pattern": "@"})
        elif form == "date-time":
            guards.append({"anyOf": [{"pattern": _DATETIME_NO_CALENDAR}, {"format": "date-time"}]})
    limit = out.get("maxBytes")
    if type(limit) is int and limit >= 0:
        del out["maxBytes"]
        native: list[Any] = [{"type": "string", "maxLength": limit // 4}]
        most = (limit - 1) // _FLAT_PROPERTY_BYTES
        if most >= 1:
            native.append({"type": "object", "maxProperties": most, **_FLAT_OBJECT})
        guards.append({"anyOf": [*native, {"maxBytes": limit}]})
    if guards:
        out["allOf"] = [*out.get("allOf", ()), *guards]
    return out


def _rust_validator(engine: Any, schema: Any, formats: Mapping[str, Callable[[Any], bool]] | None = None) -> Any:
    """A ``jsonschema-rs`` validator for a bundled schema, with cio-schemas' ``maxBytes`` and format checks.

    ``engine`` is the ``jsonschema_rs`` module; ``formats`` replaces the format
    checks (by default :func:`_is_datetime` and :func:`_is_email`).
    """
    return engine.validator_for(
        {"$schema": "https://json-schema.org/draft/2020-12/schema", **_native_first(schema)},
        keywords={"maxBytes": _FastMaxBytes},
        formats=formats if formats is not None else {"date-time": _is_datetime, "email": _is_email},
        validate_formats=True,
        offline=True,
    )


class _FastMaxBytes:
    """``maxBytes`` for the Rust-backed engine (same measure as :func:`json_byte_length`)."""

    def __init__(self, parent_schema: Any, value: int, schema_path: Any) -> None:
        self.limit = value

    def validate(self, instance: Any) -> None:
        if json_byte_length(instance) > self.limit:
            raise ValueError(f"longer than {self.limit} bytes (UTF-8)")


class _FastValidator:
    """A ``jsonschema-rs`` validator whose verdict falls back to the Python engine for values it cannot read.

    ``jsonschema-rs`` raises ``ValueError`` (``Unsupported type``) for subclasses of
    ``str``, ``int`` and ``float`` and for non-JSON values such as ``bytes``; for
    those the Python engine, which accepts them, gives the verdict.
    """

    __slots__ = ("_fallback", "_is_valid")

    def __init__(self, fast: Any, fallback: Callable[[], Validator]) -> None:
        self._is_valid: Callable[[Any], bool] = fast.is_valid
        self._fallback = fallback

    def is_valid(self, instance: Any) -> bool:
        try:
            return self._is_valid(instance)
        except (ValueError, TypeError, OverflowError):
            return bool(self._fallback().is_valid(instance))


def _schema_root() -> Traversable:
    packaged = resources.files("cio_schemas").joinpath("schemas")
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / "schemas"
    if checkout.is_dir():
        return checkout
    raise NoSuchSchemaError("(the schemas folder is missing from this installation)")


def _walk(folder: Traversable, prefix: str = "") -> Iterator[tuple[str, Traversable]]:
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_dir():
            yield from _walk(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(".json"):
            yield prefix + entry.name[: -len(".json")], entry


def _no_remote(uri: str) -> Resource[Any]:
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


class SchemaRegistry:
    """Every shipped schema by name, with one cached validator per schema.

    Build it once (the module-level :data:`REGISTRY` does); it never changes.
    """

    def __init__(self, schemas: Mapping[str, Mapping[str, Any]]) -> None:
        self._schemas: dict[str, Mapping[str, Any]] = dict(schemas)
        self._by_id = {s.get("$id", BASE_URI + n + ".json"): n for n, s in self._schemas.items()}
        # Resources are registered without "$schema": jsonschema would otherwise switch to the plain
        # Draft 2020-12 validator when a $ref enters another file, and stop checking maxBytes.
        self.registry: Registry[Any] = (
            Registry(retrieve=_no_remote)  # type: ignore[call-arg]
            .with_resources(
                (
                    s.get("$id", BASE_URI + n + ".json"),
                    DRAFT202012.create_resource({k: v for k, v in s.items() if k != "$schema"}),
                )
                for n, s in self._schemas.items()
            )
            .crawl()
        )
        self._validators: dict[str, Validator] = {}
        self._fast: dict[str, Any] = {}
        setting = _engine_setting()
        self._engine = _load_fast_engine(setting)
        # Without jsonschema-rs: schemas compiled into Python closures (None: a schema that cannot be compiled).
        self._compiled: dict[str, Any] | None = None if setting == "jsonschema" else {}
        self._compiler: Any = None

    @property
    def engine(self) -> str:
        """``"rust"`` when verdicts come from ``jsonschema-rs`` (reports still come from ``jsonschema``),
        else ``"python"``."""
        return "rust" if self._engine is not None else "python"

    def fast_validator(self, name: str, pointer: str = "", shallow: str | None = None) -> Any:
        """An object whose ``is_valid(instance)`` gives ``jsonschema``'s verdict, faster; or None.

        The schema is the bundled ``name``, its subschema at ``#pointer``, or with
        ``shallow`` the schema without the items of its array property ``shallow``
        (as :meth:`shallow_validator`). The verdicts come from ``jsonschema-rs``
        (:attr:`engine` ``"rust"``), else from the schema compiled into Python
        closures; None when ``CIO_SCHEMAS_ENGINE=jsonschema`` switches both off, or
        for a schema using a keyword the compiler does not implement.
        """
        key = name + "#" + pointer + ("!" + shallow if shallow else "")
        if self._engine is None:
            return self._compiled_validator(key, name, pointer, shallow)
        found = self._fast.get(key)
        if found is None:
            fast = _rust_validator(self._engine, self._verdict_schema(name, pointer, shallow, annotations=False))
            if shallow:
                found = _FastValidator(fast, lambda: self.shallow_validator(name, shallow))
            else:
                found = _FastValidator(fast, lambda: self.validator(name, pointer))
            self._fast[key] = found
        return found

    def _verdict_schema(self, name: str, pointer: str, shallow: str | None, annotations: bool = True) -> Any:
        """The bundled schema :meth:`fast_validator` gives verdicts for."""
        schema: Any = self.bundled(name, annotations=annotations)
        for part in pointer.strip("/").split("/") if pointer else ():
            schema = schema[int(part)] if isinstance(schema, list) else schema[part]
        if shallow:
            prop = schema.get("properties", {}).get(shallow)
            if isinstance(prop, dict):
                prop.pop("items", None)
        return schema

    def _compiled_validator(self, key: str, name: str, pointer: str, shallow: str | None) -> Any:
        """The compiled verdict for :meth:`fast_validator` (cached; None when switched off or not compilable)."""
        if self._compiled is None:
            return None
        if key in self._compiled:
            return self._compiled[key]
        from ._compiled import CompiledValidator, Compiler, UnsupportedSchemaError

        if self._compiler is None:
            self._compiler = Compiler()
        schema = self._verdict_schema(name, pointer, shallow, annotations=False)
        try:
            found: Any = CompiledValidator(schema, self._compiler)
        except UnsupportedSchemaError:
            found = None
        self._compiled[key] = found
        return found

    @classmethod
    def load(cls) -> SchemaRegistry:
        """Read every ``*.json`` under the shipped ``schemas/`` folder."""
        root = _schema_root()
        return cls({name: json.loads(entry.read_text(encoding="utf-8")) for name, entry in _walk(root)})

    def names(self) -> list[str]:
        """All schema names, sorted."""
        return sorted(self._schemas)

    def __contains__(self, name: object) -> bool:
        return name in self._schemas

    def raw(self, name: str) -> Mapping[str, Any]:
        """The schema itself (shared, do not modify: use :func:`get_schema` for a copy)."""
        try:
            return self._schemas[name]
        except KeyError:
            if name in self._by_id:
                return self._schemas[self._by_id[name]]
            raise NoSuchSchemaError(name) from None

    def uri(self, name: str) -> str:
        """The ``$id`` of a schema."""
        return str(self.raw(name).get("$id", BASE_URI + name + ".json"))

    def bundled(self, name: str, pointer: str = "", *, annotations: bool = True) -> dict[str, Any]:
        """The schema (or its subschema at ``#pointer``) with every ``$ref`` inlined: a new, self-contained dict.

        Validating against the bundled form gives the same verdicts and error
        locations as the original, without a registry lookup per ``$ref``: that
        lookup is most of what pure-Python validation costs. ``annotations=False``
        leaves out the keywords that never change a verdict (titles, descriptions,
        examples, defaults).
        """
        uri = self.uri(name)
        resolver = self.registry.resolver(base_uri=uri)
        node: Any = self.raw(name)
        if pointer.strip("/"):
            try:
                resolved = resolver.lookup("#" + pointer)
            except Unresolvable:
                raise NoSuchSchemaError(f"{name}#{pointer}") from None
            node, resolver = resolved.contents, resolved.resolver
        return self._self_contained(node, resolver, annotations, f"{name}#{pointer}")

    def inline(self, schema: Mapping[str, Any], *, annotations: bool = True) -> dict[str, Any]:
        """A schema of your own made self-contained: its ``$ref`` references may point into the shipped schemas.

        Relative references resolve against the schema's ``$id``, by default
        against ``https://cio-schemas.dev/schemas/`` (so ``common/track.json#/$defs/…`` works).
        """
        base = schema.get("$id")
        uri = urljoin(BASE_URI, base) if isinstance(base, str) else BASE_URI
        resolver = self.registry.resolver(base_uri=uri)
        return self._self_contained(schema, resolver, annotations, uri)

    @staticmethod
    def _self_contained(node: Any, resolver: Any, annotations: bool, what: str) -> dict[str, Any]:
        try:
            out = _inline(node, resolver, 0, frozenset() if annotations else ANNOTATIONS)
        except Unresolvable as exc:
            raise NoSuchSchemaError(f"{exc} (a $ref in {what})") from None
        if not isinstance(out, dict):
            raise NoSuchSchemaError(f"{what} (not a schema object)")
        return out

    def validator(self, name: str, pointer: str = "") -> Validator:
        """The (cached) validator for a schema, or for the subschema at ``#pointer`` inside it."""
        key = name + "#" + pointer
        found = self._validators.get(key)
        if found is None:
            schema: Any = self.bundled(name)
            for part in pointer.strip("/").split("/") if pointer else ():
                schema = schema[int(part)] if isinstance(schema, list) else schema[part]
            found = CioValidator(schema, registry=self.registry, format_checker=FORMAT_CHECKER)
            self._validators[key] = found
        return found

    def shallow_validator(self, name: str, array_key: str) -> Validator:
        """A validator for a batch envelope that checks ``array_key`` is an array but not its items.

        Items are dispatched one by one instead, so that each error names the
        item's own rule rather than "not valid under any of the given schemas".
        """
        key = name + "!shallow:" + array_key
        found = self._validators.get(key)
        if found is None:
            schema = self.bundled(name)
            prop = schema.get("properties", {}).get(array_key)
            if isinstance(prop, dict):
                prop.pop("items", None)
            found = CioValidator(schema, registry=self.registry, format_checker=FORMAT_CHECKER)
            self._validators[key] = found
        return found


_MAX_INLINE_DEPTH = 32


#: Keywords that only annotate: they never change what validates.
ANNOTATIONS = frozenset(
    {"title", "description", "examples", "default", "readOnly", "writeOnly", "deprecated", "$comment"}
)
_NOT_SCHEMAS = frozenset({"enum", "const", "required", "dependentRequired", "examples", "default"})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "dependentSchemas"})


def _inline(node: Any, resolver: Any, depth: int, drop: frozenset[str] = frozenset()) -> Any:
    """A copy of ``node`` with ``$ref``s replaced by what they point at (recursively).

    Keys in ``drop`` are left out of every subschema; values that are data, not
    schemas (``enum``, ``const``, ``examples`` …), are kept as they are.
    """
    if isinstance(node, list):
        return [_inline(v, resolver, depth, drop) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in drop or key in ("$ref", "$defs", "$id", "$schema"):
            continue
        if key in _NOT_SCHEMAS:
            out[key] = value
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {k: _inline(v, resolver, depth, drop) for k, v in value.items()}
        else:
            out[key] = _inline(value, resolver, depth, drop)
    ref = node.get("$ref")
    if isinstance(ref, str):
        if depth >= _MAX_INLINE_DEPTH:  # pragma: no cover - the shipped schemas are not recursive
            raise NoSuchSchemaError(f"{ref} (nested too deeply to inline)")
        resolved = resolver.lookup(ref)
        target = _inline(resolved.contents, resolved.resolver, depth + 1, drop)
        if not out:
            return target
        out["allOf"] = [target, *out.get("allOf", [])]
    return out


@lru_cache(maxsize=1)
def _registry() -> SchemaRegistry:
    return SchemaRegistry.load()


def __getattr__(name: str) -> Any:
    if name == "REGISTRY":
        return _registry()
    raise AttributeError(name)


def schema_names() -> list[str]:
    """The names of every shipped schema (``track_v1/identify``, ``pipelines/semantic/user_deleted`` …)."""
    return _registry().names()


def _check_name(function: str, name: object) -> None:
    if not isinstance(name, str):
        raise InvalidArgumentError(
            f"{function}() takes a schema name such as 'track_v1/identify' (or a schema's $id), "
            f"not {InvalidArgumentError.describe(name)}; "
            "schema_names() and `cio-schemas schemas` list them",
            "name",
            name,
        )


def get_schema(name: str) -> dict[str, Any]:
    """A copy of the schema called ``name`` (or with that ``$id``); :class:`NoSuchSchemaError` if none."""
    _check_name("get_schema", name)
    return copy.deepcopy(dict(_registry().raw(name)))


def validator_for(name: str) -> Validator:
    """The cached validator for schema ``name`` (Draft 2020-12 + ``maxBytes``, formats asserted, offline)."""
    _check_name("validator_for", name)
    return _registry().validator(name)
