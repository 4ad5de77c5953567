"""Write the report: `index.html` beside its charts as SVG files (`lifecycle.svg`, `national.svg`, `regions.svg`,
`councils/<code>.svg`), each chart drawn once, in one format, the one the page inlines.

The charts are drawn in parallel processes (`concurrent.futures.ProcessPoolExecutor`, matplotlib's Agg backend, no
pyplot state): each is a pure function of the data collected, so a worker draws exactly the SVG the parent would
(`svg.hashsalt` keeps element ids stable). `workers=1` draws them here, one after another, as `GET /report` does
(forking a threaded web server is not safe).
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

from ..policies.rulebook import Rulebook
from .charts import council_chart, national_chart, regions_chart, svg_text
from .collect import ReportData
from .diagram import lifecycle_svg
from .html import render_page
from .legend import legend_figure, legend_items
from .style import RC_PARAMS

Progress = Callable[[str], None]
Job = tuple[str, Any]  # (what to draw, its data)
DRAWERS: dict[str, Callable[[Any], Any]] = {
    "national": national_chart,
    "regions": regions_chart,
    "legend": legend_figure,
    "council": council_chart,
}


@dataclass(frozen=True)
class WrittenReport:
    """Where the report went and which councils it draws."""

    index: Path
    files: tuple[Path, ...]
    councils: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"index": str(self.index), "files": [str(path) for path in self.files], "councils": list(self.councils)}


def write_report(
    data: ReportData, out: Path, progress: Progress | None = None, workers: int | None = None
) -> WrittenReport:
    """Draw every chart (in `workers` processes; default one per core) and write them and `out/index.html`, which
    needs no network, into `out` (created if need be)."""
    out.mkdir(parents=True, exist_ok=True)
    charts = draw_charts(data, progress, workers)
    files = {"lifecycle": out / "lifecycle.svg", "national": out / "national.svg", "regions": out / "regions.svg"}
    files |= {f"council:{council.code}": out / "councils" / f"{_slug(council.code)}.svg" for council in data.councils}
    (out / "councils").mkdir(exist_ok=True)
    for key, path in files.items():
        path.write_text(charts[key], encoding="utf-8")
    index = out / "index.html"
    index.write_text(render_page(data, charts, Rulebook().mermaid()), encoding="utf-8")
    return WrittenReport(index, (index, *files.values()), tuple(council.code for council in data.councils))


def report_page(data: ReportData, workers: int = 1) -> str:
    """The same page, its charts drawn as SVG in memory only (no files): what `GET /report` serves."""
    return render_page(data, draw_charts(data, None, workers), Rulebook().mermaid())


def chart_count(data: ReportData) -> int:
    """How many charts `draw_charts` draws (for a progress bar)."""
    return len(list(chart_jobs(data)))


def draw_charts(data: ReportData, progress: Progress | None = None, workers: int | None = None) -> dict[str, str]:
    """Every chart of the page as SVG text, keyed `lifecycle`, `national`, `regions`, `legend` (the council charts'
    one legend) and `council:<code>`. `progress` is told the key of each chart as it is done."""
    jobs = dict(chart_jobs(data))
    workers = min(workers or _cores(), len(jobs))
    charts: dict[str, str] = {"lifecycle": lifecycle_svg()}
    tell = progress or (lambda _key: None)
    if workers <= 1:
        for key, job in jobs.items():
            charts[key] = draw(job)
            tell(key)
        return charts
    with ProcessPoolExecutor(workers, mp_context=_context()) as pool:
        running = {pool.submit(draw, job): key for key, job in jobs.items()}
        for done in as_completed(running):
            charts[running[done]] = done.result()
            tell(running[done])
    return charts


def draw(job: Job) -> str:
    """One chart as SVG text (a worker's task: module level, so that it pickles)."""
    kind, payload = job
    with matplotlib.rc_context(RC_PARAMS):
        return svg_text(DRAWERS[kind](payload))


def chart_jobs(data: ReportData) -> Iterator[tuple[str, Job]]:
    # The council charts first, largest first, so that no worker is left with a long chart at the end.
    for council in sorted(data.councils, key=lambda c: -(len(c.bands) + len(c.timers) + len(c.deviations))):
        yield f"council:{council.code}", ("council", council)
    yield "national", ("national", data.national)
    yield "regions", ("regions", data.regions)
    yield "legend", ("legend", legend_items(data.councils))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _context() -> Any:
    """Fork where the platform has it (the workers start at once, matplotlib already imported), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _slug(code: str) -> str:
    """A council code as a file name (codes are digits or ONS codes; anything else is replaced)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", code) or "council"
