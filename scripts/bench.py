#!/usr/bin/env python3
"""Whole-run benchmark of govtab (`make bench` runs it after the criterion benches).

Generates a dump of PDFs by replicating samples/pdf/*.pdf and
../shared/corpus/*.pdf under distinct names into a temporary directory, then
measures, in this one run:

  * govtab run pages/s at --jobs 1 and --jobs 2 (worker processes);
  * pdfplumber (page.extract_tables() on every page) pages/s with 1 and 2
    processes, over the same files (pip-installed if missing);
  * `pdftotext -layout` pages/s (the C reference; poppler-utils installed with
    apt-get if missing), 1 and 2 processes;
  * the parse floor: lopdf load + inflate every stream
    (crates/govtab/examples/parse_floor.rs), 1 and 2 threads;
  * peak RSS of govtab (the parent and its workers, summed, polled from /proc)
    at 100 and at 2,000 documents;

and prints a compact table with the ratios govtab/pdfplumber, govtab(2)/
govtab(1) and govtab/floor. Pages are counted once, by lopdf, for every tool.

    python3 scripts/bench.py [--docs 500] [--rss-docs 100,2000] [--plumber-docs N]

--plumber-docs runs pdfplumber on the first N files of the dump only (a
round-robin mix of every source file) when the full dump would take too long;
the table says so. Default: all of them.
"""

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
GOVTAB = TARGET / "release" / "govtab"
FLOOR = TARGET / "release" / "examples" / "parse_floor"


def sources():
    files = sorted((ROOT / "samples" / "pdf").glob("*.pdf"))
    files += sorted((ROOT.parent / "shared" / "corpus").glob("*.pdf"))
    if not files:
        sys.exit("bench: no sample PDFs found")
    return files


def make_dump(dest: Path, n: int, srcs):
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        src = srcs[i % len(srcs)]
        p = dest / f"{i:05d}-{src.name}"
        if not p.exists():
            try:
                os.link(src, p)
            except OSError:
                shutil.copyfile(src, p)
        out.append(p)
    return out


def write_list(path: Path, files):
    path.write_text("".join(f"{f}\n" for f in files))
    return path


def floor(listfile: Path, jobs: int):
    r = subprocess.run([str(FLOOR), "--jobs", str(jobs), "--list", str(listfile)], capture_output=True, text=True, check=True)
    fields = dict(kv.split("=") for kv in r.stdout.split())
    return int(fields["pages"]), float(fields["seconds"])


class RssPoller:
    """Peak summed RSS of a process and its descendants, from /proc."""

    def __init__(self, pid):
        self.pid, self.peak, self.peak_single, self.stop = pid, 0, 0, False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def tree(self):
        children = {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError, IndexError):
                pass
        out, todo = [], [self.pid]
        while todo:
            p = todo.pop()
            out.append(p)
            todo.extend(children.get(p, []))
        return out

    @staticmethod
    def rss(pid):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def run(self):
        while not self.stop:
            sizes = [self.rss(p) for p in self.tree()]
            self.peak = max(self.peak, sum(sizes))
            self.peak_single = max([self.peak_single] + sizes)
            time.sleep(0.05)

    def finish(self):
        self.stop = True
        self.t.join()
        return self.peak, self.peak_single


def govtab(listfile: Path, out: Path, jobs: int, poll=False):
    if out.exists():
        shutil.rmtree(out)
    t = time.perf_counter()
    p = subprocess.Popen([str(GOVTAB), "run", "--manifest", str(listfile), "--out", str(out), "--jobs", str(jobs)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    poller = RssPoller(p.pid) if poll else None
    _, err = p.communicate()
    secs = time.perf_counter() - t
    peak = poller.finish() if poller else (0, 0)
    if p.returncode not in (0, 3) or "BUG" in err:
        sys.exit(f"bench: govtab run failed ({p.returncode}):\n{err}")
    return secs, peak


def plumber_one(path):
    import pdfplumber
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    try:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_tables()
    except Exception:
        pass  # counted like the other tools: the file's pages, whatever happened


def plumber(files, procs):
    t = time.perf_counter()
    with Pool(procs) as pool:
        list(pool.imap_unordered(plumber_one, [str(f) for f in files], chunksize=1))
    return time.perf_counter() - t


def pdftotext(files, procs):
    def one(f):
        subprocess.run(["pdftotext", "-layout", str(f), "-"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t = time.perf_counter()
    with ThreadPoolExecutor(procs) as ex:
        list(ex.map(one, files))
    return time.perf_counter() - t


def ensure_tools():
    try:
        import pdfplumber  # noqa: F401
    except ImportError:
        print("bench: installing pdfplumber with pip", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "pdfplumber"], check=True)
    if shutil.which("pdftotext") is None:
        print("bench: installing poppler-utils with apt-get", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-q", "poppler-utils"], check=False)
    for b in (GOVTAB, FLOOR):
        if not b.exists():
            sys.exit(f"bench: {b} missing; run `make bench` (it builds it)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=500, help="PDFs in the dump (default 500)")
    ap.add_argument("--rss-docs", default="100,2000", help="document counts for the peak RSS runs (default 100,2000)")
    ap.add_argument("--plumber-docs", type=int, default=0, help="pdfplumber on the first N files only (default: all)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    a = ap.parse_args()
    ensure_tools()
    rss_docs = [int(x) for x in a.rss_docs.split(",") if x.strip()]
    tmp = Path(tempfile.mkdtemp(prefix="govtab-bench-"))
    try:
        srcs = sources()
        dump = make_dump(tmp / "dump", max([a.docs] + rss_docs), srcs)
        files = dump[: a.docs]
        lst = write_list(tmp / "files.txt", files)
        print(f"bench: {len(files)} PDFs from {len(srcs)} sample files in {tmp}", file=sys.stderr)

        pages, f1 = floor(lst, 1)
        _, f2 = floor(lst, 2)
        g1, _ = govtab(lst, tmp / "out-j1", 1)
        g2, _ = govtab(lst, tmp / "out-j2", 2)
        pfiles = files[: a.plumber_docs] if a.plumber_docs else files
        plst = write_list(tmp / "plumber.txt", pfiles)
        ppages, _ = floor(plst, 1) if pfiles is not files else (pages, 0)
        p1 = plumber(pfiles, 1)
        p2 = plumber(pfiles, 2)
        t1 = pdftotext(files, 1)
        t2 = pdftotext(files, 2)
        rss = []
        for n in rss_docs:
            l = write_list(tmp / f"rss-{n}.txt", dump[:n])
            secs, (peak, single) = govtab(l, tmp / f"out-rss-{n}", 2, poll=True)
            rss.append((n, peak, single, secs))

        rate = lambda p, s: p / s if s > 0 else float("nan")
        rows = [
            ("govtab run", rate(pages, g1), rate(pages, g2)),
            ("pdfplumber extract_tables" + (f" ({len(pfiles)} files)" if pfiles is not files else ""), rate(ppages, p1), rate(ppages, p2)),
            ("pdftotext -layout (C reference)", rate(pages, t1), rate(pages, t2)),
            ("parse floor (lopdf load + inflate)", rate(pages, f1), rate(pages, f2)),
        ]
        print(f"\n{len(files)} PDFs, {pages} pages (counted by lopdf); pages/s")
        print(f"{'':38} {'1 job':>9} {'2 jobs':>9}")
        for name, r1, r2 in rows:
            print(f"{name:38} {r1:9.1f} {r2:9.1f}")
        gp1, gp2 = rows[0][1], rows[0][2]
        print(f"{'govtab / pdfplumber':38} {gp1 / rows[1][1]:8.1f}x {gp2 / rows[1][2]:8.1f}x")
        print(f"{'govtab(2) / govtab(1)':38} {gp2 / gp1:8.2f}x")
        print(f"{'govtab / floor':38} {gp1 / rows[3][1]:8.3f}x {gp2 / rows[3][2]:8.3f}x")
        for n, peak, single, secs in rss:
            print(f"{f'peak RSS govtab, {n} docs, 2 jobs':38} {peak / 2**20:7.0f}MB  (largest process {single / 2**20:.0f}MB, {secs:.0f}s)")
        if len(rss) >= 2 and rss[0][1] > 0:
            print(f"{f'RSS {rss[-1][0]} / RSS {rss[0][0]} docs':38} {rss[-1][1] / rss[0][1]:8.2f}x")
    finally:
        if a.keep:
            print(f"bench: kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
