"""Hypothesis strategies and small helpers shared by the catalog tests (no Spark here)."""

from __future__ import annotations

from hypothesis import strategies as st

# Long-assigned scripts only: Java 17 regex is Unicode 13, Python 3.11 is Unicode 14 and
# ICU 78 is Unicode 17, so characters assigned recently may be classified differently.
RANGES = {
    "latin": [(0x41, 0x5A), (0x61, 0x7A), (0xC0, 0xFF), (0x100, 0x17F)],
    "greek": [(0x391, 0x3A1), (0x3A3, 0x3C9)],
    "cyrillic": [(0x400, 0x44F)],
    "arabic": [(0x621, 0x63A), (0x641, 0x64A), (0x64B, 0x652), (0x660, 0x669)],
    "hebrew": [(0x5D0, 0x5EA)],
    "hangul": [(0xAC00, 0xD7A3), (0x1100, 0x1112), (0x1161, 0x1175)],
    "cjk": [(0x4E00, 0x9FA5), (0x3041, 0x3096), (0x30A1, 0x30FA), (0xFF66, 0xFF9D)],
    "thai": [(0x0E01, 0x0E3A), (0x0E40, 0x0E4E)],
    "devanagari": [(0x0905, 0x0939), (0x093E, 0x094D)],
    "marks": [(0x300, 0x36F)],
    "fullwidth": [(0xFF01, 0xFF5E)],
    "digits": [(0x30, 0x39), (0xB2, 0xB3), (0x2460, 0x2473)],
    "emoji": [(0x1F600, 0x1F64F), (0x1F525, 0x1F525), (0x2764, 0x2764), (0x2728, 0x2728)],
}
SPECIALS = "ßẞſﬁﬀΣσςİıǅ㈱℃™µ"
PUNCT = " \t\u00a0\u3000,.;:!?-–—()[]{}\"'/&…·«»¿¡#*+_|~@%"


def _chars(ranges) -> st.SearchStrategy[str]:
    return st.one_of(*(st.integers(lo, hi).map(chr) for lo, hi in ranges))


ANY_CHAR = st.one_of(
    *(_chars(r) for r in RANGES.values()),
    st.sampled_from(SPECIALS),
    st.sampled_from(PUNCT),
)

unicode_titles = st.one_of(st.text(ANY_CHAR, max_size=24), st.none())

# Words whose case can be changed safely (casefold(upper(w)) == casefold(w)).
CASEABLE = "abcdefghijklmnopqrstuvwxyzàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿαβγδεζηθικλμνξοπρστυφχψωабвгдежзийклмнопрстуфхцчшщъыьэюя"
words = st.text(st.sampled_from(CASEABLE + "0123456789"), min_size=1, max_size=6)
separators = st.text(st.sampled_from(PUNCT), min_size=1, max_size=3).filter(lambda s: s != "")
