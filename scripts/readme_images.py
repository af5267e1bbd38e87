"""Render the README's pictures from the demo's outputs (run `make demo` first).

Workbooks and the summary go through LibreOffice to PDF and pdftoppm to PNG, the same way a
person would see them printed; charts and packs are scaled down from what the demo drew.
Usage: python scripts/readme_images.py [outputs/demo]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's devtools

from PIL import Image  # noqa: E402

from devtools.office import libreoffice_convert_many  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
WIDTH = 1100


def page_png(pdf: Path, page: int, out: Path, dpi: int = 110) -> Image.Image:
    stem = out.with_suffix("")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(dpi),
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(pdf),
            str(stem),
        ],
        check=True,
    )
    return Image.open(stem.with_suffix(".png"))


def save(
    image: Image.Image, name: str, crop: tuple[float, float, float, float] = (0, 0, 1, 1)
) -> None:
    w, h = image.size
    box = (int(crop[0] * w), int(crop[1] * h), int(crop[2] * w), int(crop[3] * h))
    image = image.crop(box).convert("RGB")
    if image.width > WIDTH:
        image = image.resize((WIDTH, round(image.height * WIDTH / image.width)), Image.LANCZOS)
    image.save(IMAGES / name, optimize=True)
    print(f"wrote docs/images/{name} ({(IMAGES / name).stat().st_size // 1024} KiB)")


def main() -> int:
    demo = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "outputs" / "demo"
    if not (demo / "summary.xlsx").exists():
        print(f"{demo}/summary.xlsx not found: run 'make demo' first")
        return 1
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        workbook = next(sorted((demo / "workbooks").glob("*.xlsx")).__iter__())
        pdfs = libreoffice_convert_many([workbook, demo / "summary.xlsx"], tmp_dir, "pdf")
        review = page_png(pdfs[0], 2, tmp_dir / "review.png")
        save(review, "workbook-review.png", (0.03, 0.06, 0.97, 0.5))
        save(
            page_png(pdfs[1], 1, tmp_dir / "summary.png"),
            "summary-overview.png",
            (0.06, 0.1, 0.85, 0.62),
        )
        pack = next(iter(sorted((demo / "packs").rglob("*.pdf"))))
        save(page_png(pack, 1, tmp_dir / "pack.png", dpi=80), "pack-page-1.png")
        if (demo / "report.html").exists():
            from devtools.browser import screenshot

            shot = screenshot(demo / "report.html", tmp_dir / "report.png", 1280, 1000)
            save(Image.open(shot), "report-html.png")
    charts = demo / "charts"
    save(Image.open(charts / "distribution_edtech-srf-2026-autumn.png"), "distribution.png")
    save(Image.open(charts / "heatmap_edtech-srf-2026-autumn.png"), "heatmap.png", (0, 0, 1, 0.55))
    save(Image.open(charts / "rounds_schools_edtech-srf.png"), "progress.png")
    profile = next(iter(sorted((charts / "schools").rglob("*.png"))))
    save(Image.open(profile), "school-profile.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
