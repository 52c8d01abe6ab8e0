#!/usr/bin/env python3
"""Creates a waiting-room sale starting LEAD seconds from now, for admission-rate runs with the line
formed before T-0: python3 docs/benchmarks/presale.py URL JWT_SECRET RATE UNITS LEAD (prints the sale id).
Uses ../shared/bench/ratios.py (or $SHARED_BENCH) for tokens and the admin API."""
import datetime as dt, os, sys
sys.path.insert(0, os.environ.get("SHARED_BENCH", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "bench")))
import ratios  # noqa: E402
url, secret, rate, units, lead = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
admin = ratios.jwt(secret, "bench-admin", ["admin"])
iso = lambda t: t.isoformat().replace("+00:00", "Z")
now = dt.datetime.now(dt.timezone.utc)
sale = ratios.api(url, "POST", "/api/admin/sales", {
    "productId": "rate", "productName": "Admission rate run", "quantity": units, "priceCents": 100, "currency": "USD",
    "startTime": iso(now + dt.timedelta(seconds=lead)), "endTime": iso(now + dt.timedelta(hours=1)),
    "perUserLimit": 1, "checkoutTtlSeconds": 600, "waitingRoom": True, "queuePolicy": "FIFO",
    "admissionRatePerSecond": rate}, admin)
print(sale["saleId"])
