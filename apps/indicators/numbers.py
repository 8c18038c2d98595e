"""Reading and writing figures the way union documents and staff write them.

``parse_figure("390多家", "家")`` → 390, more; ``parse_figure("近4万", "人")`` → 40000, nearly;
``parse_figure("不少于30万元", "万元")`` → 30, at least. Full-width digits, thousands separators,
万/亿 magnitudes, Chinese numerals (五百多, 十二, 两万) and the unit written after the number are
understood. Anything else raises ``FigureParseError`` with a message for the person who typed it.

``format_figure`` turns a stored value back into "390+", "近4万", "≥96%".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from apps.i18n import is_english

from .choices import Measure, Qualifier, Unit, measure_of

MAX_ABS_VALUE = Decimal(10) ** 14  # what Figure.value (18 digits, 4 places) can hold


class FigureParseError(ValueError):
    """The text is not a figure. ``str(error)`` is a message for the user, in their language."""


@dataclass(frozen=True)
class ParsedFigure:
    value: Decimal
    qualifier: Qualifier


# Longest first, so that 不少于 wins over 少于 and 将近 over 近.
_PREFIXES: list[tuple[str, Qualifier | None]] = sorted(
    [
        ("不少于", Qualifier.AT_LEAST),
        ("不低于", Qualifier.AT_LEAST),
        ("至少", Qualifier.AT_LEAST),
        ("最少", Qualifier.AT_LEAST),
        ("≥", Qualifier.AT_LEAST),
        (">=", Qualifier.AT_LEAST),
        ("将近", Qualifier.NEARLY),
        ("接近", Qualifier.NEARLY),
        ("近", Qualifier.NEARLY),
        ("大约", Qualifier.ABOUT),
        ("约为", Qualifier.ABOUT),
        ("约", Qualifier.ABOUT),
        ("大概", Qualifier.ABOUT),
        ("~", Qualifier.ABOUT),
        ("≈", Qualifier.ABOUT),
        ("超过", Qualifier.MORE),
        ("多于", Qualifier.MORE),
        ("高于", Qualifier.MORE),
        ("逾", Qualifier.MORE),
        ("过", Qualifier.MORE),
        (">", Qualifier.MORE),
        # Words that only frame the number.
        ("达到", None),
        ("达", None),
        ("共计", None),
        ("总计", None),
        ("累计", None),
        ("共", None),
        ("计", None),
        ("为", None),
    ],
    key=lambda item: -len(item[0]),
)

_SUFFIXES: list[tuple[str, Qualifier]] = [
    ("以上", Qualifier.MORE),
    ("有余", Qualifier.MORE),
    ("左右", Qualifier.ABOUT),
    ("上下", Qualifier.ABOUT),
    ("多", Qualifier.MORE),
    ("余", Qualifier.MORE),
    ("+", Qualifier.MORE),
]

_REFUSED_PREFIXES = ("不足", "不到", "少于", "低于", "<", "≤", "数", "几", "上")

# Units as written after a number, and the catalogue units each may stand for.
_TEXT_UNITS: dict[str, set[str]] = {
    "人次": {Unit.PERSON_TIMES},
    "场次": {Unit.EVENTS, Unit.PERSON_TIMES},
    "万元": {Unit.TEN_THOUSAND_YUAN},
    "亿元": {Unit.TEN_THOUSAND_YUAN},
    "元": {Unit.TEN_THOUSAND_YUAN},
    "家": {Unit.ORGANISATIONS, Unit.ITEMS},
    "个": {Unit.ITEMS, Unit.ORGANISATIONS, Unit.PROJECTS},
    "所": {Unit.ORGANISATIONS, Unit.ITEMS},
    "处": {Unit.ITEMS},
    "座": {Unit.ITEMS},
    "间": {Unit.ITEMS},
    "人": {Unit.PERSONS, Unit.PERSON_TIMES},
    "名": {Unit.PERSONS, Unit.PERSON_TIMES},
    "位": {Unit.PERSONS},
    "场": {Unit.EVENTS},
    "次": {Unit.EVENTS, Unit.PERSON_TIMES},
    "期": {Unit.EVENTS},
    "项": {Unit.PROJECTS},
    "条": {Unit.SUGGESTIONS},
    "篇": {Unit.ARTICLES},
    "户": {Unit.HOUSEHOLDS},
    "份": {Unit.COPIES},
    "%": {Unit.PERCENT},
}
# Scale from the written unit to the catalogue unit (元 → 万元 divides by 10,000).
_UNIT_SCALE: dict[str, Decimal] = {"元": Decimal("0.0001"), "亿元": Decimal(10000)}

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10**4, "亿": 10**8}

_NUMERAL_TOKEN = re.compile(r"\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万亿]")
_NUMERAL_TEXT = re.compile(r"^(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万亿])+$")
_GROUPED = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def normalise(text: str) -> str:
    """Full-width to half-width, no spaces, no brackets around a unit (人（次） → 人次)."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("−", "-").replace("—", "-").replace("﹪", "%")
    return re.sub(r"[\s()\[\]]", "", text)


def parse_figure(text: str, unit: str | None = None) -> ParsedFigure:
    """Read ``text`` as a figure in ``unit`` (a ``Unit`` value); see the module docstring."""
    raw = text or ""
    if re.search(r"\d\s+\d", unicodedata.normalize("NFKC", raw)):
        raise FigureParseError(
            _("“%(text)s” has a space inside the number; write it without spaces, like 31800.")
            % {"text": raw.strip()}
        )
    text = normalise(raw)
    if not text:
        raise FigureParseError(_("Enter a number."))
    if len(text) > 40:
        raise FigureParseError(_("This is too long to be a figure."))
    if text.startswith(_REFUSED_PREFIXES) and not _NUMERAL_TEXT.match(text.lstrip("-")):
        raise FigureParseError(
            _(
                "“%(text)s” is too vague to record. Enter a number, with 多, 近, 约, 以上 or "
                "不少于 if the exact figure is not known."
            )
            % {"text": raw.strip()}
        )

    qualifiers: list[Qualifier] = []

    # 1. Leading qualifier words (近, 约, 不少于 …) and framing words (达, 共 …).
    stripped = True
    while stripped:
        stripped = False
        for prefix, qualifier in _PREFIXES:
            if text.startswith(prefix) and len(text) > len(prefix):
                text = text[len(prefix) :]
                if qualifier is not None:
                    qualifiers.append(qualifier)
                stripped = True
                break

    # 2. Trailing qualifiers and the written unit, in any order (96%以上, 390多家, 3.18万余人).
    written_unit: str | None = None
    stripped = True
    while stripped:
        stripped = False
        for suffix, qualifier in _SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)]
                qualifiers.append(qualifier)
                stripped = True
                break
        if stripped:
            continue
        if written_unit is None:
            for candidate in sorted(_TEXT_UNITS, key=len, reverse=True):
                if text.endswith(candidate) and len(text) > len(candidate):
                    written_unit = candidate
                    text = text[: -len(candidate)]
                    stripped = True
                    break
    if unit == Unit.TEN_THOUSAND_YUAN and written_unit is None and text.endswith(("万", "亿")):
        # In a 万元 field, "30万" means 30 万元 and "1.5亿" means 1.5 亿元.
        written_unit, text = text[-1] + "元", text[:-1]

    # 3. A qualifier between the number and its magnitude: 20多万, 3.18万余 (handled above).
    inner = re.search(r"(?<=[\d十百千])(多|余)(?=[万亿千百])", text)
    if inner:
        qualifiers.append(Qualifier.MORE)
        text = text[: inner.start()] + text[inner.end() :]

    value = _parse_numeral(text, raw)
    qualifier = _single_qualifier(qualifiers, raw)

    # 4. Reconcile the written unit with the field's unit.
    if written_unit is not None:
        allowed = _TEXT_UNITS[written_unit]
        if unit is not None and unit not in allowed:
            if written_unit == "%":
                raise FigureParseError(
                    _("This figure is counted in %(unit)s, not as a percentage.")
                    % {"unit": Unit(unit).label}
                )
            raise FigureParseError(
                _("“%(written)s” does not fit this figure, which is counted in %(unit)s.")
                % {"written": written_unit, "unit": Unit(unit).label}
            )
        value *= _UNIT_SCALE.get(written_unit, Decimal(1))
    elif unit is not None and measure_of(unit) == Measure.RATE and "万" in text:
        raise FigureParseError(_("A percentage cannot be written with 万 or 亿."))

    if abs(value) >= MAX_ABS_VALUE:
        raise FigureParseError(_("This number is too large."))
    return ParsedFigure(value=_tidy(value), qualifier=qualifier)


def _single_qualifier(qualifiers: list[Qualifier], raw: str) -> Qualifier:
    distinct = list(dict.fromkeys(qualifiers))
    if not distinct:
        return Qualifier.EXACT
    if len(distinct) > 1:
        raise FigureParseError(
            _("“%(text)s” says two different things about the number; keep one of them.")
            % {"text": raw.strip()}
        )
    return distinct[0]


def _parse_numeral(text: str, raw: str) -> Decimal:
    negative = text.startswith("-")
    if negative:
        text = text[1:]
    grouped = _GROUPED.match(text)
    if grouped:
        text = grouped.group(0).replace(",", "") + text[grouped.end() :]
    if not text or not _NUMERAL_TEXT.match(text):
        raise _not_a_number(raw)
    tokens = _NUMERAL_TOKEN.findall(text)
    total = Decimal(0)  # completed 万/亿 sections
    section = Decimal(0)  # the current section below 万
    number: Decimal | None = None
    previous_small: int | None = None  # within a section, 千 > 百 > 十 must fall
    previous_big: int | None = None
    for token in tokens:
        if token in _CN_DIGITS:
            if number is not None:
                raise _not_a_number(raw)
            number = Decimal(_CN_DIGITS[token])
        elif token in _CN_SMALL:
            small = _CN_SMALL[token]
            if previous_small is not None and small >= previous_small:
                raise _not_a_number(raw)
            section += (number if number is not None else Decimal(1)) * small
            number, previous_small = None, small
        elif token in _CN_BIG:
            big = _CN_BIG[token]
            chunk = section + (number or Decimal(0))
            if previous_big is not None and big > previous_big:
                # 三万亿: the 亿 multiplies everything before it.
                total = (total + chunk) * big
            elif previous_big is not None and big == previous_big:
                raise _not_a_number(raw)
            else:
                total += (chunk or Decimal(1)) * big
            previous_big = big
            section, number, previous_small = Decimal(0), None, None
        else:
            if number is not None:
                raise _not_a_number(raw)
            try:
                number = Decimal(token)
            except InvalidOperation:  # pragma: no cover - the regex admits only digits
                raise _not_a_number(raw) from None
    value = total + section + (number or Decimal(0))
    return -value if negative else value


def _not_a_number(raw: str) -> FigureParseError:
    return FigureParseError(
        _(
            "“%(text)s” is not a number. Write it like 31800, 31,800, 3.18万, 390多, "
            "96%%以上 or 近4万."
        )
        % {"text": raw.strip()}
    )


def _tidy(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent notation (31800, not 3.18E+4)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def plain(value: Decimal) -> str:
    """A value as a plain number for files: 31800, 35.85, never 3.18E+4 or 31800.0000."""
    # String work rather than Decimal arithmetic: pages format thousands of figures.
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def as_written(value: Decimal, qualifier: str = Qualifier.EXACT, unit: str | None = None) -> str:
    """A stored figure the way staff type it, which ``parse_figure`` reads back exactly:
    390多, 96%以上, 不少于30, 近40000, 约300."""
    number = plain(value)
    if unit == Unit.PERCENT:
        number = f"{number}%"
    if qualifier == Qualifier.MORE:
        return f"{number}以上" if unit == Unit.PERCENT else f"{number}多"
    if qualifier == Qualifier.AT_LEAST:
        return f"不少于{number}"
    if qualifier == Qualifier.NEARLY:
        return f"近{number}"
    if qualifier == Qualifier.ABOUT:
        return f"约{number}"
    return number


# --- formatting --------------------------------------------------------------------------


def _is_chinese() -> bool:
    return not is_english()


# Plain strings for the hot path below: comparing with an enum member costs several times more
# than comparing two strings, and a national table formats thousands of figures.
_PERCENT = Unit.PERCENT.value
_YUAN = Unit.TEN_THOUSAND_YUAN.value
_MORE = Qualifier.MORE.value
_AT_LEAST = Qualifier.AT_LEAST.value
_NEARLY = Qualifier.NEARLY.value
_ABOUT = Qualifier.ABOUT.value


def _compact(text: str) -> str | None:
    """A plain whole number in 亿 or 万 when that is exact to two places (31800 → 3.18万,
    250000000 → 2.5亿), else None. String work: the same as dividing, without Decimal
    arithmetic."""
    if text.startswith("-"):
        magnitude = _compact(text[1:])
        return f"-{magnitude}" if magnitude else None
    if "." in text:
        return None  # a fraction is never exact in 万 to two places
    for digits, suffix in ((8, "亿"), (4, "万")):
        if len(text) > digits and text.endswith("0" * (digits - 2)):
            whole, fraction = text[:-digits], text[-digits : len(text) - digits + 2]
            fraction = fraction.rstrip("0")
            return f"{whole}.{fraction}{suffix}" if fraction else f"{whole}{suffix}"
    return None


def format_number(value: Decimal, *, compact: bool = True, chinese: bool | None = None) -> str:
    """31800 → "3.18万" in Chinese (when exact to two places), "31,800" in English."""
    if chinese is None:
        chinese = _is_chinese()
    text = plain(value)
    if chinese:
        # Chinese writes no thousands separator (as Django's zh-hans format). Only a whole
        # number ending in 00 can be written in 万 or 亿: most figures need no closer look.
        return (compact and text.endswith("00") and _compact(text)) or text
    whole, point, fraction = text.partition(".")
    return f"{int(whole):,}{point}{fraction}"


def format_count(count: int) -> str:
    """A count of things (figures, rows) in full: "28,513,280" in English, "28513280" in
    Chinese; never in 万."""
    return format_number(Decimal(count), compact=False)


def format_figure(
    value: Decimal | None,
    qualifier: str = Qualifier.EXACT,
    unit: str | None = None,
    *,
    with_unit: bool = False,
    compact: bool = True,
    chinese: bool | None = None,
) -> str:
    """A stored value as people read it: 390+, 近4万, ≥96%, 约300; "—" when missing.
    ``chinese`` is the page's language when the caller knows it (a table formats thousands)."""
    if value is None:
        return "—"
    if chinese is None:
        chinese = _is_chinese()
    # 万元 amounts are already in 万 and rates are per cent: only counts take a magnitude
    # (15000万元, not 1.5万万元).
    compact = compact and unit != _PERCENT and unit != _YUAN
    number = format_number(value, compact=compact, chinese=chinese)
    if unit == _PERCENT:
        number = f"{number}%"
    elif with_unit and unit:
        number = f"{number} {Unit(unit).label}" if not chinese else f"{number}{unit}"
    if qualifier == "exact":
        return number
    if qualifier == _MORE:
        return f"≥{number}" if unit == _PERCENT else f"{number}+"
    if qualifier == _AT_LEAST:
        return f"≥{number}"
    if qualifier == _NEARLY:
        return f"近{number}" if chinese else f"nearly {number}"
    if qualifier == _ABOUT:
        return f"约{number}" if chinese else f"about {number}"
    return number
