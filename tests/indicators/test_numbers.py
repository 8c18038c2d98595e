"""Reading figures as staff and documents write them, and writing them back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import example, given, settings
from hypothesis import strategies as st

from apps.indicators.choices import Qualifier, Unit
from apps.indicators.numbers import (
    MAX_ABS_VALUE,
    FigureParseError,
    format_count,
    format_figure,
    format_number,
    parse_figure,
    plain,
)

D = Decimal
EXACT, MORE, AT_LEAST, NEARLY, ABOUT = (
    Qualifier.EXACT,
    Qualifier.MORE,
    Qualifier.AT_LEAST,
    Qualifier.NEARLY,
    Qualifier.ABOUT,
)


@pytest.mark.parametrize(
    ("text", "unit", "value", "qualifier"),
    [
        # The forms the issue names.
        ("31800", Unit.PERSONS, D(31800), EXACT),
        ("31,800", Unit.PERSONS, D(31800), EXACT),
        ("３１８００", Unit.PERSONS, D(31800), EXACT),
        ("３１，８００", Unit.PERSONS, D(31800), EXACT),
        ("3.18万", Unit.PERSONS, D(31800), EXACT),
        ("390多", Unit.ORGANISATIONS, D(390), MORE),
        ("390余", Unit.ORGANISATIONS, D(390), MORE),
        ("96%以上", Unit.PERCENT, D(96), MORE),
        ("96％以上", Unit.PERCENT, D(96), MORE),
        ("近4万", Unit.PERSONS, D(40000), NEARLY),
        ("不少于30万元", Unit.TEN_THOUSAND_YUAN, D(30), AT_LEAST),
        # As the seed documents write them.
        ("390多家", Unit.ORGANISATIONS, D(390), MORE),
        ("3.18万余人", Unit.PERSONS, D(31800), MORE),
        ("22900多人（次）", Unit.PERSON_TIMES, D(22900), MORE),
        ("2万多", Unit.PERSONS, D(20000), MORE),
        ("20多万", Unit.PERSONS, D(200000), MORE),
        ("近80", Unit.ITEMS, D(80), NEARLY),
        ("35.85万元", Unit.TEN_THOUSAND_YUAN, D("35.85"), EXACT),
        ("265万元", Unit.TEN_THOUSAND_YUAN, D(265), EXACT),
        ("200多万元", Unit.TEN_THOUSAND_YUAN, D(200), MORE),
        ("400条以上", Unit.SUGGESTIONS, D(400), MORE),
        ("达400条以上", Unit.SUGGESTIONS, D(400), MORE),
        ("7000余", Unit.PERSONS, D(7000), MORE),
        ("99.5％", Unit.PERCENT, D("99.5"), EXACT),
        ("88 %", Unit.PERCENT, D(88), EXACT),
        ("约300", Unit.HOUSEHOLDS, D(300), ABOUT),
        ("300左右", Unit.HOUSEHOLDS, D(300), ABOUT),
        ("超过500", Unit.PERSONS, D(500), MORE),
        ("过百", Unit.PERSONS, D(100), MORE),
        ("390+", Unit.ORGANISATIONS, D(390), MORE),
        ("≥96%", Unit.PERCENT, D(96), AT_LEAST),
        # Chinese numerals.
        ("四", Unit.EVENTS, D(4), EXACT),
        ("十二", Unit.PROJECTS, D(12), EXACT),
        ("两", Unit.ITEMS, D(2), EXACT),
        ("五百多", Unit.PERSON_TIMES, D(500), MORE),
        ("百名以上", Unit.PERSONS, D(100), MORE),
        ("一万二千", Unit.PERSONS, D(12000), EXACT),
        ("两万", Unit.PERSONS, D(20000), EXACT),
        # Money: the field's unit is 万元, so 万 and 亿 written after a number mean 万元/亿元.
        ("30万", Unit.TEN_THOUSAND_YUAN, D(30), EXACT),
        ("300000元", Unit.TEN_THOUSAND_YUAN, D(30), EXACT),
        ("1.5亿", Unit.TEN_THOUSAND_YUAN, D(15000), EXACT),
        ("1.5亿元", Unit.TEN_THOUSAND_YUAN, D(15000), EXACT),
        ("1,234,567.89", Unit.TEN_THOUSAND_YUAN, D("1234567.89"), EXACT),
        # Whitespace around the figure is harmless.
        ("  31800 ", Unit.PERSONS, D(31800), EXACT),
        ("0.5万", Unit.PERSONS, D(5000), EXACT),
    ],
)
def test_parses_what_staff_type(text, unit, value, qualifier):
    parsed = parse_figure(text, unit)
    assert parsed.value == value
    assert parsed.qualifier == qualifier


@pytest.mark.parametrize(
    ("text", "unit", "message"),
    [
        ("", Unit.PERSONS, "请输入数值"),
        ("abc", Unit.PERSONS, "不是数字"),
        ("数千", Unit.ITEMS, "过于笼统"),
        ("不足300", Unit.ITEMS, "过于笼统"),
        ("近400多", Unit.ITEMS, "两种说法"),
        ("96%", Unit.ORGANISATIONS, "不是百分比"),
        ("30人", Unit.TEN_THOUSAND_YUAN, "不符"),
        ("31 800", Unit.PERSONS, "空格"),
        ("31,80", Unit.PERSONS, "不是数字"),
        ("12.5.3", Unit.PERSONS, "不是数字"),
        ("1e5", Unit.PERSONS, "不是数字"),
        ("十十", Unit.PERSONS, "不是数字"),
        ("近", Unit.PERSONS, "不是数字"),
        ("1亿亿", Unit.PERSONS, "不是数字"),
        ("999999999999999", Unit.PERSONS, "太大"),
        ("4万", Unit.PERCENT, "百分比不能"),
    ],
)
def test_refuses_with_a_chinese_message(text, unit, message):
    with translation.override("zh-hans"), pytest.raises(FigureParseError) as caught:
        parse_figure(text, unit)
    assert message in str(caught.value)


def test_messages_follow_the_language():
    with translation.override("en"), pytest.raises(FigureParseError) as caught:
        parse_figure("abc", Unit.PERSONS)
    assert "is not a number" in str(caught.value)


@settings(max_examples=400, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("0123456789０１２３.,，%％万亿千百十多余以上近约不少于元人次家 -+")
        ),
        max_size=14,
    )
    | st.text(max_size=20),
    st.sampled_from(Unit.values),
)
def test_no_input_crashes_the_parser(text, unit):
    """Whatever is typed, the parser either returns a finite value in range with a known
    qualifier, or refuses with a message; it never raises anything else."""
    try:
        parsed = parse_figure(text, unit)
    except FigureParseError as error:
        message = str(error)
        parsed = None
    if parsed is None:
        assert message
        return
    assert parsed.value.is_finite()
    assert abs(parsed.value) < MAX_ABS_VALUE
    assert parsed.qualifier in Qualifier.values


@given(st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False))
def test_plain_values_read_back_exactly(value):
    assert parse_figure(plain(value), Unit.TEN_THOUSAND_YUAN).value == value


@pytest.mark.parametrize(
    ("value", "qualifier", "unit", "language", "shown"),
    [
        (D(390), MORE, Unit.ORGANISATIONS, "zh-hans", "390+"),
        (D(40000), NEARLY, Unit.PERSONS, "zh-hans", "近4万"),
        (D(40000), NEARLY, Unit.PERSONS, "en", "nearly 40,000"),
        (D(96), MORE, Unit.PERCENT, "zh-hans", "≥96%"),
        (D(30), AT_LEAST, Unit.TEN_THOUSAND_YUAN, "zh-hans", "≥30"),
        (D(31800), EXACT, Unit.PERSONS, "zh-hans", "3.18万"),
        (D(283958), EXACT, Unit.PERSONS, "zh-hans", "283958"),
        (D(283958), EXACT, Unit.PERSONS, "en", "283,958"),
        (D(300), ABOUT, Unit.HOUSEHOLDS, "zh-hans", "约300"),
        (D(15000), EXACT, Unit.TEN_THOUSAND_YUAN, "zh-hans", "15000"),
        (D("35.85"), EXACT, Unit.TEN_THOUSAND_YUAN, "zh-hans", "35.85"),
        (None, EXACT, Unit.PERSONS, "zh-hans", "—"),
        # 万 and 亿 only when exact to two places, from 10,000 up; stored values carry 4 places.
        (D("9999.0000"), EXACT, Unit.PERSONS, "zh-hans", "9999"),
        (D("10000.0000"), EXACT, Unit.PERSONS, "zh-hans", "1万"),
        (D(10001), EXACT, Unit.PERSONS, "zh-hans", "10001"),
        (D(120000), EXACT, Unit.PERSONS, "zh-hans", "12万"),
        (D("12345.5"), EXACT, Unit.PERSONS, "zh-hans", "12345.5"),
        (D(100000000), EXACT, Unit.PERSONS, "zh-hans", "1亿"),
        (D(150000000), EXACT, Unit.PERSONS, "zh-hans", "1.5亿"),
        (D(123400000), EXACT, Unit.PERSONS, "zh-hans", "12340万"),
        (D(123456789), EXACT, Unit.PERSONS, "zh-hans", "123456789"),
        (D(-31800), EXACT, None, "zh-hans", "-3.18万"),
        (D("-1234.5"), EXACT, None, "en", "-1,234.5"),
    ],
)
def test_formats_with_the_qualifier(value, qualifier, unit, language, shown):
    with translation.override(language):
        assert format_figure(value, qualifier, unit) == shown
    # A table that knows its page's language says so; the active language is not asked.
    with translation.override("zh-hans" if language == "en" else "en"):
        assert format_figure(value, qualifier, unit, chinese=language != "en") == shown


@given(
    st.decimals(min_value=-(10**13), max_value=10**13, places=4, allow_nan=False),
    st.sampled_from([Unit.PERSONS, Unit.PERCENT, Unit.TEN_THOUSAND_YUAN, None]),
    st.booleans(),
    st.booleans(),
)
@settings(deadline=None)  # a pure function: the time of one example says nothing
@example(Decimal("31800.0000"), Unit.PERSONS, True, True)
@example(Decimal("-250000000"), None, True, True)
@example(Decimal("150000.0000"), Unit.TEN_THOUSAND_YUAN, True, True)
@example(Decimal("1234567.5000"), Unit.PERSONS, True, False)
def test_a_figure_is_its_number_as_format_number_writes_it(value, unit, compact, chinese):
    # A figure's number is format_number's: only counts in 万 or 亿, rates with their %.
    number = format_number(
        value,
        compact=compact and unit not in (Unit.PERCENT, Unit.TEN_THOUSAND_YUAN),
        chinese=chinese,
    )
    if unit == Unit.PERCENT:
        number += "%"
    assert format_figure(value, EXACT, unit, compact=compact, chinese=chinese) == number


def test_plain_never_uses_exponents():
    assert plain(D("31800.0000")) == "31800"
    assert plain(D("35.8500")) == "35.85"
    assert plain(D("0.0000")) == "0"


@pytest.mark.parametrize(("language", "shown"), [("en", "28,513,280"), ("zh-hans", "28513280")])
def test_counts_are_written_in_full_never_in_wan(language, shown):
    with translation.override(language):
        assert format_count(28_513_280) == shown
