"""Regenerate the committed fallback font subsets (run once; needs Debian fonts-noto-cjk and
fonts-noto-core): ``python assets/reports/static/make_fallback_fonts.py``.

Noto Sans CJK SC cut to GB 2312 level 1 (3,755 Han characters), kana and CJK punctuation;
Noto Sans Arabic cut to its Arabic blocks. Both SIL Open Font License 1.1 (OFL.txt).
"""

from __future__ import annotations

import io
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

HERE = Path(__file__).resolve().parent


def gb2312_level1() -> str:
    chars = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return "".join(chars)


def cut(src: str, number: int, text: str, out: Path, features: list[str]) -> None:
    font = TTFont(src, fontNumber=number)
    opts = subset.Options()
    opts.flavor = "woff"
    opts.layout_features = features
    opts.hinting = False
    opts.notdef_outline = True
    sub = subset.Subsetter(opts)
    sub.populate(text=text)
    sub.subset(font)
    font.flavor = "woff"
    buf = io.BytesIO()
    font.save(buf)
    out.write_bytes(buf.getvalue())
    print(f"{out.name}: {len(buf.getvalue()):,} bytes")


def main() -> None:
    ranges = [(0x3000, 0x303F), (0x3040, 0x30FF), (0xFF00, 0xFFEF)]
    cjk = gb2312_level1() + "".join(chr(c) for a, b in ranges for c in range(a, b + 1))
    cut("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2, cjk,
        HERE / "NotoSansCJKsc-Regular-gb2312l1.woff", [])
    arabic = [(0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)]
    cut("/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf", 0,
        "".join(chr(c) for a, b in arabic for c in range(a, b + 1)),
        HERE / "NotoSansArabic-Regular-subset.woff", ["*"])


if __name__ == "__main__":
    main()
