"""Agency codes (mã định danh) in every form that travels on the axes.

Two administrative forms circulate at the same time for the same agency (spec agency-codes.md):
QCVN 102:2016 (``000.00.18.G12``, level 1 on the right) and QĐ 20/2020/QĐ-TTg (``G12.18.01``,
level 1 on the left). Beside them the axes carry enterprise tax numbers (QĐ 20 Art. 5), scheme codes
of other organisations (QĐ 20 Art. 6) and ids of no known form (``vxp.saas.03``, ``02.29.W00``).

:meth:`AgencyCode.parse` reads any string into one value and never raises: an id of no known form is
kept as given with ``valid=False``, because the node must never reject traffic on format alone
(agency-codes.md §4). Nothing here converts between forms: only a registry record that carries both
codes says that ``G12`` and ``000.00.00.G12`` are the same agency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property, lru_cache


class CodeForm(StrEnum):
    """The form of an agency code; values are the short strings used in JSON and CSV."""

    QCVN102 = "qcvn102"
    QD20 = "qd20"
    TAX = "tax"
    SCHEME = "scheme"
    UNKNOWN = "unknown"


#: The two forms of the administrative hierarchy (level-1 unit, parents by structure).
ADMINISTRATIVE_FORMS = frozenset({CodeForm.QCVN102, CodeForm.QD20})

# Patterns are matched with fullmatch on ASCII text upper-cased, with [0-9] rather than \d so
# that no other Unicode digit is accepted.
# QCVN 102:2016: V1V2V3.Z1Z2.Y1Y2.MX1X2, level 1 (MX1X2) on the right, empty levels zero-filled.
_QCVN102 = re.compile(r"([0-9]{3})\.([0-9]{2})\.([0-9]{2})\.([A-Z][0-9]{2})")
# QĐ 20/2020 Art. 4: level 1 on the left, M in A–Y, dot-separated [A-Z0-9] groups.
_QD20 = re.compile(r"[A-Y][0-9]{2}(?:\.[A-Z0-9]+)*")
#: QĐ 20/2020 Art. 4: total length of a ministry/sector/locality code.
QD20_MAX_LENGTH = 35
# QĐ 20/2020 Art. 6: scheme Z01–Z99 then the id in the scheme (≤ 32 chars), no separator.
_SCHEME = re.compile(r"(Z(?:0[1-9]|[1-9][0-9]))([A-Z0-9]{1,32})")
# QĐ 20/2020 Art. 5: enterprise registration/tax number (10 digits, or 10 + "-" + 3 for a
# dependent unit); state groups appear on the national axis as "02" + tax code.
_TAX = re.compile(r"((?:02)?[0-9]{10})(?:-([0-9]{3}))?")
_ZERO_GROUP = re.compile(r"0+")


def _classify(text: str) -> tuple[CodeForm, str]:
    """Return the form and normalised key of a stripped code."""
    # Non-ASCII text is never a code of a known form; checking first also keeps str.upper()
    # from folding look-alikes (e.g. "ı" -> "I") into a valid code.
    if not text or not text.isascii():
        return CodeForm.UNKNOWN, text
    upper = text.upper()
    if _QCVN102.fullmatch(upper):
        return CodeForm.QCVN102, upper
    if len(upper) <= QD20_MAX_LENGTH and _QD20.fullmatch(upper):
        return CodeForm.QD20, upper
    # Z is outside A–Y, so a scheme code never also reads as a QĐ 20 code (Z01ABC is scheme).
    if _SCHEME.fullmatch(upper):
        return CodeForm.SCHEME, upper
    if _TAX.fullmatch(text):
        return CodeForm.TAX, text
    # Unknown ids are kept exactly as given: only an exact registration routes them.
    return CodeForm.UNKNOWN, text


def _qcvn102_level(groups: tuple[str, ...]) -> int:
    """Level 1 plus one per non-zero group among V (level 4), Z (level 3) and Y (level 2)."""
    return 1 + sum(1 for group in groups[:3] if not _ZERO_GROUP.fullmatch(group))


def _qcvn102_parent(key: str) -> str | None:
    """Zero the deepest non-zero group (leftmost of V, Z, Y); None for a level-1 code."""
    groups = key.split(".")
    for index in range(3):  # V, Z, Y: deepest level first
        if not _ZERO_GROUP.fullmatch(groups[index]):
            groups[index] = "0" * len(groups[index])
            return ".".join(groups)
    return None


@dataclass(frozen=True)
class AgencyCode:
    """One agency code of any form, parsed.

    Build it with :meth:`parse` (``AgencyCode(raw)`` does the same). Two codes are equal when their
    ``form`` and ``key`` are equal: ``AgencyCode.parse(" g12")`` equals ``AgencyCode.parse("G12")``
    but never ``AgencyCode.parse("000.00.00.G12")`` (a cross-form mapping needs the registry).
    """

    raw: str = field(compare=False)
    """The code as given with surrounding whitespace stripped; ``str(code)`` returns it."""
    form: CodeForm = field(init=False)
    key: str = field(init=False)
    """Normalised key: upper-case for the known forms, the raw text for unknown ids."""
    level1: str | None = field(init=False, compare=False)
    """The level-1 unit ``MX1X2`` (``H14`` for both ``000.00.00.H14`` and ``H14.01``)."""
    level: int | None = field(init=False, compare=False)
    """1–4 for QCVN 102, number of groups for QĐ 20, 1/2 for tax numbers, 1 for schemes."""

    def __post_init__(self) -> None:
        if not isinstance(self.raw, str):
            raise TypeError(f"an agency code is a str, not {type(self.raw).__name__}")
        text = self.raw.strip()
        form, key = _classify(text)
        level1: str | None = None
        level: int | None = None
        if form is CodeForm.QCVN102:
            groups = tuple(key.split("."))
            level1, level = groups[3], _qcvn102_level(groups)
        elif form is CodeForm.QD20:
            groups = tuple(key.split("."))
            level1, level = groups[0], len(groups)
        elif form is CodeForm.TAX:
            level = 2 if "-" in key else 1  # a dependent unit sits under its enterprise
        elif form is CodeForm.SCHEME:
            level = 1
        object.__setattr__(self, "raw", text)
        object.__setattr__(self, "form", form)
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "level1", level1)
        object.__setattr__(self, "level", level)

    @classmethod
    def parse(cls, raw: str) -> AgencyCode:
        """Parse any string into an agency code; never raises for a ``str`` argument.

        Codes are immutable values, so the latest few thousand parsed are shared: an accept
        reads the same sender and recipient codes a dozen times (grants, routing, the registry).
        """
        if cls is AgencyCode and isinstance(raw, str):
            return _parse_shared(raw)
        return cls(raw)

    def __str__(self) -> str:
        return self.raw

    @property
    def valid(self) -> bool:
        """True when the code has one of the known forms (not ``unknown``)."""
        return self.form is not CodeForm.UNKNOWN

    @property
    def is_administrative(self) -> bool:
        """True for the two forms of the administrative hierarchy (QCVN 102 and QĐ 20)."""
        return self.form in ADMINISTRATIVE_FORMS

    @cached_property
    def parents(self) -> tuple[AgencyCode, ...]:
        """The parent codes implied by the structure, in the same form, nearest first.

        ``000.01.18.G12`` gives ``000.00.18.G12`` then ``000.00.00.G12``; ``G12.18.01`` gives
        ``G12.18`` then ``G12``; a dependent tax unit ``0100107370-001`` gives ``0100107370``.
        Codes of level 1, schemes and unknown ids have no structural parents.
        """
        chain: list[AgencyCode] = []
        if self.form is CodeForm.QCVN102:
            parent = _qcvn102_parent(self.key)
            while parent is not None:
                chain.append(AgencyCode(parent))
                parent = _qcvn102_parent(parent)
        elif self.form is CodeForm.QD20:
            groups = self.key.split(".")
            chain.extend(AgencyCode(".".join(groups[:n])) for n in range(len(groups) - 1, 0, -1))
        elif self.form is CodeForm.TAX and "-" in self.key:
            chain.append(AgencyCode(self.key.split("-", 1)[0]))
        return tuple(chain)

    @property
    def parent(self) -> AgencyCode | None:
        """The nearest structural parent, or None."""
        return self.parents[0] if self.parents else None

    def to_dict(self) -> dict[str, object]:
        """Return the parsed code as a JSON-ready mapping (parents as keys, nearest first)."""
        return {
            "raw": self.raw,
            "form": self.form.value,
            "valid": self.valid,
            "key": self.key,
            "level1": self.level1,
            "level": self.level,
            "parents": [parent.key for parent in self.parents],
        }


def as_code(value: AgencyCode | str) -> AgencyCode:
    """Return ``value`` parsed, or unchanged if it already is an :class:`AgencyCode`."""
    return value if isinstance(value, AgencyCode) else AgencyCode.parse(value)


def owns(owner: AgencyCode | str, code: AgencyCode | str) -> bool:
    """Tell from structure alone whether ``owner``'s subtree contains ``code``.

    A level-1 unit owns every administrative code with the same level-1 unit in either form
    (``H14`` and ``000.00.00.H14`` both own ``H14.01`` and ``000.01.14.H14``: a provincial node owns
    everything under ``H14`` / ``*.H14``, agency-codes.md §4). A deeper code owns itself and the
    codes it is a structural parent of, in its own form only. Unknown ids own only themselves.
    Registered parent links are followed by :meth:`identifiers.Registry.owns`, not here.
    """
    owner_code, target = as_code(owner), as_code(code)
    if not owner_code.key:
        return False
    if owner_code == target:
        return True
    if not owner_code.valid or not target.valid:
        return False
    if owner_code.is_administrative and owner_code.level == 1 and target.is_administrative:
        return target.level1 == owner_code.level1
    return owner_code.form is target.form and owner_code in target.parents


@lru_cache(maxsize=8192)
def _parse_shared(raw: str) -> AgencyCode:
    return AgencyCode(raw)
