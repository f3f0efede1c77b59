"""Fonts bundled into the reports, so CJK and Arabic titles render offline in any browser
and in the matplotlib plots, whatever fonts the reader's machine has.

For each render the text of the report is scanned for characters outside the Latin/Greek/
Cyrillic range that the default fonts cover; each source font below is subset (fontTools)
to exactly the characters it covers, renamed (``Offbeat CJK`` / ``Offbeat Arabic``) and
embedded as a base64 WOFF ``@font-face`` (a few kB for a report's titles). The same subset
is registered with matplotlib for the plots.

Sources, first found wins per script:
* the machine's Noto fonts (Debian ``fonts-noto-cjk``: Noto Sans CJK SC; ``fonts-noto-core``:
  Noto Sans Arabic), full coverage;
* else the subsets committed under ``static/`` (SIL Open Font License, ``static/OFL.txt``):
  Noto Sans CJK SC cut to GB 2312 level 1 (the 3,755 most common Han characters), kana and
  CJK punctuation; Noto Sans Arabic's Arabic blocks. Characters no source covers are
  reported by ``EmbeddedFonts.missing`` (they fall back to whatever the reader has).

Arabic in plots is drawn unshaped (matplotlib has no text shaping); HTML text is shaped
by the browser.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"


@dataclass(frozen=True)
class FontSource:
    family: str  # the family name the report uses
    path: str
    font_number: int = 0


# Per script, candidate sources in order of preference.
SOURCES: dict[str, list[FontSource]] = {
    "cjk": [
        FontSource("Offbeat CJK", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
        FontSource("Offbeat CJK", "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc", 2),
        FontSource("Offbeat CJK", str(STATIC / "NotoSansCJKsc-Regular-gb2312l1.woff")),
    ],
    "arabic": [
        FontSource("Offbeat Arabic", "/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf"),
        FontSource("Offbeat Arabic", str(STATIC / "NotoSansArabic-Regular-subset.woff")),
    ],
}
FAMILIES = ["Offbeat CJK", "Offbeat Arabic"]


def needs_font(ch: str) -> bool:
    """Characters the default Latin fonts (DejaVu, Arial, ...) do not cover: from Hebrew
    (U+0590) up, except general punctuation, symbols and arrows (U+2000..U+2BFF)."""
    o = ord(ch)
    return o >= 0x0590 and not (0x2000 <= o <= 0x2BFF) and not (0xFE00 <= o <= 0xFE0F)


@lru_cache(maxsize=8)
def _cmap(path: str, font_number: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    font = TTFont(path, fontNumber=font_number, lazy=True)
    return frozenset(font.getBestCmap().keys())


def available_sources() -> list[FontSource]:
    """The first existing source of each script."""
    out = []
    for candidates in SOURCES.values():
        for src in candidates:
            if os.path.isfile(src.path):
                out.append(src)
                break
    return out


def _rename(font, family: str) -> None:
    name = font["name"]
    for rec in list(name.names):
        if rec.nameID in (1, 4, 16, 3, 6):
            name.removeNames(nameID=rec.nameID)
    for pid, eid, lid in ((3, 1, 0x409), (1, 0, 0)):
        name.setName(family, 1, pid, eid, lid)
        name.setName(family, 4, pid, eid, lid)
        name.setName(family.replace(" ", ""), 6, pid, eid, lid)
        name.setName(family + " subset", 3, pid, eid, lid)
        name.setName("Regular", 2, pid, eid, lid)


@lru_cache(maxsize=64)
def subset_font(path: str, font_number: int, family: str, chars: str) -> bytes:
    """``path`` cut to ``chars``, renamed to ``family``: plain OpenType (sfnt) bytes."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(path, fontNumber=font_number)
    font.flavor = None
    opts = subset.Options()
    opts.layout_features = ["*"]  # Arabic joining forms need GSUB
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    opts.hinting = False
    opts.desubroutinize = True
    sub = subset.Subsetter(opts)
    sub.populate(text=chars)
    sub.subset(font)
    _rename(font, family)
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


def _woff(sfnt: bytes) -> bytes:
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(sfnt))
    font.flavor = "woff"
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


@dataclass
class EmbeddedFonts:
    """The fonts one report needs."""

    css: str = ""  # @font-face rules (base64 WOFF)
    files: dict[str, str] = field(default_factory=dict)  # family -> local sfnt path (for matplotlib)
    covered: dict[str, int] = field(default_factory=dict)  # family -> characters embedded
    sources: dict[str, str] = field(default_factory=dict)  # family -> source font file
    missing: str = ""  # characters that need a font no source covers


def embed_fonts(text: str) -> EmbeddedFonts:
    """Subset fonts for the characters of ``text`` that the default fonts lack."""
    need = sorted({c for c in text if needs_font(c)})
    out = EmbeddedFonts()
    left = set(need)
    cache = Path(tempfile.gettempdir()) / "offbeat-report-fonts"
    for src in available_sources():
        cmap = _cmap(src.path, src.font_number)
        mine = "".join(c for c in need if c in left and ord(c) in cmap)
        if not mine:
            continue
        left -= set(mine)
        sfnt = subset_font(src.path, src.font_number, src.family, mine)
        b64 = base64.b64encode(_woff(sfnt)).decode()
        out.css += (f'@font-face{{font-family:"{src.family}";src:url(data:font/woff;base64,{b64}) format("woff");'
                    f"font-display:block}}\n")
        cache.mkdir(parents=True, exist_ok=True)
        path = cache / f"{src.family.replace(' ', '')}-{hashlib.sha1(sfnt).hexdigest()[:16]}.otf"
        if not path.exists():
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(sfnt)
            os.replace(tmp, path)
        out.files[src.family] = str(path)
        out.covered[src.family] = len(mine)
        out.sources[src.family] = src.path
    out.missing = "".join(sorted(left))
    return out


def use_in_matplotlib(fonts: EmbeddedFonts) -> None:
    """Register the subsets with matplotlib and put them in the font fallback list."""
    import matplotlib
    from matplotlib import font_manager

    for family, path in fonts.files.items():
        font_manager.fontManager.ttflist = [f for f in font_manager.fontManager.ttflist if f.name != family]
        font_manager.fontManager.addfont(path)
    ours = [f for f in FAMILIES if f in fonts.files]
    rest = [f for f in matplotlib.rcParams["font.sans-serif"] if f not in FAMILIES and f != "DejaVu Sans"]
    matplotlib.rcParams["font.sans-serif"] = ["DejaVu Sans", *ours, *rest]
    # Fallback works across an explicit family list (not a generic name): pass
    # ``plot_families()`` where a library asks for "sans-serif" (networkx labels).
    matplotlib.rcParams["font.family"] = ["DejaVu Sans", *ours]


def plot_families() -> list[str]:
    import matplotlib

    return list(matplotlib.rcParams["font.family"])
