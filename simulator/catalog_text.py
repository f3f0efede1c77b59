"""Title vocabularies and title variants for the catalog feed (one pool per script)."""

from __future__ import annotations

import random

from resources.catalog_contract import fingerprint

LATIN = (
    "gentle rain deep sleep calm ocean waves night forest birds morning mist soft piano dreams "
    "healing meditation zen garden river stream thunder storm distant wind chimes white noise "
    "pink brown relaxing spa yoga flow breathing mindful peaceful lullaby baby stars moon light "
    "crystal bowls tibetan singing drone ambient space cosmic journey inner peace silent lake "
    "mountain cabin fireplace crackling cozy winter snow falling summer evening crickets tropical "
    "beach sunset sunrise golden hour lofi study focus concentration brain alpha theta delta "
    "binaural tones frequency harmony serenity tranquil quiet dusk dawn meadow valley waterfall "
    "cave echo whisper breeze autumn leaves spring blossom cherry lotus bamboo temple monastery "
    "chant bells harp flute cello guitar strings warm glow candle velvet cloud drift float"
).split()
ARABIC = "ليل مطر قمر بحر نور قلب سلام نوم هادئ صوت ريح شمس نجوم حلم روح طريق زهرة سماء فجر غيم موج جبل صحراء وادي نسيم ظل عطر دفء همس".split()
CHINESE = list("雨夜月光风海梦花山水云星心静安眠春秋晨曦湖林鸟歌深蓝白雪声音长河")
KOREAN = "밤 비 달빛 바다 꿈 바람 별 사랑 마음 고요한 잠 숲 하늘 새벽 노래 파도 구름 눈 봄 가을 호수 빛 시간 기억 평화 여름 겨울 물결 소리 길".split()
CYRILLIC = "ночь дождь луна море сон ветер звезда любовь сердце тихий лес небо рассвет песня волна облако снег весна осень озеро свет время память мир лето зима река город тишина покой".split()
SCRIPTS = {"latin": LATIN, "arabic": ARABIC, "chinese": CHINESE, "korean": KOREAN, "cyrillic": CYRILLIC}

FILLER_WORDS = (
    "love heart fire city lights baby girl boy dance party tonight forever remember lost found "
    "home road wild young free money dream run away back again crazy sweet bitter high low "
    "fade shadow ghost angel devil paradise neon summer blue red black gold"
).split()
ACCENTED = ["Café del Mar", "Señorita Bonita", "Über Nacht", "Déjà Vu Encore", "Canção do Mar", "Fiançailles à Paris",
            "Niño Perdido", "Noël Ensemble", "Mañana Será", "Würzburg Nächte"]
HOT_TITLES = ["Intro", "Outro", "Interlude", "Rain Sounds", "White Noise", "Ocean Waves", "Happy Birthday", "Lofi Beats"]
COMPOSITIONS = [f"{form} No. {n} in {key}, Op. {op}: {mv}" for form, n, key, op, mv in [
    ("Symphony", 5, "C Minor", 67, "I. Allegro con brio"), ("Symphony", 9, "D Minor", 125, "IV. Presto"),
    ("Piano Sonata", 14, "C-Sharp Minor", 27, "I. Adagio sostenuto"), ("Violin Concerto", 1, "G Minor", 26, "II. Adagio"),
    ("Cello Suite", 1, "G Major", 1007, "I. Prelude"), ("Nocturne", 2, "E-Flat Major", 9, "Andante"),
    ("String Quartet", 14, "D Minor", 810, "II. Andante con moto"), ("Piano Concerto", 21, "C Major", 467, "II. Andante"),
    ("Ballade", 1, "G Minor", 23, "Largo"), ("Prelude", 15, "D-Flat Major", 28, "Sostenuto"),
    ("Étude", 3, "E Major", 10, "Lento ma non troppo"), ("Symphony", 40, "G Minor", 550, "I. Molto allegro"),
    ("Serenade", 13, "G Major", 525, "I. Allegro"), ("Piano Trio", 7, "B-Flat Major", 97, "III. Andante cantabile"),
    ("Symphony", 6, "F Major", 68, "I. Allegro ma non troppo"), ("Mass", 1, "B Minor", 232, "Kyrie eleison"),
    ("Sonata", 8, "C Minor", 13, "II. Adagio cantabile"), ("Concerto", 4, "F Minor", 8, "Winter I. Allegro non molto"),
    ("Fantasia", 3, "D Minor", 397, "Andante"), ("Impromptu", 3, "G-Flat Major", 90, "Andante"),
    ("Symphony", 3, "E-Flat Major", 55, "II. Marcia funebre"), ("Waltz", 2, "C-Sharp Minor", 64, "Tempo giusto"),
    ("Partita", 2, "D Minor", 1004, "V. Chaconne"), ("Polonaise", 6, "A-Flat Major", 53, "Maestoso"),
]]
SFX = ["Rain On Window", "Thunder Clap", "Door Slam", "Footsteps Gravel", "Glass Break", "Car Horn", "Dog Bark",
       "Crowd Applause", "Wind Howling", "Fire Crackle", "Clock Ticking", "Phone Ring", "Water Drip", "Keyboard Typing",
       "Bird Chirp", "Camera Shutter", "Explosion Distant", "Sword Swing", "Heart Beat", "Coin Drop"]
HITS = [f"{a} {b}" for a in ("Shape", "Blinding", "Bad", "Levitating", "Rolling", "Uptown", "Happy", "Royal", "Perfect",
                            "Stay", "Closer", "Believer", "Thunder", "Sunflower", "Dynamite")
        for b in ("of You", "Lights", "Guy", "Tonight", "in the Deep", "Funk", "Days", "Hearts", "Symphony", "Together")]
PODCAST_TOPICS = ["Startup Stories", "True Crime Weekly", "Daily Tech", "History Uncovered", "Mindful Minutes", "Football Talk"]


def unique_titles(r: random.Random, script: str, n: int, used: set[str]) -> list[list[str]]:
    """``n`` titles (as word lists) whose fingerprints are new (not in ``used``, then added)."""
    vocab = SCRIPTS[script]
    lo, hi = (3, 5) if script == "chinese" else (2, 4)
    out: list[list[str]] = []
    attempts = 0
    while len(out) < n:
        attempts += 1
        if attempts > n * 200:
            raise RuntimeError(f"vocabulary of {script} exhausted after {len(out)} titles")
        k = r.randint(lo, hi + (1 if attempts > n * 20 else 0))
        words = r.sample(vocab, min(k, len(vocab)))
        fp = fingerprint(" ".join(words))
        if fp in used:
            continue
        used.add(fp)
        out.append(words)
    return out


def render(words: list[str], script: str, style: random.Random) -> str:
    """One member label's rendering of a title: reordered words, punctuation, case."""
    w = list(words)
    if style.random() < 0.5:
        style.shuffle(w)
    if script == "chinese":
        sep = style.choice(["", "", "·", " "])
        text = sep.join(w)
        if style.random() < 0.3:
            text = f"【{text}】"
        return text
    sep = style.choice([" ", " ", ", ", " - ", " / ", " · "])
    text = sep.join(w)
    case = style.random()
    if case < 0.25:
        text = text.upper()
    elif case < 0.5:
        text = text.title()
    elif case < 0.6:
        text = text.lower()
    if style.random() < 0.2:
        text = text + style.choice(["!", "...", " ~"])
    return text


def checked_render(words: list[str], script: str, style: random.Random) -> str:
    """``render``, falling back to the plain title if the fingerprint would change."""
    text = render(words, script, style)
    base = (" " if script != "chinese" else "").join(words)
    return text if fingerprint(text) == fingerprint(base) else base


def filler_title(r: random.Random) -> str:
    return " ".join(r.sample(FILLER_WORDS, r.randint(1, 4))).title()
