#!/usr/bin/env python3
"""Robustness check (`make robust`): govtab over >= 1,000 damaged PDFs.

From samples/pdf/*.pdf, generates (deterministically, seeded) damaged copies:
truncated at random offsets, random bytes flipped, a broken xref table or
startxref, objects deleted, streams emptied (zero length), a flate bomb (a
content stream that inflates to gigabytes), and deeply nested arrays; then
runs `govtab run` over all of them with worker processes and checks:

  * the batch completes (exit status 0 or 3: no abort, no accounting BUG);
  * every file is in records.jsonl or errors.csv (0 lost files);
  * no document ran past --timeout: the wall time is bounded, and timeouts
    are reported as error rows, which are counted below.

    python3 scripts/robust.py [--count 1000] [--jobs 2] [--timeout 20s] [--keep]
"""

import argparse
import collections
import csv
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
GOVTAB = TARGET / "release" / "govtab"


def truncate(data, rng):
    return data[: rng.randrange(1, len(data))]


def flip(data, rng):
    b = bytearray(data)
    for _ in range(rng.randint(1, 64)):
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def broken_xref(data, rng):
    b = bytearray(data)
    choice = rng.randrange(3)
    m = list(re.finditer(rb"startxref\s+(\d+)", data))
    if choice == 0 and m:  # startxref points elsewhere
        g = m[-1]
        num = str(rng.randrange(0, len(data) * 2)).encode()
        return bytes(b[: g.start(1)] + num + b[g.end(1):])
    offs = list(re.finditer(rb"(\d{10}) (\d{5}) ([nf])", data))
    if choice == 1 and offs:  # xref entries scrambled
        for g in rng.sample(offs, min(len(offs), rng.randint(1, 10))):
            b[g.start(1): g.end(1)] = str(rng.randrange(10 ** 10)).zfill(10).encode()
        return bytes(b)
    # the xref keyword / xref stream damaged
    i = data.rfind(b"xref")
    if i >= 0:
        b[i: i + 4] = b"xfer"
    return bytes(b)


def delete_objects(data, rng):
    objs = list(re.finditer(rb"\n(\d+) 0 obj.*?endobj", data, re.S))
    if not objs:
        return truncate(data, rng)
    out = data
    for g in sorted(rng.sample(objs, min(len(objs), rng.randint(1, 5))), key=lambda g: -g.start()):
        out = out[: g.start()] + b"\n" + out[g.end():]
    return out


def zero_streams(data, rng):
    parts = re.split(rb"(stream\r?\n.*?endstream)", data, flags=re.S)
    out = []
    for p in parts:
        if p.startswith(b"stream") and rng.random() < 0.5:
            out.append(b"stream\nendstream")
        else:
            out.append(p)
    return b"".join(out)


def pdf_with(content_stream: bytes, extra_objects=b"", filter_name=b"/FlateDecode") -> bytes:
    """A one-page PDF whose page content is `content_stream` (already encoded)."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
        b"<< /Length %d /Filter %s >>\nstream\n" % (len(content_stream), filter_name) + content_stream + b"\nendstream",
    ]
    if extra_objects:
        objs.append(extra_objects)
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def flate_bomb(gib: float) -> bytes:
    c = zlib.compressobj(9)
    chunk = b"\0" * (1 << 24)
    out = []
    for _ in range(int(gib * 64)):
        out.append(c.compress(chunk))
    out.append(c.flush())
    return pdf_with(b"".join(out))


def nested_arrays(depth: int, where: str) -> bytes:
    nest = b"[" * depth + b"]" * depth
    if where == "content":
        return pdf_with(nest + b" 0 0 Td", filter_name=b"[]")
    return pdf_with(zlib.compress(b"BT ET"), extra_objects=nest)


DAMAGES = [("trunc", truncate), ("flip", flip), ("xref", broken_xref), ("delobj", delete_objects), ("zerostream", zero_streams)]


def generate(dest: Path, count: int, seed: int):
    srcs = sorted((ROOT / "samples" / "pdf").glob("*.pdf"))
    if not srcs:
        sys.exit("robust: no samples/pdf/*.pdf")
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    names = []
    specials = [("flate-bomb-1g.pdf", lambda: flate_bomb(1)), ("flate-bomb-4g.pdf", lambda: flate_bomb(4))]
    for depth in (1000, 100_000, 1_000_000):
        specials.append((f"nested-{depth}-content.pdf", lambda d=depth: nested_arrays(d, "content")))
        specials.append((f"nested-{depth}-object.pdf", lambda d=depth: nested_arrays(d, "object")))
    for name, make in specials:
        (dest / name).write_bytes(make())
        names.append(name)
    blobs = {s: s.read_bytes() for s in srcs}
    i = 0
    while len(names) < count:
        src = srcs[i % len(srcs)]
        kind, fn = DAMAGES[(i // len(srcs)) % len(DAMAGES)]
        data = fn(blobs[src], rng)
        # A second damage now and then.
        if rng.random() < 0.2:
            data = DAMAGES[rng.randrange(len(DAMAGES))][1](data, rng) if len(data) > 1 else data
        name = f"{i:05d}-{kind}-{src.stem}.pdf"
        (dest / name).write_bytes(data)
        names.append(name)
        i += 1
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", default="20s")
    ap.add_argument("--max-memory", default="1GiB")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    if not GOVTAB.exists():
        sys.exit(f"robust: {GOVTAB} missing; run `make robust` (it builds it)")
    tmp = Path(tempfile.mkdtemp(prefix="govtab-robust-"))
    ok = True
    try:
        names = generate(tmp / "damaged", a.count, a.seed)
        out = tmp / "out"
        t = time.perf_counter()
        r = subprocess.run([str(GOVTAB), "run", str(tmp / "damaged"), "--out", str(out), "--jobs", str(a.jobs),
                            "--timeout", a.timeout, "--max-memory", a.max_memory], capture_output=True, text=True)
        secs = time.perf_counter() - t
        tail = "\n".join(r.stderr.strip().splitlines()[-3:])
        aborted = r.returncode not in (0, 3) or "BUG" in r.stderr
        in_records = set()
        if (out / "records.jsonl").exists():
            for line in (out / "records.jsonl").read_text().splitlines():
                if line.strip():
                    in_records.add(json.loads(line)["doc"])
        in_errors = collections.Counter()
        reasons = collections.Counter()
        if (out / "errors.csv").exists():
            with open(out / "errors.csv", newline="") as f:
                for row in csv.DictReader(f):
                    in_errors[row["doc"]] += 1
                    reason = row["reason"]
                    key = row["stage"] + ": " + re.sub(r"\d+", "N", reason)[:70]
                    reasons[key] += 1
        lost = [n for n in names if n not in in_records and n not in in_errors]
        timeouts = sum(c for k, c in reasons.items() if "timed out" in k)
        ooms = sum(c for k, c in reasons.items() if "out of memory" in k)
        crashes = sum(c for k, c in reasons.items() if k.startswith("worker: crashed"))
        print(f"robust: {len(names)} damaged PDFs, govtab run --jobs {a.jobs} --timeout {a.timeout} --max-memory {a.max_memory}: {secs:.0f}s, exit {r.returncode}")
        print(f"  batch aborts: {int(aborted)}   lost files: {len(lost)}   with records: {len(in_records)}   "
              f"in errors.csv: {len(in_errors)}   worker timeouts: {timeouts}   out of memory: {ooms}   worker crashes: {crashes}")
        print("  most common error rows:")
        for k, c in reasons.most_common(12):
            print(f"    {c:5d}  {k}")
        print("  " + tail.replace("\n", "\n  "))
        if aborted:
            print(f"robust: FAIL: the batch aborted (exit {r.returncode})\n{r.stderr[-2000:]}")
            ok = False
        if lost:
            print(f"robust: FAIL: {len(lost)} files lost, e.g. {lost[:5]}")
            ok = False
        print("robust: OK" if ok else "robust: FAILED")
    finally:
        if a.keep:
            print(f"robust: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
