#!/usr/bin/env python3
"""A sell-out measured with wrk (a light generator) instead of the Java load test: a direct sale of
--units units, --buyers distinct buyer tokens cycled by wrk for --duration seconds (a buyer sent
again after the first pass gets 409 ALREADY_PURCHASED or SOLD_OUT, as a real one pressing twice
would), after --warmup seconds of purchases on another sale.

  python3 docs/benchmarks/sellout-wrk.py --url http://127.0.0.1:18490 --jwt-secret S

Prints wrk's figures for the whole run (p99 covers the sell-out and the refusals after it) and the
sale's quantitySold."""
import argparse, os, sys, tempfile, uuid

sys.path.insert(0, os.environ.get("SHARED_BENCH", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                "..", "..", "..", "shared", "bench")))
import ratios  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:8080")
    p.add_argument("--jwt-secret", required=True)
    p.add_argument("--units", type=int, default=10_000)
    p.add_argument("--buyers", type=int, default=50_000)
    p.add_argument("--duration", type=int, default=12)
    p.add_argument("--warmup", type=int, default=30)
    p.add_argument("--connections", type=int, default=128)
    a = p.parse_args()
    admin = ratios.jwt(a.jwt_secret, "sellout-admin", ["admin"])
    with tempfile.NamedTemporaryFile("w", suffix=".tokens") as warm_tokens, \
            tempfile.NamedTemporaryFile("w", suffix=".tokens") as f:
        warm_tokens.writelines(ratios.jwt(a.jwt_secret, "warm-" + uuid.uuid4().hex[:16]) + "\n" for _ in range(200_000))
        warm_tokens.flush()
        f.writelines(ratios.jwt(a.jwt_secret, "sellout-" + uuid.uuid4().hex[:16]) + "\n" for _ in range(a.buyers))
        f.flush()
        warm = ratios.new_sale(a, admin, 10_000_000, False)
        ratios.wrk(a, warm_tokens.name, f"/api/sales/{warm}/purchase", "POST", '{"quantity":1}', duration=a.warmup)
        sid = ratios.new_sale(a, admin, a.units, False)
        r = ratios.wrk(a, f.name, f"/api/sales/{sid}/purchase", "POST", '{"quantity":1}')
        sold = ratios.api(a.url, "GET", f"/api/sales/{sid}", None, admin)["quantitySold"]
    print(f"sell-out of {a.units} units, {a.buyers} distinct buyers cycled for {a.duration} s: {r}; quantitySold {sold}")


if __name__ == "__main__":
    main()
