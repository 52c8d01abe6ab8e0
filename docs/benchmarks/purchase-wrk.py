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
import os, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engine_bench import parser, process_cpu, ratios, scraped, token_file  # noqa: E402


def commits(pg):
    if not pg:
        return None
    out = subprocess.run(["psql", pg, "-Atc", "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"],
                         capture_output=True, text=True, check=True).stdout
    return int(out.strip())


def main():
    p = parser(__doc__, 200_000, "purchases")
    p.add_argument("--pg", default="", help="libpq URL of the engine's PostgreSQL, for commits/s")
    a = p.parse_args()
    admin = ratios.jwt(a.jwt_secret, "ratio-admin", ["admin"])
    with token_file(a) as tokens:
        ratios.wrk(a, tokens, "/health/live", duration=3)  # warm-up
        hello = ratios.wrk(a, tokens, "/health/live")
        # The JIT needs long on two cores: measured cold, C2 takes half the JVM's CPU for the first
        # 30 s of purchases. Warm up on a sale of its own (the same tokens then buy again below).
        warm = ratios.new_sale(a, admin, 10_000_000, False)
        ratios.wrk(a, tokens, f"/api/sales/{warm}/purchase", "POST", '{"quantity":1}', duration=a.warmup)
        sid = ratios.new_sale(a, admin, 10_000_000, False)
        sold_before = ratios.api(a.url, "GET", f"/api/sales/{sid}", None, admin)["quantitySold"]
        p0 = process_cpu(a.pid)
        c0, b0, s0 = commits(a.pg), scraped(a.url, "flashsale_reservation_batch_count"), \
            scraped(a.url, "flashsale_reservation_batch_sum")
        buy = ratios.wrk(a, tokens, f"/api/sales/{sid}/purchase", "POST", '{"quantity":1}')
        p1 = process_cpu(a.pid)
        c1, b1, s1 = commits(a.pg), scraped(a.url, "flashsale_reservation_batch_count"), \
            scraped(a.url, "flashsale_reservation_batch_sum")
        sold = ratios.api(a.url, "GET", f"/api/sales/{sid}", None, admin)["quantitySold"] - sold_before
        again = ratios.wrk(a, tokens, "/health/live")
    base = (hello["rps"] + again["rps"]) / 2
    rate = "-" if c0 is None else f"{(c1 - c0) / a.duration:.0f}"
    batch = f"{(s1 - s0) / (b1 - b0):.1f}" if b1 > b0 else "-"
    engine = "-" if p0 is None else f"{(p1 - p0) * 1e6 / (buy['rps'] * a.duration):.0f}"
    print(f"| {a.label} | {base:.0f} | {buy['rps']} | {buy['rps'] / base:.3f} | {buy['p50_ms']} ms | {buy['p99_ms']} ms "
          f"| {sold / a.duration:.0f} | {rate} | {batch} | {engine} | errors {buy['errors']}, non-2xx {buy['non2xx']} |")


if __name__ == "__main__":
    main()
