"""What join-wrk.py and purchase-wrk.py share: ../shared/bench/ratios.py (or $SHARED_BENCH), their
common options, a file of distinct buyer tokens, the engine's CPU from /proc and a figure from /metrics."""
import argparse, contextlib, os, re, sys, tempfile, urllib.request, uuid

sys.path.insert(0, os.environ.get("SHARED_BENCH", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                "..", "..", "..", "shared", "bench")))
import ratios  # noqa: E402,F401  (re-exported for the scripts)


def parser(doc, buyers, what):
    """The options both scripts take; each adds its own."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:8080")
    p.add_argument("--jwt-secret", required=True)
    p.add_argument("--pid", type=int, default=0, help="the engine's process id, for its CPU per request")
    p.add_argument("--label", default="")
    p.add_argument("--duration", type=int, default=8)
    p.add_argument("--connections", type=int, default=128)
    p.add_argument("--buyers", type=int, default=buyers)
    p.add_argument("--warmup", type=int, default=30, help=f"seconds of {what} before measuring")
    return p


@contextlib.contextmanager
def token_file(a):
    """A file of a.buyers distinct buyer tokens, one per line, for wrk-tokens.lua."""
    with tempfile.NamedTemporaryFile("w", suffix=".tokens") as f:
        f.writelines(ratios.jwt(a.jwt_secret, "ratio-" + uuid.uuid4().hex[:16]) + "\n" for _ in range(a.buyers))
        f.flush()
        yield f.name


def process_cpu(pid):
    """Seconds of CPU the process has used (user + system, from /proc), or None without a pid."""
    if not pid:
        return None
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scraped(url, name):
    """An unlabelled figure from the engine's /metrics, 0 if absent."""
    text = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
    m = re.search(r"^" + name + r" ([\d.eE+-]+)$", text, re.M)
    return float(m[1]) if m else 0.0
