"""Hypothesis properties of the business calendar's legal times and business durations."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from business_calendar import VN_TZ
from business_calendar.calendar import BusinessCalendar, Schedule, Session
from business_calendar.table import load_calendar
from tests.business_calendar.calendar_reference import COVERED_FROM, COVERED_UNTIL, reference_legal

CALENDAR = load_calendar()
ZONES = st.sampled_from(
    [
        VN_TZ,
        UTC,
        timezone(timedelta(hours=-5)),
        timezone(timedelta(hours=9)),
        timezone(timedelta(hours=5, minutes=45)),
        timezone(timedelta(hours=-12)),
    ]
)
ANY_TIME = st.datetimes(
    min_value=datetime(2023, 6, 1),  # noqa: DTZ001 (hypothesis bounds are naive by contract)
    max_value=datetime(2027, 6, 30),  # noqa: DTZ001
    timezones=ZONES,
)
# Instants at and around the session bounds, where an off-by-one would hide.
NEAR_BOUNDS = st.builds(
    lambda day, clock, nudge, zone: (datetime.combine(day, clock, VN_TZ) + nudge).astimezone(zone),
    st.dates(date(2023, 6, 1), date(2027, 6, 30)),
    st.sampled_from([time(7, 30), time(11, 30), time(13, 30), time(17), time(0)]),
    st.sampled_from(
        [
            timedelta(0),
            timedelta(seconds=-1),
            timedelta(seconds=1),
            timedelta(microseconds=-1),
            timedelta(microseconds=1),
        ]
    ),
    ZONES,
)
INSTANTS = st.one_of(ANY_TIME, NEAR_BOUNDS)


@given(INSTANTS)
def test_legal_time_is_the_first_office_instant_at_or_after_t(t: datetime) -> None:
    """legal >= t, legal is office time, and legal is t exactly when t is office time."""
    legal = CALENDAR.legal_receipt_time(t)
    assert legal >= t
    assert CALENDAR.is_office_time(legal)
    assert (legal == t) is CALENDAR.is_office_time(t)
    assert CALENDAR.business_time(t, legal) == timedelta(0)  # nothing of the office is skipped


@given(INSTANTS)
def test_legal_time_is_idempotent_and_in_plus_seven(t: datetime) -> None:
    """legal_receipt_time(legal) == legal, always given in +07:00."""
    legal = CALENDAR.legal_receipt_time(t)
    assert CALENDAR.legal_receipt_time(legal) == legal
    assert legal.utcoffset() == timedelta(hours=7)


@given(INSTANTS, INSTANTS)
def test_legal_time_is_monotonic(a: datetime, b: datetime) -> None:
    """a <= b implies legal(a) <= legal(b)."""
    a, b = sorted((a, b))
    assert CALENDAR.legal_receipt_time(a) <= CALENDAR.legal_receipt_time(b)


@given(INSTANTS)
def test_fast_path_agrees_with_the_epoch_bisect(t: datetime) -> None:
    """The per-day fast path and the epoch bisect give the same instant."""
    epoch = CALENDAR.legal_receipt_epoch(t.timestamp())
    assert CALENDAR.legal_receipt_time(t) == datetime.fromtimestamp(epoch, VN_TZ)


@given(INSTANTS.filter(lambda t: COVERED_FROM <= t < COVERED_UNTIL))
def test_legal_time_agrees_with_the_plain_reference(t: datetime) -> None:
    """In 2024–2026 the answer equals a day-by-day walk over the shared table."""
    assert CALENDAR.legal_receipt_time(t) == reference_legal(t)


@given(INSTANTS, INSTANTS, INSTANTS)
def test_business_durations_are_additive(a: datetime, b: datetime, c: datetime) -> None:
    """business_minutes(a,b) + business_minutes(b,c) == business_minutes(a,c); same for time."""
    assert CALENDAR.business_minutes(a, b) + CALENDAR.business_minutes(
        b, c
    ) == CALENDAR.business_minutes(a, c)
    assert CALENDAR.business_time(a, b) + CALENDAR.business_time(b, c) == CALENDAR.business_time(
        a, c
    )
    assert CALENDAR.business_minutes(a, b) == -CALENDAR.business_minutes(b, a)


@given(INSTANTS, st.integers(0, 3 * 450))
def test_add_business_minutes_is_consistent_with_business_minutes(t: datetime, n: int) -> None:
    """business_minutes(t, add_business_minutes(t, n)) == n, and the result is not before t."""
    later = CALENDAR.add_business_minutes(t, n)
    assert later >= t
    assert CALENDAR.business_minutes(t, later) == n
    if n:  # the earliest such instant: a second earlier, less office time has passed
        earlier = CALENDAR.business_time(t, later - timedelta(microseconds=1))
        assert earlier < timedelta(minutes=n)


@given(INSTANTS, st.timedeltas(timedelta(0), timedelta(days=3)))
def test_add_business_time_is_exact(t: datetime, delta: timedelta) -> None:
    """business_time(t, add_business_time(t, d)) == d to the microsecond."""
    assert CALENDAR.business_time(t, CALENDAR.add_business_time(t, delta)) == delta


MINUTE_OF_DAY = st.integers(0, 24 * 60 - 1)


@st.composite
def sessions(draw: st.DrawFn) -> tuple[Session, ...]:
    """One to three ordered, non-overlapping sessions on whole minutes."""
    marks = sorted(draw(st.sets(MINUTE_OF_DAY, min_size=2, max_size=6)))
    marks = marks[: len(marks) // 2 * 2]
    return tuple(
        Session(time(start // 60, start % 60), time(end // 60, end % 60))
        for start, end in zip(marks[::2], marks[1::2], strict=True)
    )


@settings(deadline=None, max_examples=40)
@given(sessions(), sessions(), st.lists(INSTANTS, min_size=3, max_size=3))
def test_properties_hold_for_any_sessions(
    default: tuple[Session, ...], summer: tuple[Session, ...], moments: list[datetime]
) -> None:
    """Any sessions and seasons keep legal time first-at-or-after, monotonic and additive."""
    calendar = BusinessCalendar(default, schedules=(Schedule(summer, season=((4, 15), (10, 14))),))
    a, b, c = sorted(moments)
    legal = [calendar.legal_receipt_time(t) for t in (a, b, c)]
    assert legal == sorted(legal)
    for t, found in zip((a, b, c), legal, strict=True):
        assert found >= t
        assert calendar.is_office_time(found)
        assert calendar.business_time(t, found) == timedelta(0)
    assert calendar.business_minutes(a, b) + calendar.business_minutes(
        b, c
    ) == calendar.business_minutes(a, c)
    assert calendar.business_time(a, calendar.add_business_time(a, timedelta(hours=9))) == (
        timedelta(hours=9)
    )
