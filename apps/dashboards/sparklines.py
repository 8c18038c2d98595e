"""Small trend lines drawn as inline SVG on the server: no script, no chart library, and a
missing year is a gap in the line, never a zero."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD = 84, 22, 2


@lru_cache(maxsize=64)
def _xs(count: int) -> tuple[str, ...]:
    """The x coordinates of ``count`` evenly spaced years, as written in the SVG."""
    step = (WIDTH - 2 * PAD) / max(count - 1, 1)
    return tuple(f"{PAD + i * step:.1f}" for i in range(count))


def sparkline(values: list[Decimal | None]) -> SafeString:
    """An SVG line through ``values`` (one per year, None for a missing year); empty when
    fewer than two years have a value. Decorative: the numbers are in the table beside it."""
    numbers = [None if v is None else float(v) for v in values]
    known = [n for n in numbers if n is not None]
    if len(known) < 2:
        return mark_safe("")
    low = min(known)
    scale = (HEIGHT - 2 * PAD) / ((max(known) - low) or 1.0)
    bottom = HEIGHT - PAD
    # Plain formatting of numbers only (nothing to escape), in one pass: a profile draws a
    # line for every indicator, so this runs thousands of times.
    lines: list[str] = []
    dots: list[str] = []
    segment: list[str] = []
    # A missing year after the last ends the last segment too.
    for x, number in zip((*_xs(len(numbers)), ""), (*numbers, None), strict=True):
        if number is None:
            if len(segment) > 1:
                lines.append(f'<polyline points="{" ".join(segment)}" />')
            segment = []
            continue
        y = f"{bottom - (number - low) * scale:.1f}"
        segment.append(f"{x},{y}")
        dots.append(f'<circle cx="{x}" cy="{y}" r="1.6" />')
    return mark_safe(
        f'<svg class="sparkline" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" aria-hidden="true" focusable="false">'
        f"{''.join(lines)}{''.join(dots)}</svg>"
    )
