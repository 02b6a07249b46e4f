"""The report as files: a self-contained HTML page, and an A4 PDF printed by Chromium.

:func:`to_html` embeds Plotly's JavaScript; :func:`to_pdf` exports the
charts as vector images with Kaleido through the system Chromium, which
then prints the page.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import tempfile
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import plotly.io as pio

from analytics.report.compose import Report
from analytics.report.errors import ReportError
from analytics.report.text import fmt_date

CHROMIUM_ENV = "BACKLOG_RADAR_CHROMIUM"
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# A4 less 12 mm margins each side is 186 mm, about 700 CSS pixels.
PDF_CHART_SIZE = (700, 330)
TEMPLATES = Path(__file__).parent / "templates"


def template():
    """Return the jinja2 template of the report page (autoescaped, strict about missing names)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("weekly_report.html.j2")


def to_html(report: Report, images: dict[str, bytes] | None = None) -> str:
    """Return the report as one self-contained HTML page.

    Without ``images`` the charts are interactive (Plotly's JavaScript is
    embedded once, no CDN); with ``images`` (SVG bytes per chart, for print)
    they are static vector images and the page holds no script.
    """
    t = report.text
    data = report.data
    return template().render(
        r=report,
        t=t,
        lang=report.lang,
        charts=chart_blocks(report, images),
        static=images is not None,
        last_year_label=t["vs_last_year"].format(week=data.last_year_week),
        data_to=t["data_to"].format(
            as_of=fmt_date(data.as_of.astimezone(ZoneInfo(data.tz)).date(), report.lang),
            tz=data.tz,
        ),
        footnote=footnote(report),
        no_forecast=t["no_forecast"].format(note=data.outlook.note or "-"),
    )


def footnote(report: Report) -> str:
    """Return the report's footnote: definitions, the clock of its durations, its days' zone."""
    key = "footnote_business" if report.data.filters.business_hours else "footnote"
    return report.text[key].format(tz=report.data.tz)


def chart_blocks(report: Report, images: dict[str, bytes] | None) -> dict:
    """Return each chart as trusted markup: a Plotly div, or an SVG image when ``images`` is given."""
    import markupsafe

    blocks = {}
    for i, (key, fig) in enumerate(report.charts.items()):
        if images is not None:
            data = base64.b64encode(images[key]).decode("ascii")
            blocks[key] = markupsafe.Markup(
                f'<img class="chart-image" alt="" src="data:image/svg+xml;base64,{data}">'
            )
        else:
            # Plotly escapes the figure's JSON for HTML, so user text stays text.
            blocks[key] = markupsafe.Markup(
                pio.to_html(
                    fig,
                    full_html=False,
                    include_plotlyjs=i == 0,
                    div_id=f"chart-{key}",
                    config={"displaylogo": False, "responsive": True},
                )
            )
    return blocks


def find_chromium() -> str:
    """Return the system Chromium: ``$BACKLOG_RADAR_CHROMIUM``, else Debian's.

    Raises
    ------
    ReportError
        Saying what to install when none is found. A browser is never downloaded.
    """
    candidates = [os.environ.get(CHROMIUM_ENV), *CHROMIUM_PATHS, shutil.which("chromium")]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise ReportError(
        "the PDF needs Chromium and none was found: install it (`apt-get install chromium` "
        f"on Debian) or name its executable in {CHROMIUM_ENV}"
    )


async def print_pdf(figures, size, chromium: str, html_for) -> bytes:
    """Return the PDF Chromium prints of ``html_for(images)``, the charts exported as SVG first."""
    import kaleido

    async with kaleido.Kaleido(n=1, path=chromium) as k:
        images = {
            key: await k.calc_fig(fig, opts={"format": "svg", "width": size[0], "height": size[1]})
            for key, fig in figures.items()
        }
        with tempfile.TemporaryDirectory(prefix="backlog-radar-report-") as folder:
            page = Path(folder) / "report.html"
            page.write_text(html_for(images), encoding="utf-8")
            tab = await k.create_tab("")
            await tab.send_command("Page.enable")
            loaded = tab.subscribe_once("Page.loadEventFired")
            await tab.send_command("Page.navigate", params={"url": page.as_uri()})
            await loaded
            result = await tab.send_command(
                "Page.printToPDF",
                params={"preferCSSPageSize": True, "printBackground": True},
            )
        return base64.b64decode(result["result"]["data"])


def run_browser(coroutine):
    """Run a browser coroutine to completion in its own thread and event loop; return its result.

    Streamlit's script thread may already have a loop; a fresh thread never does.
    """
    box: dict = {}

    def run() -> None:
        try:
            box["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # noqa: BLE001 re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=run, name="report-browser")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def to_pdf(report: Report) -> bytes:
    """Return the report as an A4 PDF: charts as vector (SVG) images, text extractable.

    Kaleido exports the charts and the same system Chromium prints the page.

    Raises
    ------
    ReportError
        When Chromium or Kaleido is missing, saying what to install.
    """
    chromium = find_chromium()
    try:
        import kaleido  # noqa: F401
    except ImportError as exc:
        raise ReportError("the PDF needs kaleido: pip install -r requirements.txt") from exc
    return run_browser(
        print_pdf(report.charts, PDF_CHART_SIZE, chromium, lambda imgs: to_html(report, imgs))
    )


def write(report: Report, out_dir: str | Path, fmt: str = "html") -> Path:
    """Write the report as ``<stem>.html`` or ``<stem>.pdf`` in ``out_dir``; return the path."""
    if fmt not in ("html", "pdf"):
        raise ReportError(f"format must be html or pdf, not {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{report.file_stem()}.{fmt}"
    if fmt == "html":
        path.write_text(to_html(report), encoding="utf-8")
    else:
        path.write_bytes(to_pdf(report))
    return path
