"""Building blocks of the self-contained HTML reports (pure: no Dagster, no Spark).

A report is one HTML file: plots are PNG in ``data:`` URIs, fonts for CJK/Arabic text are
embedded (``fonts.py``), large tables carry their rows as JSON with a small script for
search and paging (the first page is also rendered as plain HTML, so the report reads
without scripts), and nothing is fetched from the network.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import re
from dataclasses import dataclass, field

import pandas as pd

from assets.reports.fonts import EmbeddedFonts, embed_fonts, use_in_matplotlib

esc = html.escape

CSS = """
body{font-family:"Offbeat CJK","Offbeat Arabic","DejaVu Sans",Arial,Helvetica,sans-serif;margin:1.5em 2em;color:#222;max-width:1400px}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
.sub{color:#666;margin-top:0}
table{border-collapse:collapse;font-size:13px;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 7px;vertical-align:top;text-align:left}
th{background:#f3f3f3} td.num{text-align:right;font-variant-numeric:tabular-nums}
.figs{display:flex;flex-wrap:wrap;gap:.6em;padding:0;list-style:none}
.figs li{border:1px solid #ddd;border-radius:6px;padding:.4em .8em;background:#fafafa}
.figs b{display:block;font-size:1.3em}
.note{color:#555;font-size:13px} .warn{color:#a40}
.pager{margin:.3em 0} .pager input{width:22em} .pager button{margin:0 .2em}
img.plot{max-width:100%;border:1px solid #eee}
.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:.8em 0}
.tag{display:inline-block;border-radius:4px;padding:0 .4em;font-size:12px;background:#eee}
.tag.take_down{background:#f4c7c3} .tag.review{background:#fce8b2} .tag.allowlist{background:#d9ead3}
"""

# Search + paging over a table whose rows are JSON in <script type="application/json">.
TABLE_JS = r"""
(function(){
  function fmt(v){return v===null||v===undefined?"":String(v);}
  document.querySelectorAll("div.datatable").forEach(function(box){
    var data=JSON.parse(box.querySelector("script[type='application/json']").textContent);
    var size=parseInt(box.dataset.pageSize,10), page=0, rows=data.rows;
    var input=box.querySelector("input.search"), info=box.querySelector(".info");
    var tbody=box.querySelector("tbody");
    function draw(){
      var pages=Math.max(1,Math.ceil(rows.length/size)); if(page>=pages)page=pages-1; if(page<0)page=0;
      var frag=document.createDocumentFragment();
      rows.slice(page*size,(page+1)*size).forEach(function(r){
        var tr=document.createElement("tr");
        r.forEach(function(v,i){var td=document.createElement("td");td.textContent=fmt(v);
          if(data.numeric[i])td.className="num";tr.appendChild(td);});
        frag.appendChild(tr);});
      tbody.replaceChildren(frag);
      info.textContent=rows.length?("rows "+(page*size+1)+"-"+Math.min(rows.length,(page+1)*size)+" of "+rows.length
        +(rows.length<data.rows.length?" (filtered from "+data.rows.length+")":"")+", page "+(page+1)+"/"+pages):"no matching rows";
    }
    input.addEventListener("input",function(){
      var q=input.value.trim().toLowerCase();
      rows=!q?data.rows:data.rows.filter(function(r){return r.some(function(v){return fmt(v).toLowerCase().indexOf(q)>=0;});});
      page=0;draw();});
    box.querySelector("button.prev").addEventListener("click",function(){page--;draw();});
    box.querySelector("button.next").addEventListener("click",function(){page++;draw();});
    box.dataset.ready="1"; draw();
  });
})();
"""


def _num(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e6 else f"{v:,.0f}"
    if isinstance(v, list | tuple):
        return ", ".join(map(str, v))
    if hasattr(v, "tolist") and not isinstance(v, str):  # numpy arrays from Spark
        return ", ".join(map(str, v.tolist()))
    return str(v)


def plain(df: pd.DataFrame) -> pd.DataFrame:
    """Arrays as comma-separated text, timestamps as ISO strings (for CSV, JSON and HTML)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object and out[col].map(lambda v: hasattr(v, "__len__") and not isinstance(v, str)).any():
            out[col] = out[col].map(lambda v: _cell(v) if v is not None else None)
        elif pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].map(lambda t: t.isoformat() if pd.notna(t) else None)
    return out


def table(df: pd.DataFrame, max_rows: int | None = None, empty: str = "None.") -> str:
    """An escaped HTML table (numbers right-aligned)."""
    if df is None or not len(df):
        return f"<p class='note'>{esc(empty)}</p>"
    shown = df if max_rows is None else df.head(max_rows)
    head = "".join(f"<th>{esc(str(c))}</th>" for c in shown.columns)
    body = []
    for row in shown.itertuples(index=False):
        body.append("<tr>" + "".join(
            f"<td class='num'>{esc(_cell(v))}</td>" if _num(v) else f"<td>{esc(_cell(v))}</td>" for v in row) + "</tr>")
    more = (f"<p class='note'>First {max_rows:,} of {len(df):,} rows; all rows are in the CSV.</p>"
            if max_rows is not None and len(df) > max_rows else "")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def _json_value(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float):
        return round(v, 4)
    if isinstance(v, int | bool):
        return v
    return _cell(v)


def data_table(df: pd.DataFrame, table_id: str, page_size: int = 50, empty: str = "None.") -> str:
    """A searchable, paged table: every row as JSON in the page, the first page as HTML."""
    if df is None or not len(df):
        return f"<p class='note'>{esc(empty)}</p>"
    rows = [[_json_value(v) for v in r] for r in df.itertuples(index=False)]
    numeric = [bool(pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])) for c in df.columns]
    payload = json.dumps({"columns": [str(c) for c in df.columns], "numeric": numeric, "rows": rows},
                         ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    first = table(df.head(page_size))
    first = first.replace("<table>", f"<table id='{esc(table_id)}'>", 1)
    return (f"<div class='datatable' data-page-size='{page_size}'>"
            f"<div class='pager'><input class='search' type='search' placeholder='search all {len(df):,} rows'>"
            f"<button class='prev' type='button'>&lt; prev</button><button class='next' type='button'>next &gt;</button>"
            f"<span class='info'>rows 1-{min(page_size, len(df))} of {len(df):,}</span></div>"
            f"{first}<script type='application/json'>{payload}</script></div>")


def key_figures(figures: dict) -> str:
    items = []
    for k, v in figures.items():
        shown = f"{v:,.4g}" if isinstance(v, float) else (f"{v:,}" if isinstance(v, int) else str(v))
        items.append(f"<li>{esc(k.replace('_', ' '))}<b>{esc(shown)}</b></li>")
    return f"<ul class='figs'>{''.join(items)}</ul>"


def png_tag(png: bytes, alt: str) -> str:
    return f"<img class='plot' alt='{esc(alt)}' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"


def fig_png(fig, dpi: int = 90) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def pyplot():
    """matplotlib's pyplot on the Agg backend (no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


_TAG = re.compile(r"<script.*?</script>|<[^>]+>|data:[a-z/+-]+;base64,[A-Za-z0-9+/=]+", re.S)


def text_of(*frames_or_strings) -> str:
    """All characters that a report will show (to choose its fonts before plotting)."""
    parts = []
    for x in frames_or_strings:
        if isinstance(x, pd.DataFrame):
            for col in x.columns:
                parts.append(str(col))
                if x[col].dtype == object:
                    parts.extend(_cell(v) for v in x[col].tolist())
        elif x is not None:
            parts.append(str(x))
    return "\n".join(parts)


@dataclass
class Report:
    """A rendered report: the HTML page plus files written beside it (CSV, JSON, PNG)."""

    html: bytes
    files: dict[str, bytes] = field(default_factory=dict)
    figures: dict = field(default_factory=dict)  # key figures (also in summary.json)
    fonts: EmbeddedFonts | None = None
    preview: pd.DataFrame | None = None  # the table shown in the Dagster UI


def start_fonts(text: str) -> EmbeddedFonts:
    """Fonts for ``text``, registered with matplotlib for the plots that follow."""
    fonts = embed_fonts(text)
    use_in_matplotlib(fonts)
    return fonts


def document(title: str, subtitle: str, body: str) -> tuple[bytes, EmbeddedFonts]:
    """The whole page, with fonts for every character of its title, text and table data."""
    visible = _TAG.sub(" ", body) + title + subtitle
    for m in re.finditer(r"<script type='application/json'>(.*?)</script>", body, re.S):
        visible += m.group(1)
    fonts = embed_fonts(visible)
    missing = (f"<p class='note warn'>No bundled font covers: {esc(fonts.missing[:50])}</p>" if fonts.missing else "")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{esc(title)}</title>
<style>{fonts.css}{CSS}</style></head>
<body><h1 id="title">{esc(title)}</h1><p class="sub">{esc(subtitle)}</p>{missing}
{body}
<script>{TABLE_JS}</script>
</body></html>""".encode(), fonts
