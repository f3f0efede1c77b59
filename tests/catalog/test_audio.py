"""Audio re-uploads (assets/catalog/audio.py, audio_match.py) on synthesised recordings.

Scenarios: re-encoded (mp3 128 kbit/s), volume-changed, trimmed, padded and 2-5% sped-up
copies under other labels match their original; covers (same melody, another recording)
match nothing; a label's own compilation matches its master (inside one label); unreadable
files come back with a reason; the bit error rate equals a bit-by-bit count.
Needs Debian's ``fpcalc`` and ``sox`` (``make audio-tools``); skipped with the reason without them.
"""

from __future__ import annotations

import numpy as np
import pytest

from assets.catalog.audio import AudioConfig, audio_fingerprints, fingerprint_file, tools_available
from assets.catalog.audio_match import MatchConfig, audio_matches, bit_error_rate
from simulator.audio import plant_audio_set

needs_tools = pytest.mark.skipif(not tools_available(), reason="fpcalc/sox not installed: `make audio-tools` "
                                 "(Debian: apt-get install libchromaprint-tools sox libsox-fmt-mp3)")


def test_bit_error_rate_equals_bit_count():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 2**32, 50, dtype=np.uint64).astype(np.uint32)
    b = rng.integers(0, 2**32, 40, dtype=np.uint64).astype(np.uint32)
    for off in (-5, 0, 3, 12):
        x, y = (a[off:], b) if off >= 0 else (a, b[-off:])
        m = min(len(x), len(y))
        bits = sum(bin(int(p) ^ int(q)).count("1") for p, q in zip(x[:m], y[:m], strict=True))
        assert bit_error_rate(a, b, off) == (pytest.approx(bits / (32 * m)), m)
    assert bit_error_rate(a, a, 0) == (0.0, 50)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    if not tools_available():
        pytest.skip("fpcalc/sox not installed: `make audio-tools`")
    return plant_audio_set(tmp_path_factory.mktemp("audio"), originals=8, seed=3, seconds=20.0,
                           reuploads_per_kind=1, covers=2, compilations=1)


@needs_tools
def test_unreadable_file_has_a_reason(tmp_path):
    bad = tmp_path / "9.mp3"
    bad.write_bytes(b"not audio at all" * 100)
    from assets.catalog.audio import AudioError
    with pytest.raises(AudioError) as e:
        fingerprint_file(str(bad))
    assert e.value.reason


@pytest.mark.integration
@needs_tools
def test_reuploads_match_and_look_alikes_do_not(spark, planted, tmp_path):
    files = spark.createDataFrame([(p.track_id, p.label_id, p.path) for p in planted] +
                                  [(999, "broken", str(tmp_path / "missing.wav"))],
                                  "track_id long, label_id string, path string")
    fps = audio_fingerprints(files.repartition(2), AudioConfig()).cache()
    errors = fps.where("error is not null").collect()
    assert [r.track_id for r in errors] == [999] and "not found" in errors[0].error
    matches = audio_matches(fps, MatchConfig()).toPandas()
    found = {(int(r.track_a), int(r.track_b)) for r in matches.itertuples()}
    # truth: one audio identity per original and its copies (two copies of one original
    # are the same audio too); covers and other originals are other identities
    identity = {p.track_id: (p.source if p.kind in ("reupload", "compilation") else p.track_id) for p in planted}
    assert all(identity[a] == identity[b] for a, b in found), [(a, b) for a, b in found if identity[a] != identity[b]]
    missed = {p.derivation or p.kind: tuple(sorted((p.track_id, p.source))) for p in planted
              if p.kind in ("reupload", "compilation") and tuple(sorted((p.track_id, p.source))) not in found}
    assert not missed, missed  # every copy found beside its original, each derivation
    covers = {p.track_id for p in planted if p.kind == "cover"}
    assert not any(a in covers or b in covers for a, b in found)
    speed = {p.track_id: p.amount for p in planted if p.derivation == "speed"}
    for r in matches.itertuples():
        if r.track_b in speed and identity[r.track_a] == r.track_a:  # sped-up copy beside its original
            assert abs(r.speed_ratio - speed[r.track_b]) < 0.01
        assert r.bit_error_rate <= 0.25 and r.matched_s >= 10
    comp = {tuple(sorted((p.track_id, p.source))) for p in planted if p.kind == "compilation"}
    own = matches[matches["label_a"] == matches["label_b"]]
    assert {(int(a), int(b)) for a, b in zip(own["track_a"], own["track_b"], strict=True)} == comp
