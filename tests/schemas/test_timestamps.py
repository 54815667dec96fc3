"""API timestamps: always ISO 8601 in +07:00."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, ValidationError

from schemas.timestamps import VnDateTime


class _Stamped(BaseModel):
    at: VnDateTime


def test_aware_datetime_is_shown_in_vietnam_time() -> None:
    """A UTC instant serialises as the same instant with +07:00."""
    stamped = _Stamped(at=datetime(2025, 6, 30, 17, 0, tzinfo=UTC))
    assert stamped.model_dump(mode="json") == {"at": "2025-07-01T00:00:00+07:00"}


def test_naive_datetime_is_refused() -> None:
    """A timestamp without a time zone is refused rather than guessed."""
    with pytest.raises(ValidationError):
        _Stamped(at=datetime(2025, 7, 1, 8, 0))  # noqa: DTZ001 - the naive value under test
