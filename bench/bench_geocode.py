"""Geocoding throughput on the shipped pack: run ``python bench/bench_geocode.py``."""

from __future__ import annotations

import time

from geoaccess.geocode import geocode
from geoaccess.pack import load_pack


def main() -> None:
    started = time.perf_counter()
    pack = load_pack()
    sample = pack.postcodes["postcode"].sample(5_000, random_state=1).tolist()
    geocode(sample[0], pack)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    for postcode in sample:
        geocode(postcode, pack)
    per_call = (time.perf_counter() - started) / len(sample)
    started = time.perf_counter()
    for i in range(200):
        geocode(f"{54.3 + i * 0.002:.4f},-2.75", pack)
    per_point = (time.perf_counter() - started) / 200
    print(f"pack load + first geocode: {loaded:.2f} s")
    print(f"postcode geocode: {per_call * 1e6:.0f} us each ({len(sample)} postcodes)")
    print(f"lat,lon geocode: {per_point * 1e3:.2f} ms each (200 points)")


if __name__ == "__main__":
    main()
