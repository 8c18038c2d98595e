"""Small trend lines drawn as inline SVG on the server: no script, no chart library, and a
missing year is a gap in the line, never a zero."""

from __future__ import annotations

from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD = 84, 22, 2


def sparkline(values: list[Decimal | None]) -> SafeString:
    """An SVG line through ``values`` (one per year, None for a missing year); empty when
    fewer than two years have a value. Decorative: the numbers are in the table beside it."""
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return mark_safe("")
    low, high = min(known), max(known)
    span = (high - low) or Decimal(1)
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)

    def point(index: int, value: Decimal) -> tuple[float, float]:
        x = PAD + index * step
        y = HEIGHT - PAD - float((value - low) / span) * (HEIGHT - 2 * PAD)
        return round(x, 1), round(y, 1)

    segments: list[list[tuple[float, float]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append(point(index, value))
    lines = format_html_join(
        "",
        '<polyline points="{}" />',
        ((" ".join(f"{x},{y}" for x, y in segment),) for segment in segments if len(segment) > 1),
    )
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="1.6" />',
        (point(i, v) for i, v in enumerate(values) if v is not None),
    )
    return format_html(
        '<svg class="sparkline" width="{}" height="{}" viewBox="0 0 {} {}" aria-hidden="true" '
        'focusable="false">{}{}</svg>',
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        lines,
        dots,
    )
