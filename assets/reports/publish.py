"""Write a rendered report to ``reports/<name>/`` in the object store; metadata for the UI."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from assets.reports.page import Report
from resources.object_store import ObjectStore


def object_uri(store: ObjectStore, key: str) -> str:
    """A URI for an object: ``file:///...`` for the local store, ``s3://bucket/prefix/key``."""
    root = store.describe().split(" via ")[0].rstrip("/")
    return f"{root}/{key}"


def publish(store: ObjectStore, name: str, report: Report) -> dict:
    """Write index.html and the files beside it; returns the materialisation metadata:
    links to the HTML, JSON and main plot, key figures, a preview and the fonts used."""
    prefix = f"reports/{name}"
    for fname, data in report.files.items():
        store.put_bytes(f"{prefix}/{fname}", data)
    store.put_bytes(f"{prefix}/index.html", report.html)  # last: the report appears complete
    meta: dict = {
        "report": dg.MetadataValue.url(object_uri(store, f"{prefix}/index.html")),
        "report_json": dg.MetadataValue.url(object_uri(store, f"{prefix}/summary.json")),
        "report_bytes": len(report.html),
        "files": dg.MetadataValue.json(sorted(report.files)),
    }
    pngs = [f for f in report.files if f.endswith(".png")]
    if pngs:
        meta["plot"] = dg.MetadataValue.url(object_uri(store, f"{prefix}/{pngs[0]}"))
    for k, v in report.figures.items():
        if isinstance(v, bool) or v is None:
            continue
        meta[k] = v if isinstance(v, int | float) else str(v)
    if report.preview is not None:
        meta["preview"] = dg.MetadataValue.md(
            report.preview.astype(str).to_markdown(index=False) if len(report.preview) else "_no rows_")
    if report.fonts is not None:
        meta["bundled_fonts"] = dg.MetadataValue.json(
            {"characters": report.fonts.covered, "sources": report.fonts.sources,
             "not_covered": report.fonts.missing})
    return meta


def preview_md(df: pd.DataFrame | None, rows: int = 10) -> dg.MetadataValue:
    if df is None or not len(df):
        return dg.MetadataValue.md("_no rows_")
    return dg.MetadataValue.md(df.head(rows).astype(str).to_markdown(index=False))
