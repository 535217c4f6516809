"""Render HTML reports to PDF (or PNG) with headless Chromium.

The reports are self-contained HTML files whose Plotly charts are drawn by JavaScript, so a
browser engine is needed to print them. Chromium is run headless, with networking disabled
(``--host-resolver-rules`` maps every host to "not found"), so printing also proves the report
works offline. Chromium is looked up, in order, in the ``SMARTSPEC_CHROMIUM`` environment
variable, then ``chromium``, ``chromium-browser``, ``google-chrome``,
``google-chrome-stable`` on ``PATH``, then ``/usr/bin/chromium``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = [
    "CHROMIUM_CANDIDATES",
    "PdfUnavailableError",
    "find_chromium",
    "html_to_pdf",
    "html_to_png",
]

#: Executable names tried on ``PATH`` (after the ``SMARTSPEC_CHROMIUM`` variable).
CHROMIUM_CANDIDATES: tuple[str, ...] = (
    "chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "/usr/bin/chromium",
)
#: Flags common to every headless run: no sandbox (containers, root), no GPU, no background
#: traffic, and no network at all.
_BASE_FLAGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--run-all-compositor-stages-before-draw",
)


class PdfUnavailableError(RuntimeError):
    """Raised when no Chromium/Chrome executable is available to print a report."""


def find_chromium() -> str | None:
    """Path of a usable Chromium/Chrome executable, or ``None``.

    Looks at the ``SMARTSPEC_CHROMIUM`` environment variable first, then
    :data:`CHROMIUM_CANDIDATES`.
    """
    env = os.environ.get("SMARTSPEC_CHROMIUM")
    if env:
        found = shutil.which(env)
        if found:
            return found
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _require_chromium(chromium: str | None) -> str:
    exe = shutil.which(chromium) if chromium else find_chromium()
    if exe is None:
        raise PdfUnavailableError(
            "PDF output needs a headless Chromium or Chrome browser, and none was found "
            f"({'not executable: ' + repr(chromium) if chromium else 'tried $SMARTSPEC_CHROMIUM, ' + ', '.join(CHROMIUM_CANDIDATES)}). "
            "Install it, e.g. `apt-get install chromium` (Debian/Ubuntu), `dnf install chromium` "
            "or `brew install --cask chromium`, or set SMARTSPEC_CHROMIUM to the browser's path. "
            "The HTML report itself was written and can be printed from any browser."
        )
    return exe


def _run(exe: str, html_path: Path, flags: list[str], output: Path, timeout: float) -> Path:
    html_path = Path(html_path).resolve()
    if not html_path.is_file():
        raise FileNotFoundError(f"{html_path}: HTML file not found")
    output = Path(output).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.exists():
        output.unlink()
    with tempfile.TemporaryDirectory(prefix="smartspec-chromium-") as profile_dir:
        cmd = [exe, *_BASE_FLAGS, f"--user-data-dir={profile_dir}", *flags,
               html_path.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"{exe} did not finish rendering {html_path} within "
                               f"{timeout:.0f} s") from exc
    if not output.is_file() or output.stat().st_size == 0:
        tail = "\n".join((proc.stderr or "").strip().splitlines()[-8:])
        raise RuntimeError(f"{exe} exited with status {proc.returncode} without writing "
                           f"{output}; last messages:\n{tail}")
    return output


def html_to_pdf(html_path: str | Path, pdf_path: str | Path | None = None, *,
                chromium: str | None = None, budget_ms: int = 10000,
                timeout: float = 180.0) -> Path:
    """Print an HTML file to PDF with headless Chromium, after its scripts have run.

    Parameters
    ----------
    html_path : path of the HTML file (a self-contained report).
    pdf_path : output path; default: ``html_path`` with the suffix ``.pdf``.
    chromium : browser executable; default :func:`find_chromium`.
    budget_ms : virtual time given to the page's scripts (Plotly drawing) before printing.
    timeout : wall-clock limit in seconds.

    Returns
    -------
    Path of the PDF written.

    Raises
    ------
    PdfUnavailableError
        No browser is installed (the message says what to install).
    RuntimeError
        The browser failed or did not write the file.
    """
    exe = _require_chromium(chromium)
    html_path = Path(html_path)
    pdf = Path(pdf_path) if pdf_path is not None else html_path.with_suffix(".pdf")
    flags = [f"--virtual-time-budget={int(budget_ms)}", "--no-pdf-header-footer",
             f"--print-to-pdf={Path(pdf).resolve()}"]
    out = _run(exe, html_path, flags, pdf, timeout)
    with out.open("rb") as fh:
        if fh.read(5) != b"%PDF-":
            raise RuntimeError(f"{out}: Chromium wrote a file that is not a PDF")
    return out


def html_to_png(html_path: str | Path, png_path: str | Path, *,
                window_size: tuple[int, int] = (1400, 3000), chromium: str | None = None,
                budget_ms: int = 10000, timeout: float = 180.0) -> Path:
    """Screenshot an HTML file (the top ``window_size`` pixels) to PNG with headless Chromium.

    Useful to look at a report without a browser. Same parameters and errors as
    :func:`html_to_pdf`; ``window_size`` is ``(width, height)`` in CSS pixels.
    """
    exe = _require_chromium(chromium)
    w, h = (int(v) for v in window_size)
    if w <= 0 or h <= 0:
        raise ValueError(f"window_size must be positive, got {window_size!r}")
    flags = [f"--virtual-time-budget={int(budget_ms)}", f"--window-size={w},{h}",
             f"--screenshot={Path(png_path).resolve()}"]
    return _run(exe, Path(html_path), flags, Path(png_path), timeout)
