"""Track's limits on single fields, in one place for the converters, the validator and the strategies.

The shipped schemas state the same limits as ``maxBytes`` / ``maxProperties`` (the tests keep the two
equal). Bytes are UTF-8 bytes of a string, or of the compact JSON text of any other value.
"""

from __future__ import annotations

#: A person, object or device identifier (id, email, cio_id, object id), in bytes.
ID_BYTES = 150
#: An attribute name, in bytes.
ATTRIBUTE_NAME_BYTES = 150
#: One attribute value, in bytes.
ATTRIBUTE_VALUE_BYTES = 1000
#: Attributes in one person, object or relationship.
MAX_ATTRIBUTES = 300
#: An event name, in bytes.
EVENT_NAME_BYTES = 100
#: An event's whole ``data`` / ``attributes`` object, in bytes.
EVENT_DATA_BYTES = 100_000
#: An object's (or relationship's) whole attributes object, in bytes.
OBJECT_ATTRIBUTES_BYTES = 100_000
