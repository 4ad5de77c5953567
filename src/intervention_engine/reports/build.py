"""Write the report: `index.html` beside the chart files (`lifecycle.svg`, `national.svg/png`, `councils/`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure

from ..policies.rulebook import Rulebook
from .charts import council_chart, national_chart, save, svg_text
from .collect import ReportData
from .diagram import lifecycle_svg
from .html import render_page
from .style import RC_PARAMS

Progress = Callable[[str], None]


@dataclass(frozen=True)
class WrittenReport:
    """Where the report went and which councils it draws."""

    index: Path
    files: tuple[Path, ...]
    councils: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"index": str(self.index), "files": [str(path) for path in self.files], "councils": list(self.councils)}


def write_report(data: ReportData, out: Path, progress: Progress | None = None) -> WrittenReport:
    """Draw every chart into `out` (created if need be) and write `out/index.html`, which needs no network."""
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = [out / "lifecycle.svg"]

    def to_files(figure: Figure, name: str) -> str:
        svg, png = save(figure, out / name)
        files.extend((svg, png))
        return svg.read_text(encoding="utf-8")

    charts = _charts(data, to_files, progress)
    files[0].write_text(charts["lifecycle"], encoding="utf-8")
    index = out / "index.html"
    index.write_text(render_page(data, charts, Rulebook().mermaid()), encoding="utf-8")
    return WrittenReport(index, (index, *files), tuple(council.code for council in data.councils))


def report_page(data: ReportData) -> str:
    """The same page, its charts drawn as SVG in memory only (no files, no PNG): what `GET /report` serves."""
    return render_page(data, _charts(data, svg_text), Rulebook().mermaid())


def _charts(data: ReportData, draw: Callable[[Figure, str], str], progress: Progress | None = None) -> dict[str, str]:
    """Every chart of the page as SVG text: the lifecycle diagram, the national chart, one per council. `draw`
    renders a figure under a file stem (`national`, `councils/<code>`)."""
    charts: dict[str, str] = {"lifecycle": lifecycle_svg()}
    with matplotlib.rc_context(RC_PARAMS):
        charts["national"] = draw(national_chart(data.national), "national")
        for council in data.councils:
            charts[f"council:{council.code}"] = draw(council_chart(council), f"councils/{_slug(council.code)}")
            if progress is not None:
                progress(council.code)
    return charts


def _slug(code: str) -> str:
    """A council code as a file name (codes are digits or ONS codes; anything else is replaced)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", code) or "council"
