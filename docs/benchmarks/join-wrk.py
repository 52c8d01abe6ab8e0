#!/usr/bin/env python3
"""Waiting-room joins against a running engine, measured with wrk as ratios.py does
(../shared/bench/ratios.py: every request a distinct buyer token and client address): hello-world
before and after, joins in between, on a sale of 10,000,000 units. Joins run --warmup seconds
(default 30) on another sale first, so the JIT has compiled the path. With --redis-port, also reads
the engine's Redis CPU over the join run (INFO cpu) and divides it by the joins; from /metrics, the
mean number of joins per call of the join script.

  python3 docs/benchmarks/join-wrk.py --url http://127.0.0.1:18480 --jwt-secret S [--redis-port P] [--label L]

With --pid, also the engine process's CPU per join (user + system, /proc) over the join run.

Prints one table row: label | hello/s | joins/s | ratio | p50 | p99 | Redis us/join | joins per call
| engine CPU us/join."""
import os, re, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engine_bench import parser, process_cpu, ratios, scraped, token_file  # noqa: E402


def redis_cpu(port):
    if not port:
        return None
    out = subprocess.run(["redis-cli", "-p", str(port), "INFO", "cpu"], capture_output=True, text=True,
                         check=True).stdout
    return sum(float(v) for k, v in re.findall(r"^(used_cpu_(?:user|sys)):([\d.]+)", out, re.M))


def main():
    p = parser(__doc__, 400_000, "joins")
    p.add_argument("--redis-port", type=int, default=0, help="the engine's Redis on 127.0.0.1, for its CPU")
    a = p.parse_args()
    admin = ratios.jwt(a.jwt_secret, "ratio-admin", ["admin"])
    with token_file(a) as tokens:
        ratios.wrk(a, tokens, "/health/live", duration=3)  # warm-up
        hello = ratios.wrk(a, tokens, "/health/live")
        warm = ratios.new_sale(a, admin, 10_000_000, True)
        ratios.wrk(a, tokens, f"/api/sales/{warm}/queue", "POST", '{"quantity":1}', duration=a.warmup)
        sid = ratios.new_sale(a, admin, 10_000_000, True)
        p0 = process_cpu(a.pid)
        c0, b0, s0 = redis_cpu(a.redis_port), scraped(a.url, "flashsale_queue_join_batch_count"), \
            scraped(a.url, "flashsale_queue_join_batch_sum")
        join = ratios.wrk(a, tokens, f"/api/sales/{sid}/queue", "POST", '{"quantity":1}')
        p1 = process_cpu(a.pid)
        c1, b1, s1 = redis_cpu(a.redis_port), scraped(a.url, "flashsale_queue_join_batch_count"), \
            scraped(a.url, "flashsale_queue_join_batch_sum")
        again = ratios.wrk(a, tokens, "/health/live")
    base = (hello["rps"] + again["rps"]) / 2
    joins = join["rps"] * a.duration
    cpu = "-" if c0 is None else f"{(c1 - c0) * 1e6 / joins:.1f}"
    batch = f"{(s1 - s0) / (b1 - b0):.1f}" if b1 > b0 else "-"
    engine = "-" if p0 is None else f"{(p1 - p0) * 1e6 / joins:.0f}"
    print(f"| {a.label} | {base:.0f} | {join['rps']} | {join['rps'] / base:.3f} | {join['p50_ms']} ms "
          f"| {join['p99_ms']} ms | {cpu} | {batch} | {engine} | errors {join['errors']}, non-2xx {join['non2xx']} |")


if __name__ == "__main__":
    main()
