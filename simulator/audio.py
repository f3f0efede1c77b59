"""Synthetic music for the audio re-upload cases: recordings, re-uploads and look-alikes.

A recording is a music-like signal made from a seed: a tempo, a key, a melody of chords
(harmonic partials with attack/decay envelopes, the timbre) and a drum pulse. What the
catalogue's audio path must tell apart:

* **re-uploads** of one recording under altered metadata: re-encoded (mp3 128 kbit/s),
  volume changed, a few seconds trimmed or padded, sped up 2-5% (pitch and tempo, as
  uploaders do to dodge matching); these must match their original;
* **covers**: the same melody played again with another timbre and tempo: a different
  recording, which must not match;
* **compilations / remasters**: the owner's own master re-released (re-encoded, volume
  changed) by the label that owns it: they match, but within one label, which is no fraud.

Transformations run through Debian's ``sox`` (``libsox-fmt-mp3`` for mp3). The truth of
a planted set is returned beside its files; nothing here is read by the detector.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 22_050
DERIVATIONS = ("reencode", "volume", "trim", "pad", "speed")


def sox_available() -> bool:
    return shutil.which("sox") is not None


def recording(seed: int, seconds: float = 40.0, *, melody: int | None = None, timbre: int | None = None,
              tempo: float | None = None) -> np.ndarray:
    """A mono int16 signal at ``SAMPLE_RATE``. ``melody``/``timbre`` seeds default to
    ``seed``; a cover shares the melody seed and changes timbre and tempo."""
    rng = np.random.default_rng(seed)
    mrng = np.random.default_rng(seed if melody is None else melody)
    trng = np.random.default_rng(seed + 1 if timbre is None else timbre)
    tempo = float(rng.uniform(80, 150) if tempo is None else tempo)
    root = int(np.random.default_rng(seed if melody is None else melody).integers(45, 57))
    beat, n = 60.0 / tempo, int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    out = np.zeros(n)
    scale = np.array([0, 2, 4, 5, 7, 9, 11])
    partials = trng.uniform(0.1, 0.8, 6)
    decay = trng.uniform(1, 4)
    pos = 0.0
    while pos < seconds:
        dur = beat * float(mrng.choice([0.5, 1, 1, 2]))
        deg = int(mrng.integers(0, 14))
        note = root + 12 * (deg // 7) + scale[deg % 7]
        chord = (note, note + (4 if mrng.random() < 0.5 else 3), note + 7)
        i0, i1 = int(pos * SAMPLE_RATE), min(n, int((pos + dur) * SAMPLE_RATE))
        tt = t[i0:i1] - pos
        env = np.minimum(1.0, tt / 0.02) * np.exp(-tt * decay)
        for k, m in enumerate(chord):
            f = 440.0 * 2 ** ((m - 69) / 12)
            for h, a in enumerate(partials):
                out[i0:i1] += (a / (k + 1)) * env * np.sin(2 * np.pi * f * (h + 1) * tt)
        pos += dur
    drng = np.random.default_rng(seed + 2)
    hit = int(0.05 * SAMPLE_RATE)
    for b in np.arange(0, seconds, beat):
        i0 = int(b * SAMPLE_RATE)
        i1 = min(n, i0 + hit)
        out[i0:i1] += drng.normal(0, 0.3, i1 - i0) * np.exp(-np.arange(i1 - i0) / (0.01 * SAMPLE_RATE))
    out /= np.abs(out).max() + 1e-9
    return (out * 0.8 * 32767).astype(np.int16)


def write_wav(path: str | Path, signal: np.ndarray) -> Path:
    path = Path(path)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(signal.tobytes())
    return path


def derive(src: str | Path, dst: str | Path, kind: str, amount: float) -> Path:
    """``dst`` from ``src`` by ``sox``: reencode (mp3 at ``amount`` kbit/s), volume (gain
    factor), trim (seconds cut from the start), pad (seconds of silence before), speed
    (factor: pitch and tempo)."""
    effects = {"reencode": [], "volume": ["vol", f"{amount}"], "trim": ["trim", f"{amount}"],
               "pad": ["pad", f"{amount}", "0"], "speed": ["speed", f"{amount}"]}
    if kind not in effects:
        raise ValueError(f"unknown derivation {kind!r}; one of {DERIVATIONS}")
    args = ["sox", str(src)] + (["-C", f"{amount:g}"] if kind == "reencode" else []) + [str(dst)] + effects[kind]
    subprocess.run(args, check=True, capture_output=True)
    return Path(dst)


@dataclass(frozen=True)
class PlantedAudio:
    """One file of a planted set: ``kind`` original / reupload / cover / compilation;
    ``source`` the track it derives from (None for originals)."""

    track_id: int
    label_id: str
    path: str
    kind: str
    source: int | None = None
    derivation: str | None = None
    amount: float | None = None


def plant_audio_set(directory: str | Path, originals: int = 20, seed: int = 0, seconds: float = 30.0,
                    reuploads_per_kind: int = 1, covers: int = 3, compilations: int = 2) -> list[PlantedAudio]:
    """Originals under honest labels, each derivation of some of them re-uploaded by other
    (fraud) labels, covers by other honest labels, compilations by the owning label."""
    rng = np.random.default_rng(seed)
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    out: list[PlantedAudio] = []
    next_id = 1

    def new_id() -> int:
        nonlocal next_id
        next_id += 1
        return next_id - 1

    for i in range(originals):
        tid = new_id()
        path = write_wav(d / f"{tid}.wav", recording(seed * 10_000 + i, seconds))
        out.append(PlantedAudio(tid, f"honest-{i % 7}", str(path), "original"))
    origs = [p for p in out]
    amounts = {"reencode": lambda: 128.0, "volume": lambda: float(rng.choice([0.5, 0.7, 1.4])),
               "trim": lambda: float(rng.uniform(1, 5)), "pad": lambda: float(rng.uniform(1, 4)),
               "speed": lambda: float(rng.uniform(1.02, 1.05))}
    for kind in DERIVATIONS:
        for src in rng.choice(len(origs), reuploads_per_kind, replace=False):
            o = origs[int(src)]
            tid = new_id()
            ext = "mp3" if kind == "reencode" else "wav"
            amt = amounts[kind]()
            derive(o.path, d / f"{tid}.{ext}", kind, amt)
            out.append(PlantedAudio(tid, f"fraud-{kind}", str(d / f"{tid}.{ext}"), "reupload", o.track_id, kind, amt))
    for j, src in enumerate(rng.choice(len(origs), covers, replace=False)):
        o = origs[int(src)]
        i = int(src)
        tid = new_id()
        sig = recording(seed * 10_000 + 5_000 + j, seconds, melody=seed * 10_000 + i, timbre=seed * 7 + j + 99,
                        tempo=float(rng.uniform(80, 150)))
        path = write_wav(d / f"{tid}.wav", sig)
        out.append(PlantedAudio(tid, f"cover-band-{j}", str(path), "cover", o.track_id))
    for src in rng.choice(len(origs), compilations, replace=False):
        o = origs[int(src)]
        tid = new_id()
        derive(o.path, d / f"{tid}.mp3", "reencode", 192)
        out.append(PlantedAudio(tid, o.label_id, str(d / f"{tid}.mp3"), "compilation", o.track_id, "reencode", 192))
    return out


COPY_CYCLE = ("reencode", "volume", "trim", "pad", "speed", "speed")


def plant_catalog_audio(tracks, directory: str | Path, seed: int = 0, *, rings: int = 4, ring_size: int = 6,
                        background: int = 150, seconds: float = 15.0, corrupt: int = 1,
                        exclude_labels: set[str] | frozenset[str] = frozenset()) -> list[PlantedAudio]:
    """Audio for tracks of an existing catalogue (``tracks``: pandas track_id, label_id), so
    the catalogue's labels own it. Files are named ``<track_id>.<ext>`` in ``directory``.

    * ``rings`` re-upload rings: a victim label's ``ring_size`` originals and a thief label
      whose tracks are copies of them (cycling re-encode, volume, trim, pad, speed-up);
      the first victim also re-releases one of its own originals (a compilation);
    * a cover label: covers of the first victim's songs (same melodies, new recordings);
    * an owner label: three originals and two remasters of its own;
    * ``background`` originals on other labels' tracks, and ``corrupt`` unreadable mp3s.

    Labels in ``exclude_labels`` (e.g. the catalogue's planted title networks) are not used.
    The returned list is the truth (``kind``: original / reupload / cover / compilation /
    corrupt, ``source`` the original's track id)."""
    rng = np.random.default_rng(seed)
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    by_label = {lab: sorted(g["track_id"].astype(str)) for lab, g in tracks.groupby("label_id")
                if lab not in exclude_labels}
    labels = sorted(by_label)
    rng.shuffle(labels)
    big = [lab for lab in labels if len(by_label[lab]) >= ring_size + 1]
    out: list[PlantedAudio] = []
    used: set[str] = set()
    rec_seed = iter(range(seed * 100_000, seed * 100_000 + 100_000))

    def original(tid: str, label: str) -> PlantedAudio:
        s = next(rec_seed)
        path = write_wav(d / f"{tid}.wav", recording(s, seconds))
        p = PlantedAudio(tid, label, str(path), "original", amount=float(s))
        out.append(p)
        return p

    def copy(src: PlantedAudio, tid: str, label: str, kind: str, derivation: str, amount: float) -> None:
        ext = "mp3" if derivation == "reencode" else "wav"
        derive(src.path, d / f"{tid}.{ext}", derivation, amount)
        out.append(PlantedAudio(tid, label, str(d / f"{tid}.{ext}"), kind, src.track_id, derivation, amount))

    amounts = {"reencode": lambda: 128.0, "volume": lambda: float(rng.choice([0.5, 0.7, 1.4])),
               "trim": lambda: float(rng.uniform(1, 3)), "pad": lambda: float(rng.uniform(1, 3)),
               "speed": lambda: float(rng.uniform(1.02, 1.05))}
    first_victim: list[PlantedAudio] = []
    for r in range(rings):
        victim, thief = big[2 * r], big[2 * r + 1]
        used |= {victim, thief}
        origs = [original(t, victim) for t in by_label[victim][:ring_size]]
        for i, (src, tid) in enumerate(zip(origs, by_label[thief][:ring_size], strict=True)):
            kind = COPY_CYCLE[i % len(COPY_CYCLE)]
            copy(src, tid, thief, "reupload", kind, amounts[kind]())
        if r == 0:
            first_victim = origs
            copy(origs[0], by_label[victim][ring_size], victim, "compilation", "reencode", 192.0)
    rest = [lab for lab in labels if lab not in used]
    cover_label = next(lab for lab in rest if len(by_label[lab]) >= 3)
    owner = next(lab for lab in rest if lab != cover_label and len(by_label[lab]) >= 5)
    used |= {cover_label, owner}
    for j, tid in enumerate(by_label[cover_label][:min(4, len(first_victim))]):
        src = first_victim[j]
        sig = recording(next(rec_seed), seconds, melody=int(src.amount), timbre=seed * 7 + j + 99,
                        tempo=float(rng.uniform(80, 150)))
        out.append(PlantedAudio(tid, cover_label, str(write_wav(d / f"{tid}.wav", sig)), "cover", src.track_id))
    own = [original(t, owner) for t in by_label[owner][:3]]
    copy(own[0], by_label[owner][3], owner, "compilation", "reencode", 192.0)
    copy(own[1], by_label[owner][4], owner, "compilation", "volume", 0.8)
    pool = [(t, lab) for lab in rest if lab not in used for t in by_label[lab]]
    picks = rng.choice(len(pool), min(background + corrupt, len(pool)), replace=False)
    for n, i in enumerate(picks):
        tid, lab = pool[int(i)]
        if n < corrupt:
            (d / f"{tid}.mp3").write_bytes(b"ID3" + bytes(rng.integers(0, 256, 4000, dtype=np.uint8)))
            out.append(PlantedAudio(tid, lab, str(d / f"{tid}.mp3"), "corrupt"))
        else:
            original(tid, lab)
    return out
