"""What the management commands share: a progress bar on the command's standard error."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from django.core.management.base import OutputWrapper
from tqdm import tqdm

from apps.dashboards.selectors import published_figure_count

T = TypeVar("T")


class _BarStream:
    """The command's stderr as tqdm writes to it: each write as given. The OutputWrapper alone
    would end every redraw with a line break and colour it as an error."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, style_func=lambda message: message, ending="")

    def flush(self) -> None:
        self.wrapper.flush()

    def isatty(self) -> bool:
        return self.wrapper.isatty()


def progress_bar(stderr: OutputWrapper, *, quiet: bool = False, **options: Any) -> tqdm:
    """A tqdm bar on ``stderr`` (a command's ``self.stderr``); none with ``quiet``."""
    return tqdm(file=_BarStream(stderr), disable=quiet, **options)


def figures_bar(stderr: OutputWrapper, *, quiet: bool = False) -> tqdm:
    """A bar over every published figure; its total, from the summaries, is an estimate (see
    ``finish``)."""
    return progress_bar(
        stderr, quiet=quiet, total=published_figure_count(), unit="figures", unit_scale=True
    )


def follow(bar: tqdm) -> Callable[..., None]:
    """A progress callback for work that reports the count done so far (and perhaps its
    total, which the bar already has): moves ``bar`` to that count."""

    def progress(count: int, *_total: int) -> None:
        bar.update(count - bar.n)

    return progress


def finish(bar: tqdm) -> None:
    """Close ``bar`` at 100%. Totals taken from the summaries count the figures of each report's
    own period, and the files hold all of them (a five-year total inside a yearly report too):
    the total was an estimate, the count reached is the truth."""
    if bar.total is not None and bar.n > bar.total:
        bar.total = bar.n
    bar.close()


def counted(items: Iterable[T], bar: tqdm, every: int = 10_000) -> Iterator[T]:
    """``items`` unchanged, moving ``bar`` on every ``every`` items; finished at the end."""
    count = 0
    for item in items:
        yield item
        count += 1
        if count % every == 0:
            bar.update(every)
    bar.update(count % every)
    finish(bar)
