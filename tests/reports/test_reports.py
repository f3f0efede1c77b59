"""The four reports rendered from small synthetic tables (the warehouse contracts' columns):
self-contained HTML (no external URL, plots as PNG data URIs, fonts embedded for the CJK and
Arabic text they show), the CSV/JSON beside it, and the report logic (recommended actions,
drift, spam-type examples, motif columns). Then each is opened in headless Chromium with
system fonts narrowed to DejaVu: tables and plots show, and the Han titles are drawn with
the bundled font (pixels differ from the fallback's tofu)."""

from __future__ import annotations

import base64
import io
import json
import re
import struct

import pandas as pd
import pytest

from assets.reports import fonts
from assets.reports.catalog_report import (
    ALLOWLIST,
    REVIEW,
    TAKE_DOWN,
    recommend_actions,
    render_catalog_report,
)
from assets.reports.network_report import motif_columns, render_network_report
from assets.reports.overview_report import render_overview_report
from assets.reports.spam_report import drift, render_spam_report, spam_type_examples
from tests.reports import browser, synthetic
from tests.reports.synthetic import ARABIC_TITLE, HAN_TITLE


def _png_sizes(html: str) -> list[tuple[int, int]]:
    sizes = []
    for b64 in re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html):
        png = base64.b64decode(b64)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        sizes.append(struct.unpack(">II", png[16:24]))
    return sizes


@pytest.fixture(scope="module")
def reports() -> dict:
    return {
        "catalog": render_catalog_report(**synthetic.catalog_tables()),
        "overview": render_overview_report(synthetic.overview_tables(), {"users": 10_000}),
        "spam": render_spam_report(**synthetic.spam_inputs(), previous={"spam_share": 0.2, "model_version": "old"}),
        "network": render_network_report(**synthetic.network_inputs()),
    }


@pytest.mark.parametrize("name", ["catalog", "overview", "spam", "network"])
def test_self_contained(reports, name):
    report = reports[name]
    html = report.html.decode()
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", html), "the report must not fetch anything"
    sizes = _png_sizes(html)
    assert sizes and all(w > 0 and h > 0 for w, h in sizes)
    assert "<table" in html
    assert "summary.json" in report.files
    json.loads(report.files["summary.json"])
    for fname, data in report.files.items():
        if fname.endswith(".csv"):
            pd.read_csv(io.BytesIO(data))
    # Han text shown -> the CJK subset is embedded, covering exactly the characters used.
    if HAN_TITLE[0] in html:
        assert "@font-face{font-family:\"Offbeat CJK\"" in html
        assert report.fonts.covered["Offbeat CJK"] == len({c for c in html if fonts.needs_font(c)
                                                           and "\u4e00" <= c <= "\u9fff"})
        assert report.fonts.missing == ""


def test_catalog_actions_and_evidence(reports):
    t = synthetic.catalog_tables()
    actions = recommend_actions(t["flagged"], t["networks"], min_reuse_ratio=0.3, allowlist_margin=0.1)
    by_label = actions.set_index("label_id")["action"]
    in_net = set(t["networks"]["label_id"])
    for label, action in by_label.items():
        ratio = float(t["flagged"].set_index("label_id").loc[label, "reuse_ratio"])
        expected = TAKE_DOWN if label in in_net else (ALLOWLIST if ratio < 0.4 else REVIEW)
        assert action == expected, label
    assert by_label["L00000"] == ALLOWLIST  # ratio 0.35, in no network
    report = reports["catalog"]
    listed = pd.read_csv(io.BytesIO(report.files["flagged_labels.csv"]))
    assert sorted(listed["label_id"]) == sorted(t["flagged"]["label_id"])
    assert listed["reused_titles"].str.contains(HAN_TITLE).all()
    html = report.html.decode()
    for nid in t["summary"]["network_id"]:
        assert f"id='net-{nid}'" in html
    assert "Karaoke Co" in html  # exempt label that would have been flagged
    assert "p = 0.001 (coordinated uploads, null expects 12%)" in html  # synchrony test of network L00001
    assert report.figures["take_down_labels"] == len(in_net)


def test_catalog_audio_evidence_and_synchrony_per_network(reports):
    t = synthetic.catalog_tables()
    html = reports["catalog"].html.decode()
    cards = {nid: html.split(f"id='net-{nid}'", 1)[1].split("<div class='card'", 1)[0]
             for nid in t["summary"]["network_id"]}
    assert "near-identical title catalogues" in cards["L00001"] and "Audio evidence" not in cards["L00001"]
    assert "titles and audio" in cards["L00005"] and "the same recordings (audio)" in cards["L00009"]
    # the audio network's card: its audio edge, the re-uploaded pairs (with the 3% speed-up), its synchrony test
    assert "Audio evidence" in cards["L00009"] and "T1000" in cards["L00009"] and "+3.0%" in cards["L00009"]
    assert "p = 0.42 (not beyond the labels&#x27; rhythms" in cards["L00009"] or \
        "p = 0.42 (not beyond the labels' rhythms" in cards["L00009"]
    assert "T0101" not in html  # a label's own remaster is no evidence against it
    report = reports["catalog"]
    assert report.figures["networks_joined_by_audio"] == 1 and report.figures["networks_joined_by_both"] == 1
    assert report.figures["cross_label_audio_matches"] == 4
    assert len(pd.read_csv(io.BytesIO(report.files["audio_matches.csv"]))) == 5
    summary = json.loads(report.files["summary.json"])["networks"]
    assert {n["network_id"]: n["evidence"] for n in summary} == {"L00001": "title", "L00005": "both",
                                                                   "L00009": "audio"}


def test_catalog_pages_thousands_of_labels():
    t = synthetic.catalog_tables(flagged_labels=3000)
    report = render_catalog_report(**t)
    html = report.html.decode()
    first_page = html.split("id='flagged-labels'", 1)[1].split("</table>", 1)[0]
    assert first_page.count("<tr>") == 51  # header + the first 50 rows as HTML
    data = re.search(r"<div class='datatable' data-page-size='50'>.*?<script type='application/json'>(.*?)</script>",
                     html, re.S).group(1)
    assert len(json.loads(data)["rows"]) == 3000  # every label is searchable in the page


def test_spam_drift_and_examples():
    inputs = synthetic.spam_inputs()
    ex = spam_type_examples(inputs["scores"], n=2)
    spam = inputs["scores"][inputs["scores"]["predicted_class"] == "spam"]
    for spam_type, group in ex.groupby("spam_type"):
        best = spam[spam["spam_type"] == spam_type].nlargest(2, "spam_probability")
        assert list(group["user_id"]) == list(best["user_id"])
    d = drift({"spam_share": 0.3, "model_version": "b", "users": 10}, {"spam_share": 0.2, "users": 10})
    assert d.set_index("figure").loc["spam_share", "change"] == pytest.approx(0.1)
    report = render_spam_report(**inputs, previous={"spam_share": 0.2, "model_version": "old"})
    html = report.html.decode()
    assert "Model changed: old -> 20260101T000000Z-ab12" in html
    assert report.figures["spam_users"] == len(spam)
    first = render_spam_report(**inputs, previous=None)
    assert "First run" in first.html.decode()


def test_network_motif_columns():
    m = synthetic.network_inputs()["metrics"].assign(**{"sp_021D": 0.1})
    census, zs = motif_columns(m)
    assert len(census) == 16 and census["021D"] == "triad_021D"
    assert len(zs) == 13 and zs["300"] == "z_300"


def test_missing_inputs_are_named():
    report = render_network_report(metrics=None, bots=None, clean=None, timelines=None, mavens=None)
    assert "Not available yet: network_metrics, follow_bots" in report.html.decode()


chromium_missing = pytest.mark.skipif(
    browser.chromium() is None,
    reason="headless Chromium not installed: `make browser` (Debian: apt-get install chromium fonts-noto-cjk)")


@chromium_missing
@pytest.mark.parametrize("name", ["catalog", "overview", "spam", "network"])
def test_renders_in_chromium(reports, name, tmp_path):
    html = reports[name].html
    probe = browser.probe(html, tmp_path, han=HAN_TITLE[0])
    n_png = len(_png_sizes(html.decode()))
    assert len(probe["images"]) == n_png
    assert all(i["complete"] and i["naturalWidth"] > 0 and i["naturalHeight"] > 0 for i in probe["images"])
    assert probe["tables"] and all(t["rows"] > 0 and t["height"] > 0 for t in probe["tables"])
    assert all(r == "1" for r in probe["datatables_ready"])  # search/paging script ran
    if HAN_TITLE[0] in html.decode():
        assert "Offbeat CJK:loaded" in probe["font_faces"]
        assert probe["fonts_check_han"]
        assert probe["han_ink"] > 50  # something drawn
        # With system fonts narrowed to DejaVu the fallback draws tofu: the bundled font differs.
        assert probe["han_vs_fallback_pixels"] > 50
        assert probe["han_vs_tofu_pixels"] > 50


@chromium_missing
def test_search_and_paging_in_chromium(tmp_path):
    t = synthetic.catalog_tables(flagged_labels=120)
    html = render_catalog_report(**t).html.decode()
    script = """<script>window.addEventListener("load",function(){
      var box=document.querySelector("div.datatable"), input=box.querySelector("input.search");
      box.querySelector("button.next").click();
      var page2=box.querySelector("tbody tr td").textContent;
      input.value="L00077"; input.dispatchEvent(new Event("input"));
      var p=document.createElement("pre"); p.id="paging"; p.textContent=JSON.stringify({page2:page2,
        rows:box.querySelectorAll("tbody tr").length, first:box.querySelector("tbody tr td").textContent,
        info:box.querySelector(".info").textContent}); document.body.appendChild(p);});</script>"""
    page = tmp_path / "paging.html"
    page.write_text(html.replace("</body>", script + "</body>"))
    out = browser._run(["--virtual-time-budget=5000", "--dump-dom", page.as_uri()], tmp_path)
    result = json.loads(re.search(r'<pre id="paging">(.*?)</pre>', out.stdout, re.S).group(1).replace("&quot;", '"'))
    assert result["rows"] == 1 and result["first"] == "L00077"
    assert "filtered from 120" in result["info"]
    assert result["page2"] != "L00001"


@chromium_missing
def test_screenshot_shows_han_title(tmp_path):
    """A screenshot of the catalog report (kept under tmp_path for a human to look at)."""
    html = render_catalog_report(**synthetic.catalog_tables()).html
    png = browser.screenshot(html, tmp_path, "catalog", size="1200,1400")
    data = png.read_bytes()
    w, h = struct.unpack(">II", data[16:24])
    assert (w, h) == (1200, 1400)
    assert ARABIC_TITLE  # the synthetic data carries Arabic too (embedded Offbeat Arabic)


def test_spam_metrics_in_the_models_format():
    """``assets.users.model.evaluate``'s dict: per-class figures flattened, confusion matrix drawn."""
    inputs = synthetic.spam_inputs()
    inputs["confusion"] = None
    inputs["metrics"] = {"model_version": "v2", "accuracy": 0.97, "spam_roc_auc": 0.99,
                         "per_class": {"spam": {"precision": 0.98, "recall": 0.93, "f1": 0.95, "support": 100}},
                         "confusion_matrix": {"labels": ["fans", "spam"], "rows_true_cols_predicted": [[90, 3], [7, 93]]},
                         "reliability": [{"bin": 0, "mean_p": 0.1}]}
    report = render_spam_report(**inputs)
    assert report.figures["spam_precision"] == 0.98 and report.figures["spam_recall"] == 0.93
    assert "confusion.png" in report.files
    html = report.html.decode()
    cm = html.split("actual \\ predicted", 1)[1].split("</table>", 1)[0]
    assert [int(x) for x in re.findall(r"<td class='num'>(\d+)</td>", cm)] == [90, 3, 7, 93]


def test_overview_follow_plot_from_buckets_or_points():
    tables = synthetic.overview_tables()
    report = render_overview_report(tables)
    assert {"plans.png", "track_buckets.png", "engagement.png", "follow.png", "domains.png"} <= set(report.files)
    plans = pd.read_csv(io.BytesIO(report.files["plans.csv"]))
    assert plans["users"].sum() == 10_000
    points = pd.DataFrame({"followers": [0, 5, 1000], "followings": [300, 20, 10], "predicted_class": ["spam", "fans", "fans"]})
    scatter = render_overview_report({"follow": points})
    assert "follow.png" in scatter.files and "Not available yet: plans" in scatter.html.decode()


@chromium_missing
def test_audio_evidence_shows_in_chromium(reports, tmp_path):
    """The audio-only network's card renders: its evidence table has rows on screen."""
    script = """<script>window.addEventListener("load",function(){
      var card=document.getElementById("net-L00009"), h=[].slice.call(card.querySelectorAll("h4"));
      var audio=h.filter(function(x){return x.textContent.indexOf("Audio evidence")===0;})[0];
      var tables=card.querySelectorAll("table"), last=tables[tables.length-1];
      var p=document.createElement("pre"); p.id="audio"; p.textContent=JSON.stringify({
        heading: !!audio, visible: audio ? audio.getBoundingClientRect().height > 0 : false,
        rows: last.querySelectorAll("tbody tr").length, height: last.getBoundingClientRect().height,
        img: card.querySelector("img").naturalWidth}); document.body.appendChild(p);});</script>"""
    page = tmp_path / "audio.html"
    page.write_text(reports["catalog"].html.decode().replace("</body>", script + "</body>"))
    out = browser._run(["--virtual-time-budget=5000", "--dump-dom", page.as_uri()], tmp_path)
    result = json.loads(re.search(r'<pre id="audio">(.*?)</pre>', out.stdout, re.S).group(1).replace("&quot;", '"'))
    assert result["heading"] and result["visible"]
    assert result["rows"] == 2 and result["height"] > 0  # the two re-uploaded pairs of L00009
    assert result["img"] > 0
