"""The tables' rows as the public pages write them (Table.body_html)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation

from apps.dashboards.tables import Cell, Table


def test_rows_are_written_with_their_classes_marks_hints_and_escaping():
    table = Table("compare", "t", ["Indicator", "A", "B", "C"])
    table.groups[0] = "Rights & <interests>"
    with translation.override("en"):
        table.rows = [
            [
                Cell("R&D staff", href="/i/?a=1&b=2"),
                Cell.figure(Decimal(31800), "more", "persons", css="best", hint="No. 1 · +5%"),
                Cell.figure(Decimal(120), "exact", "persons", hint="<No. 2>"),
                Cell.missing(),
            ],
            [Cell("x", css="depth-1"), Cell("<b>", css="a&b"), Cell("y", css="num"), Cell("z")],
        ]
        html = table.body_html()
    best = ' <span class="best-mark" title="best value">★</span>'
    assert html == (
        '<tr class="group-row"><th scope="rowgroup" colspan="4">Rights &amp; &lt;interests&gt;'
        "</th></tr>"
        '<tr><th scope="row" class=""><a href="/i/?a=1&amp;b=2">R&amp;D staff</a></th>'
        f'<td class="num best">31,800+{best}<span class="hint">No. 1 · +5%</span></td>'
        '<td class="num">120<span class="hint">&lt;No. 2&gt;</span></td>'
        '<td class="num missing">—</td></tr>\n'
        '<tr><th scope="row" class="depth-1">x</th><td class="a&amp;b">&lt;b&gt;</td>'
        '<td class="num">y</td><td class="">z</td></tr>\n'
    )
