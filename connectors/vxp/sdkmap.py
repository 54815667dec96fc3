"""The SDK's header map: a ``java.util.HashMap<String, String>`` and its iteration order (§3.1).

The SDK sends its parameters, the ``sign-header-key`` list and the signed JSON in the map's
iteration order. A HashMap iterates bucket by bucket (bucket = spread ``String.hashCode()`` masked
by the table size) and, inside a bucket, in insertion order; resizing splits buckets but keeps that
relative order. Emulating it reproduces every key order captured in spec §3.2 and the signed JSON
of the §4.2 ``sendEdoc`` example, so the client's traffic is byte-identical to the SDK's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

_INITIAL_CAPACITY = 16  # HashMap() default
_LOAD_FACTOR = 0.75


def java_string_hash(text: str) -> int:
    """``String.hashCode()`` (over UTF-16 code units) as an unsigned 32-bit int."""
    value = 0
    data = text.encode("utf-16-be", "surrogatepass")
    for index in range(0, len(data), 2):
        value = (31 * value + int.from_bytes(data[index : index + 2], "big")) & 0xFFFFFFFF
    return value


def _spread(value: int) -> int:
    # HashMap.hash(): h ^ (h >>> 16)
    return value ^ (value >> 16)


def _capacity(size: int) -> int:
    capacity = _INITIAL_CAPACITY
    while size > capacity * _LOAD_FACTOR:
        capacity *= 2
    return capacity


def sdk_key_order(keys: Iterable[str]) -> list[str]:
    """Iteration order of a default ``HashMap`` into which ``keys`` were put in this order.

    Duplicate keys keep their first position (``put`` of an existing key replaces the value only).
    Tree bins (eight or more keys in one bucket) are not emulated; the SDK never gets near them.
    """
    unique = list(dict.fromkeys(keys))
    mask = _capacity(len(unique)) - 1
    position = {key: index for index, key in enumerate(unique)}
    return sorted(unique, key=lambda key: (_spread(java_string_hash(key)) & mask, position[key]))


class SdkHeaderMap:
    """An insertion-remembering map that iterates like the SDK's ``HashMap`` (§3.1, §3.2).

    ``put`` replaces a value in place; nothing is ever removed, which is the SDK's stickiness.
    """

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._values: dict[str, str] = {}
        for key, value in items:
            self.put(key, value)

    def put(self, key: str, value: str) -> None:
        """Set ``key`` (exact case) to ``value``; a new key is appended to the insertion order."""
        self._values[key] = value

    def copy(self) -> SdkHeaderMap:
        """An independent copy with the same insertion order."""
        return SdkHeaderMap(self._values.items())

    def items(self) -> list[tuple[str, str]]:
        """The entries in the SDK's iteration order."""
        return [(key, self._values[key]) for key in sdk_key_order(self._values)]

    def keys(self) -> list[str]:
        """The keys in the SDK's iteration order."""
        return sdk_key_order(self._values)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __contains__(self, key: object) -> bool:
        return key in self._values
