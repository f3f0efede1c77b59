"""Headless Chromium (Debian's ``chromium``) for report tests: DOM after scripts ran, and a
screenshot. System fonts are narrowed to DejaVu (a private fontconfig file) so CJK and
Arabic text can only render with the fonts the report bundles."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

# Runs in the page after load: what the test asserts on, written into the DOM as JSON.
PROBE = r"""
<script>
(async function(){
  await document.fonts.ready;
  function ink(font, text){
    var c=document.createElement("canvas"); c.width=400; c.height=80;
    var x=c.getContext("2d"); x.fillStyle="#fff"; x.fillRect(0,0,400,80);
    x.fillStyle="#000"; x.font=font; x.textBaseline="top"; x.fillText(text,4,8);
    return Array.from(x.getImageData(0,0,400,80).data.filter(function(v,i){return i%4===0;}));
  }
  function diff(a,b){var n=0;for(var i=0;i<a.length;i++){if(Math.abs(a[i]-b[i])>40)n++;}return n;}
  var han=document.body.dataset.probeHan||"雨";
  var stack=getComputedStyle(document.body).fontFamily;
  var bundled=ink("40px "+stack, han), fallback=ink("40px sans-serif", han), tofu=ink("40px "+stack, "\uE000\uE001");
  var r={
    tables: Array.from(document.querySelectorAll("table")).map(function(t){
      return {id:t.id, rows:t.querySelectorAll("tbody tr").length, height:t.getBoundingClientRect().height};}),
    images: Array.from(document.images).map(function(i){
      return {alt:i.alt, naturalWidth:i.naturalWidth, naturalHeight:i.naturalHeight, complete:i.complete};}),
    fonts_check_han: document.fonts.check("16px 'Offbeat CJK'", han),
    font_faces: Array.from(document.fonts).map(function(f){return f.family+":"+f.status;}),
    han_ink: bundled.filter(function(v){return v<128;}).length,
    han_vs_fallback_pixels: diff(bundled, fallback),
    han_vs_tofu_pixels: diff(bundled, tofu),
    title: document.getElementById("title").textContent,
    datatables_ready: Array.from(document.querySelectorAll("div.datatable")).map(function(d){return d.dataset.ready||"";}),
  };
  var pre=document.createElement("pre"); pre.id="offbeat-probe"; pre.textContent=JSON.stringify(r);
  document.body.appendChild(pre);
})();
</script>
"""

FONTS_CONF = """<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{cache}</cachedir></fontconfig>
"""


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _env(tmp: Path) -> dict:
    conf = tmp / "fonts.conf"
    conf.write_text(FONTS_CONF.format(cache=tmp / "fontcache"))
    return {**os.environ, "FONTCONFIG_FILE": str(conf), "HOME": str(tmp)}


def _run(args: list[str], tmp: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", "--disable-extensions", f"--user-data-dir={tmp / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_env(tmp))


def probe(html: bytes, tmp: Path, han: str = "雨") -> dict:
    """Load the report (plus the probe script) and return what the probe measured."""
    page = tmp / "probed.html"
    text = html.decode()
    text = text.replace("<body>", f"<body data-probe-han='{han}'>", 1).replace("</body>", PROBE + "</body>")
    page.write_text(text)
    out = _run(["--virtual-time-budget=8000", "--dump-dom", page.as_uri()], tmp)
    m = re.search(r'<pre id="offbeat-probe">(.*?)</pre>', out.stdout, re.S)
    if not m:
        raise AssertionError(f"probe did not run; chromium rc={out.returncode}: {out.stderr[-2000:]}")
    import html as h

    return json.loads(h.unescape(m.group(1)))


def screenshot(html: bytes, tmp: Path, name: str = "report", size: str = "1280,2000") -> Path:
    page = tmp / f"{name}.html"
    page.write_bytes(html)
    png = tmp / f"{name}.png"
    out = _run([f"--window-size={size}", "--hide-scrollbars", "--virtual-time-budget=5000",
                f"--screenshot={png}", page.as_uri()], tmp)
    if not png.exists():
        raise AssertionError(f"no screenshot; chromium rc={out.returncode}: {out.stderr[-2000:]}")
    return png
