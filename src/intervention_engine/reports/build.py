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
from .charts import council_chart, national_chart, save
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
    files: list[Path] = []
    charts: dict[str, str] = {"lifecycle": lifecycle_svg()}
    (out / "lifecycle.svg").write_text(charts["lifecycle"], encoding="utf-8")
    files.append(out / "lifecycle.svg")
    with matplotlib.rc_context(RC_PARAMS):
        charts["national"] = _draw(national_chart(data.national), out / "national", files)
        for council in data.councils:
            charts[f"council:{council.code}"] = _draw(
                council_chart(council), out / "councils" / _slug(council.code), files
            )
            if progress is not None:
                progress(council.code)
    index = out / "index.html"
    index.write_text(render_page(data, charts, Rulebook().mermaid()), encoding="utf-8")
    return WrittenReport(index, (index, *files), tuple(council.code for council in data.councils))


def _draw(figure: Figure, stem: Path, files: list[Path]) -> str:
    svg, png = save(figure, stem)
    files += [svg, png]
    return svg.read_text(encoding="utf-8")


def _slug(code: str) -> str:
    """A council code as a file name (codes are digits or ONS codes; anything else is replaced)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", code) or "council"
