"""As-of resolution on the NYSE calendar."""

from __future__ import annotations

from types import SimpleNamespace

import exchange_calendars as xcals
import pandas as pd
import pytest

from fimonitor.data import calendar
from fimonitor.errors import AsOfError
from fimonitor.pipeline import resolve_as_of


@pytest.fixture
def book():
    dates = calendar.sessions("2024-01-02", "2024-02-29")
    return SimpleNamespace(dates=dates, first_transaction_date=pd.Timestamp("2024-01-03"))


def test_latest_is_the_last_price_date(book):
    assert resolve_as_of(book, "latest").date == pd.Timestamp("2024-02-29")
    assert resolve_as_of(book, None).note == ""


def test_weekend_and_holiday_move_to_the_previous_session(book):
    sat = resolve_as_of(book, "2024-02-03")
    assert sat.date == pd.Timestamp("2024-02-02")
    assert "not an NYSE trading day" in sat.note and "2024-02-02" in sat.note
    mlk = resolve_as_of(book, "2024-01-15")  # Martin Luther King Jr. Day
    assert mlk.date == pd.Timestamp("2024-01-12")
    presidents = resolve_as_of(book, "2024-02-19")
    assert presidents.date == pd.Timestamp("2024-02-16")


def test_a_trading_day_stays(book):
    r = resolve_as_of(book, "2024-02-14")
    assert r.date == pd.Timestamp("2024-02-14") and r.note == ""


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2024-03-01", "after the last price date 2024-02-29"),
        ("2024-01-02", "before the first position 2024-01-03"),
        ("yesterday-ish", "is not a date"),
    ],
)
def test_out_of_range_is_an_error(book, value, message):
    with pytest.raises(AsOfError, match=message):
        resolve_as_of(book, value)


def test_calendar_matches_exchange_calendars():
    ref = xcals.get_calendar("XNYS", start="2019-06-01", end="2027-06-30")
    expected = pd.DatetimeIndex(ref.sessions_in_range("2020-01-02", "2026-12-31"))
    ours = calendar.sessions("2020-01-01", "2026-12-31")
    assert list(ours) == list(expected.tz_localize(None) if expected.tz else expected)
    assert pd.Timestamp("2026-01-19") not in ours and pd.Timestamp("2026-09-07") not in ours
    assert calendar.previous_session("2026-01-19") == pd.Timestamp("2026-01-16")
    assert calendar.next_session("2026-09-07") == pd.Timestamp("2026-09-08")
