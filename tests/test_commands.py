"""The progress bar the management commands share."""

from __future__ import annotations

import io

from django.core.management.base import OutputWrapper

from apps.commands import counted, follow, progress_bar


def test_the_bar_follows_the_items_and_writes_each_redraw_as_given():
    stream = io.StringIO()
    bar = progress_bar(OutputWrapper(stream), total=7, mininterval=0)
    seen = []
    for item in counted(range(7), bar, every=3):
        seen.append((item, bar.n))
    bar.close()
    assert [item for item, _ in seen] == list(range(7)), "the items pass unchanged"
    # Moved on after every third item (seen when the next one is handed out), and to 7 at the end.
    assert [n for _, n in seen] == [0, 0, 0, 3, 3, 3, 6]
    assert bar.n == 7
    text = stream.getvalue()
    assert "7/7" in text
    assert text.count("\n") <= 1, "redraws use carriage returns, not a line each"


def test_a_quiet_bar_writes_nothing():
    stream = io.StringIO()
    bar = progress_bar(OutputWrapper(stream), quiet=True, total=3)
    assert list(counted("abc", bar, every=2)) == ["a", "b", "c"]
    bar.close()
    assert stream.getvalue() == ""


def test_a_total_that_was_too_low_ends_at_the_count_reached():
    stream = io.StringIO()
    bar = progress_bar(OutputWrapper(stream), total=2, mininterval=0)
    assert list(counted("abcde", bar, every=2)) == list("abcde")
    assert (bar.n, bar.total) == (5, 5)
    assert "100%" in stream.getvalue()
    assert "5/5" in stream.getvalue()


def test_follow_moves_the_bar_to_each_count_reported_so_far():
    bar = progress_bar(OutputWrapper(io.StringIO()), total=10, mininterval=0)
    progress = follow(bar)
    seen = []
    for count in (3, 7, 7, 10):
        progress(count)
        seen.append(bar.n)
    progress(10, 10)  # a total alongside, as the import's planner reports it
    assert seen == [3, 7, 7, 10]
    assert bar.n == 10
    bar.close()
