#!/usr/bin/env python3
"""Generate pipelines/confusables.txt: look-alike character pairs and their
substitution costs for a weighted edit distance, derived by comparing
rendered glyphs.

One-time generator, not used by the product at run time. Needs Pillow, NumPy
and a CJK font (Debian: fonts-noto-cjk). See README.md beside this file.

    python3 pipelines/tools/confusables.py            # writes pipelines/confusables.txt
    python3 pipelines/tools/confusables.py --check    # only print the known-pair table

Method
  A (vocabulary characters) = every CJK ideograph in pipelines/vocab.toml
                              + ASCII digits and letters.
  B (candidates)            = GB2312 level-1 hanzi (bytes B0A1..D7F9, 3,755
                              characters) + ASCII digits and letters + a few
                              OCR junk glyphs.
  Each character is rendered in Noto Sans CJK SC (falling back to DejaVu Sans
  for glyphs that font lacks) at SIZE px into a 64x64 grayscale bitmap, its ink
  bounding box centred (not rescaled), then Gaussian-blurred (sigma BLUR px).
  The similarity of a pair is the normalised cross-correlation (Pearson r) of
  the blurred bitmaps (MEASURE = "dice": soft Dice 2<x,y>/(<x,x>+<y,y>)),
  maximised over shifts of up to +-SHIFT px in both axes. It is symmetric.
  For each a in A the TOP best b != a with sim >= THRESHOLD are kept; the cost
  is a linear map of sim: THRESHOLD -> 0.8, STRONG -> 0.2 (clipped to
  [0.2, 0.8]). Pairs in SEEN (observed in our data) get min(SEEN_COST, that).
"""

import argparse
import os
import re
import string
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

HERE = os.path.dirname(os.path.abspath(__file__))
PIPELINES = os.path.dirname(HERE)
VOCAB = os.path.join(PIPELINES, "vocab.toml")
OUT = os.path.join(PIPELINES, "confusables.txt")

CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
CJK_FACE = "Noto Sans CJK SC"  # face chosen by name inside the .ttc
FALLBACK_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

CANVAS = 64
SIZE = 54          # font size in px: ideographs come out ~50 px wide
BLUR = 1.5         # Gaussian sigma, px
SHIFT = 2          # shift search, +-px
FIT = 54           # largest ink box side after centring (px)
NORMALISE = False  # scale every ink box to FIT (aspect kept)
MEASURE = "ncc"    # "ncc" (default) or "dice", see similarity()
TOP = 8            # candidates kept per vocabulary character
THRESHOLD = 0.70   # minimum similarity to keep a candidate (calibrated, see README)
STRONG = 0.92      # similarity that maps to the lowest cost 0.2
COST_WEAK, COST_STRONG = 0.8, 0.2
SEEN_COST = 0.3

ASCII = string.digits + string.ascii_letters
# Glyphs OCR emits for damaged characters (Georgian თ for 3, Greek Ξ for 三/3,
# = for 二, - and — for 一, ...).
JUNK = "თ≥≤=-—丨|][()Ξ〇○□★±£"

# Pairs observed in our OCR'd data (shared/seeds vs shared/gold and the
# project's notes), written with SEEN_COST whatever their rendered similarity.
SEEN = [
    ("医", "质"), ("曼", "量"), ("业", "出"), ("特", "指"),   # 医曼指标 / 产业特标
    ("己", "已"), ("未", "末"), ("曰", "日"), ("土", "士"), ("页", "项"),
    ("0", "O"), ("1", "l"), ("1", "I"), ("5", "S"), ("8", "B"),
    ("村", "松"),   # 上海市村 公江区 for 上海市松江区 (seed 003)
    ("稳", "急"),   # 急增长专班 for 稳增长专班 (seed 003)
    ("角", "解"),   # 长三解经济合作 for 长三角经济合作 (seed 003)
    ("增", "曾"),   # 扩大曾长点 for 增长点 (seed 003)
    ("3", "თ"),    # a score column 3 printed as თ (seed 003)
    ("3", "Ξ"),    # form number 3 printed as Ξ (seed 003)
]

KNOWN = [("医", "质"), ("曼", "量"), ("业", "出"), ("特", "指"), ("己", "已"),
         ("未", "末"), ("曰", "日"), ("土", "士"), ("页", "项"), ("0", "O"),
         ("1", "l"), ("5", "S"), ("8", "B"), ("6", "8"), ("3", "8"),
         ("7", "1"), ("村", "松")]

CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def vocab_chars():
    with open(VOCAB, encoding="utf-8") as f:
        text = f.read()
    return sorted(set(CJK_RE.findall(text)))


def gb2312_level1():
    out = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            if hi == 0xD7 and lo > 0xF9:
                break
            out.append(bytes([hi, lo]).decode("gb2312"))
    return out


def load_cjk_font():
    for i in range(16):
        try:
            f = ImageFont.truetype(CJK_FONT, SIZE, index=i)
        except OSError:
            break
        if f.getname()[0] == CJK_FACE:
            return f
    sys.exit(f"{CJK_FACE} not found in {CJK_FONT}: apt-get install fonts-noto-cjk")


def raw_render(ch, font):
    big = CANVAS * 2
    img = Image.new("L", (big, big), 0)
    ImageDraw.Draw(img).text((big // 2, big // 2), ch, font=font, fill=255, anchor="mm")
    return np.asarray(img, dtype=np.float32) / 255.0


def centre(a):
    """Crop the ink bounding box and paste it centred on a CANVAS x CANVAS bitmap."""
    out = np.zeros((CANVAS, CANVAS), np.float32)
    ys, xs = np.nonzero(a > 0.05)
    if len(ys) == 0:
        return out
    crop = a[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = crop.shape
    if NORMALISE or h > FIT or w > FIT:
        s = FIT / max(h, w)
        crop = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize(
            (max(1, int(w * s)), max(1, int(h * s))), Image.BILINEAR), np.float32) / 255.0
        h, w = crop.shape
    y0, x0 = (CANVAS - h) // 2, (CANVAS - w) // 2
    out[y0:y0 + h, x0:x0 + w] = crop
    return out


def gaussian_blur(imgs, sigma):
    """Separable Gaussian blur of a stack (n, H, W), zero padding."""
    r = int(3 * sigma + 0.5)
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2).astype(np.float32)
    k /= k.sum()
    n, h, w = imgs.shape
    p = np.pad(imgs, ((0, 0), (r, r), (r, r)))
    t = sum(k[i] * p[:, i:i + h, :] for i in range(2 * r + 1))
    return sum(k[i] * t[:, :, i:i + w] for i in range(2 * r + 1))


class Renderer:
    def __init__(self):
        self.cjk = load_cjk_font()
        self.fallback = ImageFont.truetype(FALLBACK_FONT, SIZE)
        self.notdef = raw_render("\ue000", self.cjk)  # what a missing glyph looks like
        self.font_used = {}

    def bitmap(self, ch):
        a = raw_render(ch, self.cjk)
        if np.array_equal(a, self.notdef):
            a = raw_render(ch, self.fallback)
            self.font_used[ch] = "DejaVu Sans"
        return centre(a)

    def stack(self, chars):
        imgs = np.stack([self.bitmap(c) for c in chars])
        return gaussian_blur(imgs, BLUR).reshape(len(chars), -1)


def shifted(imgs_flat, dy, dx):
    n = imgs_flat.shape[0]
    imgs = imgs_flat.reshape(n, CANVAS, CANVAS)
    return np.roll(imgs, (dy, dx), axis=(1, 2)).reshape(n, -1)


def similarity(xa, xb):
    """Similarity of every row of xa against every row of xb, best over shifts.

    ncc:  normalised cross-correlation (Pearson correlation of the pixel values),
          <x - mean x, y - mean y> / (|x - mean x| |y - mean y|).
    dice: soft Dice of the blurred ink, 2 <x, y> / (<x, x> + <y, y>).
    Both are symmetric; a shift moves ink around the canvas, never off it (the
    glyphs have a margin), so the norms do not depend on the shift.
    """
    if MEASURE == "ncc":
        xa = xa - xa.mean(1, keepdims=True)
        xb = xb - xb.mean(1, keepdims=True)
    best = np.full((xa.shape[0], xb.shape[0]), -np.inf, np.float32)
    for dy in range(-SHIFT, SHIFT + 1):
        for dx in range(-SHIFT, SHIFT + 1):
            np.maximum(best, shifted(xa, dy, dx) @ xb.T, out=best)
    na = (xa * xa).sum(1)[:, None]
    nb = (xb * xb).sum(1)[None, :]
    if MEASURE == "ncc":
        return best / np.maximum(np.sqrt(na * nb), 1e-6)
    return 2 * best / np.maximum(na + nb, 1e-6)


def cost_of(sim):
    t = (sim - THRESHOLD) / (STRONG - THRESHOLD)
    return float(np.clip(COST_WEAK - t * (COST_WEAK - COST_STRONG), COST_STRONG, COST_WEAK))


def ordered(a, b):
    return (a, b) if ord(a) <= ord(b) else (b, a)


def known_table(r, xb, b_chars, b_index):
    """Similarity and rank for each known pair, in both directions."""
    chars = sorted({c for p in KNOWN for c in p})
    xk = r.stack(chars)
    idx = {c: i for i, c in enumerate(chars)}
    sims_all = similarity(xk, xb)  # chars x B
    # Rank of y among x's candidates (x itself excluded), 1 = most similar.
    rows = []
    for x, y in KNOWN:
        pair_sim = float(similarity(xk[[idx[x]]], xk[[idx[y]]])[0, 0])

        def rank(p, q):
            s = sims_all[idx[p]].copy()
            if p in b_index:
                s[b_index[p]] = -np.inf
            if q not in b_index:
                return None
            return int((s > s[b_index[q]]).sum()) + 1

        rows.append((x, y, pair_sim, rank(x, y), rank(y, x)))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--check", action="store_true", help="print the known-pair table only")
    args = ap.parse_args()

    vocab = vocab_chars()
    a_chars = vocab + [c for c in ASCII if c not in vocab]
    b_chars = []
    for c in gb2312_level1() + list(ASCII) + list(JUNK):
        if c not in b_chars:
            b_chars.append(c)
    b_index = {c: i for i, c in enumerate(b_chars)}
    print(f"A: {len(a_chars)} characters ({len(vocab)} CJK from vocab.toml), "
          f"B: {len(b_chars)} candidates", file=sys.stderr)

    r = Renderer()
    xb = r.stack(b_chars)
    xa = r.stack(a_chars)
    if r.font_used:
        print("rendered with DejaVu Sans (not in Noto Sans CJK SC): "
              + "".join(sorted(r.font_used)), file=sys.stderr)

    known = known_table(r, xb, b_chars, b_index)
    in_a = set(a_chars)
    seen = {ordered(a, b) for a, b in SEEN}
    print(f"known pairs: sim = similarity; rank 1 = most similar of the {len(b_chars)} "
          f"candidates; close = sim >= {THRESHOLD} and rank <= {TOP} one way or the other;")
    print("file = the section the pair is written in (rendered pairs need a vocabulary "
          "character on the close side; seen pairs are written only there)")
    print("pair    sim    rank b|a  rank a|b  close  file")
    for x, y, s, r1, r2 in known:
        close = s >= THRESHOLD and min(r1 or 10**6, r2 or 10**6) <= TOP
        kept = s >= THRESHOLD and ((x in in_a and r1 and r1 <= TOP) or (y in in_a and r2 and r2 <= TOP))
        where = "seen" if ordered(x, y) in seen else ("rendered" if kept else "-")
        print(f"{x}/{y}  {s:6.3f}  {r1 if r1 else '-':>8}  {r2 if r2 else '-':>8}  "
              f"{'yes' if close else 'no':>5}  {where}")
    if args.check:
        return

    sims = similarity(xa, xb)  # |A| x |B|
    for i, a in enumerate(a_chars):
        if a in b_index:
            sims[i, b_index[a]] = -np.inf

    pairs = {}
    for i, a in enumerate(a_chars):
        order = np.argsort(-sims[i], kind="stable")[:TOP]
        for j in order:
            s = float(sims[i, j])
            if s < THRESHOLD:
                break
            key = ordered(a, b_chars[j])
            if key in seen:
                continue
            pairs[key] = max(pairs.get(key, -1.0), s)

    # A seen pair costs SEEN_COST, or less if its glyphs alone already say so.
    seen_chars = sorted({c for p in seen for c in p})
    si = {c: i for i, c in enumerate(seen_chars)}
    seen_sim = similarity(*(2 * [r.stack(seen_chars)]))
    seen_cost = {p: min(SEEN_COST, cost_of(float(seen_sim[si[p[0]], si[p[1]]]))) for p in seen}

    measure = ("normalised cross-correlation\n#   (Pearson r of the blurred pixels)"
               if MEASURE == "ncc" else "soft Dice\n#   2<x,y>/(<x,x>+<y,y>) of the blurred ink")
    lines = [
        "# govtab confusables: look-alike character pairs and their substitution cost",
        "# for a weighted edit distance over OCR'd text.",
        "#",
        "# GENERATED by pipelines/tools/confusables.py (see pipelines/tools/README.md);",
        "# change the script and regenerate rather than editing this file.",
        "#",
        "# Format: one pair a line, `a<TAB>b<TAB>cost`, UTF-8. cost in (0, 1] replaces",
        "# the usual substitution cost 1 when a and b are swapped. Pairs are symmetric",
        "# and each unordered pair is written ONCE, with codepoint(a) < codepoint(b):",
        "# a consumer must look up both orders. No pair appears twice in the file.",
        "# Lines starting with # and blank lines are comments.",
        "#",
        "# Provenance:",
        f"#   `# seen in corpus`: confusions observed in our OCR'd data (shared/seeds vs",
        f"#   shared/gold, project notes): cost {SEEN_COST}, or the rendered cost below",
        "#   when that is lower (near-identical glyphs such as 己/已).",
        "#   `# rendered-glyph similarity`: for each vocabulary character a (the CJK",
        "#   ideographs of pipelines/vocab.toml plus ASCII digits and letters), the",
        f"#   {TOP} most similar candidates b among the 3,755 GB2312 level-1 hanzi, ASCII",
        f"#   digits/letters and the OCR junk glyphs {JUNK}, kept when",
        f"#   similarity >= {THRESHOLD}. Glyphs rendered in {CJK_FACE} (DejaVu Sans for",
        f"#   glyphs it lacks) at {SIZE} px, ink box centred on {CANVAS}x{CANVAS},",
        f"#   Gaussian blur sigma {BLUR} px; similarity = {measure},",
        f"#   maximised over shifts of +-{SHIFT} px;",
        f"#   cost = {COST_WEAK} - {COST_WEAK - COST_STRONG:.1f} * (sim - {THRESHOLD}) / "
        f"({STRONG} - {THRESHOLD}), clipped to [{COST_STRONG}, {COST_WEAK}].",
        f"#   Pairs: {len(pairs)} rendered + {len(seen)} seen.",
        "",
        "# seen in corpus",
    ]
    for a, b in sorted(seen, key=lambda p: (ord(p[0]), ord(p[1]))):
        lines.append(f"{a}\t{b}\t{seen_cost[(a, b)]:.2f}")
    lines += ["", "# rendered-glyph similarity"]
    for (a, b), s in sorted(pairs.items(), key=lambda kv: (ord(kv[0][0]), -kv[1], ord(kv[0][1]))):
        lines.append(f"{a}\t{b}\t{cost_of(s):.2f}")
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}: {len(pairs) + len(seen)} pairs, "
          f"{os.path.getsize(args.out)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
