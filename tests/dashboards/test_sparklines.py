"""The small trend lines of the profile: a missing year is a gap, never a zero."""

from __future__ import annotations

from decimal import Decimal

from apps.dashboards.sparklines import sparkline


def test_a_line_needs_two_values():
    assert sparkline([]) == ""
    assert sparkline([None, Decimal(3), None]) == ""


def test_a_missing_year_breaks_the_line_and_every_value_gets_a_dot():
    svg = sparkline([Decimal(1), Decimal(3), None, Decimal(2), Decimal(5), Decimal(4)])
    assert svg.count("<polyline") == 2
    assert svg.count("<circle") == 5
    # Lowest value at the bottom (y 20.0), highest at the top (y 2.0), first year at x 2.0,
    # last at x 82.0; the missing fourth year leaves x 50.0 out.
    assert '<polyline points="2.0,20.0 18.0,11.0" />' in svg
    assert '<polyline points="50.0,15.5 66.0,2.0 82.0,6.5" />' in svg
    assert "34.0," not in svg


def test_a_flat_series_is_drawn_along_the_bottom():
    svg = sparkline([Decimal(7), Decimal(7), Decimal(7)])
    assert '<polyline points="2.0,20.0 42.0,20.0 82.0,20.0" />' in svg
