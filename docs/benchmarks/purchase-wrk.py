#!/usr/bin/env python3
"""Direct purchase with no sell-out against a running engine, measured with wrk as ratios.py does
(../shared/bench/ratios.py: every request a distinct buyer token and client address): hello-world
before and after, purchase in between, on a sale of 10,000,000 units. Also reads PostgreSQL's commits
during the purchase run (pg_stat_database, with --pg) and the engine's batch sizes (/metrics).
Purchases run --warmup seconds (default 30) on another sale first, so the JIT has compiled the path.

  python3 docs/benchmarks/purchase-wrk.py --url http://127.0.0.1:18490 --jwt-secret S [--pg URL] [--label L]

With --pid, also the engine process's CPU per purchase (user + system, /proc) over the purchase run.

Prints one table row: label | hello/s | purchases/s | ratio | p50 | p99 | reservations/s | commits/s | batch
| engine CPU us/purchase."""
import argparse, os, re, subprocess, sys, tempfile, urllib.request, uuid

sys.path.insert(0, os.environ.get("SHARED_BENCH", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                "..", "..", "..", "shared", "bench")))
import ratios  # noqa: E402


def commits(pg):
    if not pg:
        return None
    out = subprocess.run(["psql", pg, "-Atc", "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"],
                         capture_output=True, text=True, check=True).stdout
    return int(out.strip())


def process_cpu(pid):
    """Seconds of CPU the process has used (user + system, from /proc), or None without a pid."""
    if not pid:
        return None
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scraped(url, name):
    text = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
    m = re.search(r"^" + name + r" ([\d.eE+-]+)$", text, re.M)
    return float(m[1]) if m else 0.0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:8080")
    p.add_argument("--jwt-secret", required=True)
    p.add_argument("--pg", default="", help="libpq URL of the engine's PostgreSQL, for commits/s")
    p.add_argument("--pid", type=int, default=0, help="the engine's process id, for its CPU per request")
    p.add_argument("--label", default="")
    p.add_argument("--duration", type=int, default=8)
    p.add_argument("--connections", type=int, default=128)
    p.add_argument("--buyers", type=int, default=200_000)
    p.add_argument("--warmup", type=int, default=30, help="seconds of purchases before measuring")
    a = p.parse_args()
    admin = ratios.jwt(a.jwt_secret, "ratio-admin", ["admin"])
    with tempfile.NamedTemporaryFile("w", suffix=".tokens") as f:
        f.writelines(ratios.jwt(a.jwt_secret, "ratio-" + uuid.uuid4().hex[:16]) + "\n" for _ in range(a.buyers))
        f.flush()
        ratios.wrk(a, f.name, "/health/live", duration=3)  # warm-up
        hello = ratios.wrk(a, f.name, "/health/live")
        # The JIT needs long on two cores: measured cold, C2 takes half the JVM's CPU for the first
        # 30 s of purchases. Warm up on a sale of its own (the same tokens then buy again below).
        warm = ratios.new_sale(a, admin, 10_000_000, False)
        ratios.wrk(a, f.name, f"/api/sales/{warm}/purchase", "POST", '{"quantity":1}', duration=a.warmup)
        sid = ratios.new_sale(a, admin, 10_000_000, False)
        sold_before = ratios.api(a.url, "GET", f"/api/sales/{sid}", None, admin)["quantitySold"]
        p0 = process_cpu(a.pid)
        c0, b0, s0 = commits(a.pg), scraped(a.url, "flashsale_reservation_batch_count"), \
            scraped(a.url, "flashsale_reservation_batch_sum")
        buy = ratios.wrk(a, f.name, f"/api/sales/{sid}/purchase", "POST", '{"quantity":1}')
        p1 = process_cpu(a.pid)
        c1, b1, s1 = commits(a.pg), scraped(a.url, "flashsale_reservation_batch_count"), \
            scraped(a.url, "flashsale_reservation_batch_sum")
        sold = ratios.api(a.url, "GET", f"/api/sales/{sid}", None, admin)["quantitySold"] - sold_before
        again = ratios.wrk(a, f.name, "/health/live")
    base = (hello["rps"] + again["rps"]) / 2
    rate = "-" if c0 is None else f"{(c1 - c0) / a.duration:.0f}"
    batch = f"{(s1 - s0) / (b1 - b0):.1f}" if b1 > b0 else "-"
    engine = "-" if p0 is None else f"{(p1 - p0) * 1e6 / (buy['rps'] * a.duration):.0f}"
    print(f"| {a.label} | {base:.0f} | {buy['rps']} | {buy['rps'] / base:.3f} | {buy['p50_ms']} ms | {buy['p99_ms']} ms "
          f"| {sold / a.duration:.0f} | {rate} | {batch} | {engine} | errors {buy['errors']}, non-2xx {buy['non2xx']} |")


if __name__ == "__main__":
    main()
