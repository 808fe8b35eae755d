"""Conversion results, and the bookkeeping that keeps conversions honest.

A converter reads its input through :class:`Node` views. Every key it takes is
marked as used; when the conversion ends, every key nobody took becomes a
:class:`Loss` (``no-home``), so a field can never disappear silently: a
converter that forgets a field reports it instead of dropping it.

Pointers in losses and changes are RFC 6901 JSON pointers into the *input
request's* JSON form: ``/body/traits/plan``, ``/body/batch/3/context``, or
``/path`` for what the path carried.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from .errors import InvalidArgumentError, UnsupportedConversionError, abridge, pointer_from_parts
from .request import Request
from .sizes import LIMIT_PROFILES, Limits, get_limits, valid_kb

__all__ = [
    "Loss",
    "Change",
    "Conversion",
    "ConvertOptions",
    "Context",
    "Node",
    "Target",
    "REASONS",
    "CHANGE_REASONS",
]

Target = Literal["pipelines", "track-v1", "track-v2"]

#: Every loss reason code, with what it means.
REASONS: Mapping[str, str] = {
    "no-home": "the target API has no field for this value",
    "not-allowed": "the target API's schema does not allow this value here",
    "precision": "the target keeps whole seconds; the sub-second part was dropped",
    "offset": "the target keeps an absolute instant; the original UTC offset or text form was dropped",
    "identifier-kind": "the identifier's kind (id, email, cio_id) cannot be told from its value in the target",
    "read-only": "the field is read-only and is not sent",
    "conflict": "another input value already fills the same target field",
    "too-large": "the item is over the target's size limit on its own",
    "ignored": "the target ignores this value for this operation",
    "unsupported": "this batch item has no counterpart in the target; the rest of the batch was converted",
}


#: Every change reason code, with what it means (a change loses nothing; strict mode allows it).
CHANGE_REASONS: Mapping[str, str] = {
    "timestamp": "a date-time written in the target's form (ISO 8601 as Unix seconds, or the reverse)",
    "type": "a value written as another JSON type (an object type 1 as the string '1', a number as its digits)",
    "shape": "the operation is carried whole, and converting back gives it in another form (after names it)",
    "implied": "the value is said by the target's route or action, and converting back leaves it out (the default)",
    "moved": "the value is carried, and converting back puts it in another place (before and after name the places)",
}


@dataclass(frozen=True)
class Loss:
    """One input value with no home in the target: where it was, what it was, why."""

    pointer: str
    value: Any
    reason: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The loss as a JSON-compatible dict: ``pointer``, ``value``, ``reason``, ``message``."""
        return {"pointer": self.pointer, "value": self.value, "reason": self.reason, "message": self.message}

    def __str__(self) -> str:
        return f"{self.pointer or '(request)'}: {self.message} [{self.reason}] (value {abridge(self.value)})"


@dataclass(frozen=True)
class Change:
    """One input value carried in another form (an ISO string written as Unix seconds, …)."""

    pointer: str
    before: Any
    after: Any
    reason: str = "timestamp"

    def to_dict(self) -> dict[str, Any]:
        """The change as a JSON-compatible dict: ``pointer``, ``before``, ``after``, ``reason``."""
        return {"pointer": self.pointer, "before": self.before, "after": self.after, "reason": self.reason}


@dataclass(frozen=True)
class ConvertOptions:
    """Knobs of :func:`cio_schemas.convert` (every one has a documented default).

    - ``identifier_kind``: how a bare Pipelines ``userId`` is read when a Track
      identifier kind is needed: ``"auto"`` (``cio_`` prefix → cio_id, an email
      shape → email, else id; the rule Customer.io's own Segment destination
      uses), or force ``"id"``, ``"email"`` or ``"cio_id"``.
    - ``relationship_key``: where ``/group`` calls carry relationship attributes
      when written: ``"relationship_traits"`` (the comparison page) or
      ``"relationshipAttributes"`` (the OpenAPI). Both are read.
    - ``convert_iso_attributes``: when going to Track, ISO 8601 strings inside
      traits/properties become Unix seconds (each one reported as a change).
    - ``limits``: the size limits used to chunk batches: a profile name
      (``"default"`` or ``"pipelines-openapi"``), with ``kb`` its kilobyte
      (1000 or 1024), or a :class:`~cio_schemas.sizes.Limits` value (used as
      it is; ``kb`` does not apply to it).

    Every value is checked when the options are made: anything else raises
    :class:`~cio_schemas.errors.InvalidArgumentError` naming the allowed values.
    """

    identifier_kind: Literal["auto", "id", "email", "cio_id"] = "auto"
    relationship_key: Literal["relationship_traits", "relationshipAttributes"] = "relationship_traits"
    convert_iso_attributes: bool = True
    limits: str | Limits = "default"
    kb: int = 1000

    _IDENTIFIER_KINDS = ("auto", "id", "email", "cio_id")
    _RELATIONSHIP_KEYS = ("relationship_traits", "relationshipAttributes")

    def __post_init__(self) -> None:
        for name, allowed in (
            ("identifier_kind", self._IDENTIFIER_KINDS),
            ("relationship_key", self._RELATIONSHIP_KEYS),
        ):
            value = getattr(self, name)
            if not isinstance(value, str) or value not in allowed:
                self._reject(name, value, "one of " + ", ".join(map(repr, allowed)))
        if not isinstance(self.convert_iso_attributes, bool):
            self._reject("convert_iso_attributes", self.convert_iso_attributes, "True or False")
        if not isinstance(self.limits, Limits) and not (isinstance(self.limits, str) and self.limits in LIMIT_PROFILES):
            self._reject("limits", self.limits, "a Limits value or one of " + ", ".join(map(repr, LIMIT_PROFILES)))
        if not valid_kb(self.kb):
            self._reject("kb", self.kb, "1000 or 1024")

    @staticmethod
    def _reject(name: str, value: Any, allowed: str) -> None:
        raise InvalidArgumentError(
            f"ConvertOptions.{name} must be {allowed}, not {InvalidArgumentError.describe(value)}", name, value
        )

    @classmethod
    def resolve(cls, options: Any = None, **values: Any) -> ConvertOptions:
        """The options of a :func:`~cio_schemas.convert` call, given as ``options=`` or as keywords (not both).

        Raises :class:`~cio_schemas.errors.InvalidArgumentError` for an
        ``options`` that is not a :class:`ConvertOptions`, for both forms at
        once, for an unknown keyword and for an invalid value.
        """
        if options is not None:
            if not isinstance(options, ConvertOptions):
                raise InvalidArgumentError(
                    "options= takes a ConvertOptions value (ConvertOptions(identifier_kind='email')), "
                    f"not {InvalidArgumentError.describe(options)}",
                    "options",
                    options,
                )
            if values:
                raise InvalidArgumentError(
                    f"pass either options= or option keywords ({', '.join(sorted(values))}), not both", "options"
                )
            return options
        if not values and cls is ConvertOptions:
            return _DEFAULT_OPTIONS
        known = [f.name for f in fields(cls)]
        unknown = sorted(k for k in values if k not in known)
        if unknown:
            raise InvalidArgumentError(
                f"unknown option(s) {', '.join(map(repr, unknown))}; the options are {', '.join(known)}",
                unknown[0],
                values[unknown[0]],
            )
        return cls(**values)


_DEFAULT_OPTIONS = ConvertOptions()


@dataclass(frozen=True)
class Conversion:
    """What :func:`cio_schemas.convert` returns.

    ``requests`` are the converted requests in order (one input may become
    several); ``losses`` lists every input value that has no home in the target;
    ``changes`` lists values carried in another form; ``notes`` are warnings about
    what the converted requests will do (an alias becomes a destructive merge).
    """

    source: Request
    target: str
    requests: tuple[Request, ...]
    losses: tuple[Loss, ...] = ()
    changes: tuple[Change, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def lossless(self) -> bool:
        """True when nothing was dropped."""
        return not self.losses

    def to_json(self) -> dict[str, Any]:
        """A JSON-compatible summary (the CLI's ``--losses`` lines use it)."""
        return {
            "source": self.source.to_json(),
            "target": self.target,
            "requests": [r.to_json() for r in self.requests],
            "losses": [loss.to_dict() for loss in self.losses],
            "changes": [c.to_dict() for c in self.changes],
            "notes": list(self.notes),
        }


_MISSING: Any = object()
_new = object.__new__


class Node:
    """A read-only view of one input object that records which keys were used.

    ``take`` returns a value and marks its key used; ``node`` returns a child
    view; ``rest`` hands over every key not yet used; ``drop`` marks a key as
    knowingly lost with its reason. Whatever is left unused when the
    conversion finishes is reported by :meth:`Context.finish` as ``no-home``.
    """

    __slots__ = ("_ctx", "_used", "data", "pointer")

    def __init__(self, ctx: Context, data: Mapping[str, Any], pointer: str) -> None:
        self._ctx = ctx
        self.data = data
        self.pointer = pointer
        self._used: set[str] = set()
        ctx._nodes.append(self)

    def at(self, key: str | int) -> str:
        """The pointer of ``key`` inside this object."""
        if isinstance(key, str) and "~" not in key and "/" not in key:
            return self.pointer + "/" + key
        return self.pointer + pointer_from_parts([key])

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def peek(self, key: str, default: Any = None) -> Any:
        """The value of ``key`` without marking it used."""
        return self.data.get(key, default)

    def take(self, key: str, default: Any = None) -> Any:
        """The value of ``key`` (``default`` if absent), marking it used."""
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            return default
        self._used.add(key)
        return value

    def node(self, key: str) -> Node | None:
        """A child view of ``key`` if it holds an object (the key itself counts as used)."""
        value = self.data.get(key)
        if isinstance(value, Mapping):
            self._used.add(key)
            return Node(self._ctx, value, self.at(key))
        return None

    def rest(self) -> dict[str, Any]:
        """Every key not used yet (now marked used), as a new shallow dict."""
        out = {k: v for k, v in self.data.items() if k not in self._used}
        self._used.update(out)
        return out

    def drop(self, key: str, reason: str, message: str) -> None:
        """Record ``key`` (if present) as lost on purpose."""
        if key in self.data:
            self._used.add(key)
            self._ctx.lose(self.at(key), self.data[key], reason, message)

    def use(self, *keys: str) -> None:
        """Mark keys as used without reading them (their values are carried elsewhere)."""
        self._used.update(k for k in keys if k in self.data)

    def unused(self) -> Iterator[str]:
        """The keys nobody has used (yet)."""
        return (k for k in self.data if k not in self._used)


@dataclass
class Context:
    """Per-conversion state: the source, the target, options, and what was lost or changed."""

    source: Request
    target: str
    options: ConvertOptions = field(default_factory=ConvertOptions)
    losses: list[Loss] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _nodes: list[Node] = field(default_factory=list)
    #: The size limits the options name, resolved once for the whole conversion.
    limits: Limits = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.limits = get_limits(self.options.limits, kb=self.options.kb)

    def root(self, body: Mapping[str, Any], pointer: str = "/body") -> Node:
        """A view of a body (or batch item) at ``pointer``."""
        return Node(self, body, pointer)

    def lose(self, pointer: str, value: Any, reason: str, message: str) -> None:
        """Record one loss (``reason``: a key of :data:`REASONS`)."""
        # Equal to Loss(pointer, value, reason, message), without the frozen dataclass's per-field
        # object.__setattr__ calls: a batch conversion records several losses per item.
        loss = _new(Loss)
        loss.__dict__.update(pointer=pointer, value=value, reason=reason, message=message)
        self.losses.append(loss)

    def change(self, pointer: str, before: Any, after: Any, reason: str = "timestamp") -> None:
        """Record one value carried in another form (``reason``: a key of :data:`CHANGE_REASONS`)."""
        change = _new(Change)
        change.__dict__.update(pointer=pointer, before=before, after=after, reason=reason)
        self.changes.append(change)

    def note(self, text: str) -> None:
        """Record a warning about what the output will do."""
        if text not in self.notes:
            self.notes.append(text)

    def unsupported(self, reason: str) -> UnsupportedConversionError:
        """The error to raise when the input has no counterpart in the target."""
        return UnsupportedConversionError(f"{self.source.method} {self.source.route.template}", self.target, reason)

    def mark(self) -> tuple[int, int, int, int]:
        """A checkpoint of everything recorded so far (see :meth:`rollback`)."""
        return len(self.losses), len(self.changes), len(self.notes), len(self._nodes)

    def rollback(self, mark: tuple[int, int, int, int]) -> None:
        """Forget what was recorded after ``mark`` (an item that turned out to be unsupported)."""
        del self.losses[mark[0] :], self.changes[mark[1] :], self.notes[mark[2] :], self._nodes[mark[3] :]

    def finish(self) -> None:
        """Report every key no converter used as a ``no-home`` loss (in input order)."""
        for node in self._nodes:
            if len(node._used) == len(node.data):  # _used only ever holds keys of data: all used
                continue
            for key in list(node.unused()):
                self.lose(node.at(key), node.data[key], "no-home", f"{self.target} has no field for {key!r} here")
        self._nodes.clear()

    def result(self, requests: list[Request]) -> Conversion:
        """Freeze the state into a :class:`Conversion`."""
        return Conversion(
            source=self.source,
            target=self.target,
            requests=tuple(requests),
            losses=tuple(self.losses),
            changes=tuple(self.changes),
            notes=tuple(self.notes),
        )
