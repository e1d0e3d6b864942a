#!/usr/bin/env python3
"""Writes houses.csv: a small, deterministic house-price regression set.

Columns: area (m^2), rooms, age (years), distance (km to the centre) and the
target price (thousands). The price is a noisy, mildly non-linear function of
the features, so a small MLP beats a linear model. Run from anywhere:

    python3 examples/regression/make_data.py
"""
import csv
import math
import os
import random

random.seed(0)
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "houses.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["area", "rooms", "age", "distance", "price"])
    for _ in range(1000):
        area = random.uniform(30, 200)
        rooms = random.randint(1, 7)
        age = random.uniform(0, 80)
        distance = random.uniform(0.5, 30)
        price = (2.2 * area + 12 * rooms - 0.9 * age
                 + 180 * math.exp(-distance / 8) + 40
                 + random.gauss(0, 15))
        w.writerow([f"{area:.1f}", rooms, f"{age:.1f}", f"{distance:.2f}",
                    f"{price / 100:.4f}"])
