"""Small trend lines drawn as inline SVG on the server: no script, no chart library, and a
missing year is a gap in the line, never a zero."""

from __future__ import annotations

from decimal import Decimal

from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD = 84, 22, 2


def sparkline(values: list[Decimal | None]) -> SafeString:
    """An SVG line through ``values`` (one per year, None for a missing year); empty when
    fewer than two years have a value. Decorative: the numbers are in the table beside it."""
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return mark_safe("")
    low, high = float(min(known)), float(max(known))
    scale = (HEIGHT - 2 * PAD) / ((high - low) or 1.0)
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    bottom = HEIGHT - PAD
    # Plain formatting of numbers only (nothing to escape): a profile draws a line for every
    # indicator, so this runs thousands of times.
    points = [
        None if v is None else (f"{PAD + i * step:.1f}", f"{bottom - (float(v) - low) * scale:.1f}")
        for i, v in enumerate(values)
    ]
    segments: list[list[str]] = [[]]
    for point in points:
        if point is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append(f"{point[0]},{point[1]}")
    lines = "".join(
        f'<polyline points="{" ".join(segment)}" />' for segment in segments if len(segment) > 1
    )
    dots = "".join(
        f'<circle cx="{point[0]}" cy="{point[1]}" r="1.6" />' for point in points if point
    )
    return mark_safe(
        f'<svg class="sparkline" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" aria-hidden="true" focusable="false">{lines}{dots}</svg>'
    )
