"""Choosing the calendar of an agency: its own, its subtree's, or the node's."""

from __future__ import annotations

from datetime import time

from gateway.core.calendar import BusinessCalendar, Session
from gateway.core.calendar_book import CalendarBook
from identifiers import Registry


def test_the_most_specific_calendar_wins() -> None:
    """Exact code, then the deepest owning subtree (either code form), then the node's."""
    node = BusinessCalendar(statutory=None, label="node")
    province = BusinessCalendar((Session(time(7), time(11)),), statutory=None, label="H14")
    office = BusinessCalendar((Session(time(8), time(12)),), statutory=None, label="H14.95")
    book = CalendarBook(node, {"H14": province, "000.00.95.H14": office})
    assert book.for_agency("000.00.94.H14") is province
    assert book.for_agency("H14.94") is province
    assert book.for_agency("000.00.95.H14") is office
    assert book.for_agency("H35") is node
    assert book.for_agency("vxp.saas.03") is node
    assert book.calendars() == [node, province, office]


def test_with_a_registry_either_code_form_of_a_record_matches() -> None:
    """Given the registry, a subtree named in one form covers the record's other form too."""
    node = BusinessCalendar(statutory=None, label="node")
    office = BusinessCalendar((Session(time(8), time(12)),), statutory=None, label="H14.95")
    book = CalendarBook(node, {"000.00.95.H14": office}, Registry.load_default())
    assert book.for_agency("H14.95") is office
    assert CalendarBook(node, {"000.00.95.H14": office}).for_agency("H14.95") is node
