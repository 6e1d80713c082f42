import datetime as dt

from core.dates import iso_utc, ist_range, ist_window


def test_iso_utc_is_seconds_precision_with_z_and_four_digit_years():
    moment = dt.datetime(
        2026, 4, 22, 16, 0, 0, 999_999, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))
    )
    assert iso_utc(moment) == "2026-04-22T10:30:00Z"
    assert iso_utc(dt.datetime(5, 1, 3, 0, 0, 3, tzinfo=dt.UTC)) == "0005-01-03T00:00:03Z"
    assert iso_utc(None) is None


def test_ist_range_is_half_open_from_midnight_ist():
    start, end = ist_range(dt.date(2026, 3, 10), dt.date(2026, 3, 10))
    assert start.astimezone(dt.UTC) == dt.datetime(2026, 3, 9, 18, 30, tzinfo=dt.UTC)
    assert end.astimezone(dt.UTC) == dt.datetime(2026, 3, 10, 18, 30, tzinfo=dt.UTC)


def test_window_defaults():
    assert ist_window(None, dt.date(2026, 3, 31)) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert ist_window(dt.date(2026, 1, 1), dt.date(2026, 3, 31))[0] == dt.date(2026, 1, 1)


def test_validated_parameters_follow_the_ist_day_and_each_caller_gets_a_copy(monkeypatch):
    import pytest
    from django.http import QueryDict
    from django.utils import timezone
    from rest_framework.exceptions import ValidationError

    from leads.listing import LeadFilter

    tagged = QueryDict("tag=vip&tag=hot&status=New")
    first = LeadFilter.validated(tagged)
    assert (first["tag"], first["status"]) == (["vip", "hot"], "New")
    first["tag"].append("mine")
    first["status"] = "Lost"
    again = LeadFilter.validated(tagged)
    assert (again["tag"], again["status"]) == (["vip", "hot"], "New")

    query = QueryDict("status=New")
    monday = dt.datetime(2026, 3, 9, 18, 29, tzinfo=dt.UTC)  # 23:59 IST
    monkeypatch.setattr(timezone, "now", lambda: monday)
    assert LeadFilter.validated(query)["to_date"] == dt.date(2026, 3, 9)

    monkeypatch.setattr(timezone, "now", lambda: monday + dt.timedelta(minutes=1))  # 00:00 IST
    assert LeadFilter.validated(query)["to_date"] == dt.date(2026, 3, 10)

    bad = QueryDict("status=Nope")
    for _ in range(2):  # an error is not remembered as an answer either
        with pytest.raises(ValidationError):
            LeadFilter.validated(bad)


def test_paging_through_a_list_validates_its_filters_once():
    from django.http import QueryDict

    from core.listing import _validated
    from leads.listing import LeadFilter

    LeadFilter.validated(QueryDict("status=Won&source=IVR&offset=0&limit=5"))
    hits = _validated.cache_info().hits
    for page in ("offset=5&limit=5", "cursor=abc&limit=5"):
        assert LeadFilter.validated(QueryDict(f"status=Won&source=IVR&{page}"))["status"] == "Won"
    assert _validated.cache_info().hits == hits + 2
