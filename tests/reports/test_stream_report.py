"""Scenario: the stream-fraud report over a small made-up result: two catalog networks whose
labels are paid by a farm, labels without fraud, flagged accounts with evidence, a farm that
plays around the clock just past 30 s against people who rest and play whole songs. The page
is self-contained, its figures are the tables', every label and account is listed and
searchable, and headless Chromium draws its plots (a screenshot is kept in tmp_path).
"""

from __future__ import annotations

import json
import re
import struct

import numpy as np
import pandas as pd
import pytest

from assets.reports.stream_report import render_stream_report
from tests.reports import browser

chromium_missing = pytest.mark.skipif(
    browser.chromium() is None,
    reason="headless Chromium not installed: `make browser` (Debian: apt-get install chromium fonts-noto-cjk)")


def _tables(n_labels: int = 140, n_accounts: int = 90) -> dict:
    rng = np.random.default_rng(4)
    labels = []
    for i in range(n_labels):
        royalty = int(rng.integers(100, 5000))
        net = 7 if i < 12 else (9 if i < 20 else None)
        flagged = int(royalty * (0.9 if net == 7 else 0.6 if net == 9 else 0.01 * (i % 3)))
        labels.append({"label_id": f"L{i:05d}", "royalty_plays": royalty, "flagged_royalty_plays": flagged,
                       "fraud_share": flagged / royalty, "flagged_accounts": int(flagged > 0) * (3 + i % 40),
                       "network_id": net, "tracks": 10, "plays": royalty * 2, "clean_royalty_plays": royalty - flagged})
    labels = pd.DataFrame(labels)
    networks = (labels.dropna(subset=["network_id"]).groupby("network_id")
                .agg(labels=("label_id", "size"), royalty_plays=("royalty_plays", "sum"),
                     flagged_royalty_plays=("flagged_royalty_plays", "sum")).reset_index())
    networks["fraud_share"] = networks["flagged_royalty_plays"] / networks["royalty_plays"]
    networks["flagged_accounts"] = [1100, 320]
    accounts = pd.DataFrame({
        "user_id": np.arange(1, n_accounts + 1) + 10_000, "suspicion": np.linspace(1.0, 0.6, n_accounts),
        "detectors": [["no_rest", "threshold_skim"] if i % 2 else ["colisten"] for i in range(n_accounts)],
        "evidence": [f"played {20 + i % 4} of 24 hours; 97% of plays end 30-33 s" for i in range(n_accounts)],
        "plays": 400, "royalty_plays": 390})
    hours = []
    for u in range(30):
        for h in range(24):
            hours.append({"user_id": 10_001 + u, "flagged": True, "hour": h, "plays": int(rng.integers(15, 20))})
            if 7 <= h <= 23:
                hours.append({"user_id": 500 + u, "flagged": False, "hour": h, "plays": int(rng.integers(0, 9))})
    bins = np.arange(0, 242_000, 2000)
    hist = pd.concat([
        pd.DataFrame({"flagged": True, "bin_ms": bins, "plays": np.where((bins >= 30_000) & (bins < 34_000), 5000, 3)}),
        pd.DataFrame({"flagged": False, "bin_ms": bins, "plays": (200 + 50 * np.sin(bins / 30_000)).astype(int)}),
    ])
    detectors = pd.DataFrame({"detector": ["no_rest", "threshold_skim", "colisten"], "flagged_accounts": [45, 45, 45]})
    figures = {"plays": 123_456, "flagged_accounts": n_accounts,
               "fraud_share_of_royalty_plays": round(labels["flagged_royalty_plays"].sum()
                                                     / labels["royalty_plays"].sum(), 4)}
    return dict(labels=labels, networks=networks, accounts=accounts, hours=pd.DataFrame(hours), histogram=hist,
                detectors=detectors, figures=figures)


def _pngs(html: str) -> list[str]:
    return re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)


def test_report_lists_every_label_and_account_with_the_network_sentences():
    t = _tables()
    report = render_stream_report(**t)
    html = report.html.decode()
    assert "http://" not in html and "https://" not in html  # nothing fetched
    assert len(_pngs(html)) == 3  # royalties, hour heatmap, ms_played histogram
    assert {"royalties.png", "hours.png", "ms_played.png"} <= set(report.files)
    labels_csv = pd.read_csv(pd.io.common.BytesIO(report.files["label_stream_fraud.csv"]))
    assert sorted(labels_csv["label_id"]) == sorted(t["labels"]["label_id"])
    accounts_csv = pd.read_csv(pd.io.common.BytesIO(report.files["flagged_accounts.csv"]))
    assert len(accounts_csv) == len(t["accounts"])
    assert accounts_csv["detectors"].iloc[0] in ("colisten", "no_rest, threshold_skim")
    page_rows = json.loads(re.findall(r"<script type='application/json'>(.*?)</script>", html, re.S)[0]
                           .replace("<\\/", "</"))["rows"]
    assert len(page_rows) == len(t["labels"])  # every label in the page, not only the first page
    summary = json.loads(report.files["summary.json"])
    n7 = t["networks"].set_index("network_id").loc[7]
    want = (f"these 12 labels in network 7 earned {100 * n7['fraud_share']:.1f}% of their royalty plays from "
            "1,100 flagged accounts")
    assert want in summary["networks"]
    assert "These 12 labels in network 7" in html
    assert summary["figures"]["flagged_accounts"] == len(t["accounts"])


def test_missing_inputs_are_named_and_nothing_found_is_said():
    report = render_stream_report(labels=None, networks=None, accounts=pd.DataFrame(
        columns=["user_id", "suspicion", "detectors", "evidence", "plays", "royalty_plays"]), hours=None,
        histogram=None, missing=["label_stream_fraud"])
    html = report.html.decode()
    assert "Not available yet: label_stream_fraud" in html
    assert "No account flagged: nothing found." in html
    assert "No plays to draw." in html


@chromium_missing
def test_renders_searches_and_draws_in_chromium(tmp_path):
    report = render_stream_report(**_tables())
    probe = browser.probe(report.html, tmp_path)
    assert len(probe["images"]) == 3
    assert all(i["complete"] and i["naturalWidth"] > 200 and i["naturalHeight"] > 100 for i in probe["images"])
    assert probe["tables"] and all(t["rows"] > 0 and t["height"] > 0 for t in probe["tables"])
    assert probe["datatables_ready"] == ["1", "1"]
    script = """<script>window.addEventListener("load",function(){
      var box=document.querySelectorAll("div.datatable")[0], input=box.querySelector("input.search");
      input.value="L00131"; input.dispatchEvent(new Event("input"));
      var p=document.createElement("pre"); p.id="search"; p.textContent=JSON.stringify({
        rows:box.querySelectorAll("tbody tr").length, first:box.querySelector("tbody tr td").textContent,
        info:box.querySelector(".info").textContent}); document.body.appendChild(p);});</script>"""
    page = tmp_path / "search.html"
    page.write_text(report.html.decode().replace("</body>", script + "</body>"))
    out = browser._run(["--virtual-time-budget=5000", "--dump-dom", page.as_uri()], tmp_path)
    result = json.loads(re.search(r'<pre id="search">(.*?)</pre>', out.stdout, re.S).group(1).replace("&quot;", '"'))
    assert result["rows"] == 1 and result["first"] == "L00131" and "filtered from 140" in result["info"]
    png = browser.screenshot(report.html, tmp_path, "streams", size="1200,2600")
    w, h = struct.unpack(">II", png.read_bytes()[16:24])
    assert (w, h) == (1200, 2600)


def test_royalty_chart_names_label_id_networks():
    """Catalog network ids are label ids (the smallest member's id), i.e. strings."""
    import pandas as pd

    from assets.reports.stream_report import royalty_chart

    labels = pd.DataFrame({"label_id": ["L2", "L9"], "network_id": ["L1526959", None],
                           "clean_royalty_plays": [10, 40], "flagged_royalty_plays": [90, 0]})
    png = royalty_chart(labels)
    assert png and png[:4] == b"\x89PNG"
