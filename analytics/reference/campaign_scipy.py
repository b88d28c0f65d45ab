"""Reference figures from SciPy for analytics/src/campaign.rs's tests.

Run: python3 -m venv v && v/bin/pip install scipy && v/bin/python campaign_scipy.py > campaign_scipy.rs
For each case (count before, days before, count after, days after) it prints the exact
conditional Poisson test of equal rates (the count after, given the total, is binomial with
p = days after / all days: scipy.stats.binomtest, two-sided) and the rate ratio's 95 % interval
from the Clopper-Pearson interval of that proportion; then the Wald interval of a ratio of two
rate ratios on the log scale and its p-value; then the lgamma values the Rust code checks its own
against.
"""
import math
from scipy import stats

CASES = [
    (120, 90.0, 80, 90.0),
    (45, 60.0, 30, 60.0),
    (10, 30.0, 2, 30.0),
    (7, 28.0, 7, 28.0),
    (0, 30.0, 5, 30.0),
    (5, 30.0, 0, 30.0),
    (300, 120.0, 260, 60.0),
    (1, 10.0, 1, 10.0),
    (2500, 365.0, 2400, 365.0),
    (33, 45.0, 51, 61.0),
]

import scipy
print("/// (before, before_days, after, after_days, p_value, ci_low, ci_high) from SciPy", scipy.__version__)
print("const EXACT: [(u64, f64, u64, f64, f64, f64, f64); %d] = [" % len(CASES))
for b, tb, a, ta in CASES:
    n = a + b
    p0 = ta / (ta + tb)
    r = stats.binomtest(a, n, p0, alternative="two-sided")
    ci = r.proportion_ci(confidence_level=0.95, method="exact")
    to_rr = lambda p: (p / (1.0 - p)) * (tb / ta) if p < 1.0 else float("inf")
    lo, hi = to_rr(ci.low), to_rr(ci.high)
    hi_txt = "f64::INFINITY" if math.isinf(hi) else repr(hi)
    print(f"    ({b}, {tb!r}, {a}, {ta!r}, {float(r.pvalue)!r}, {lo!r}, {hi_txt}),")
print("];")

RR_CASES = [((120, 80), (400, 390)), ((45, 30), (200, 230)), ((12, 6), (50, 49))]
print("/// ((target before, after), (control before, after), ratio, ci_low, ci_high, p_value): Wald on the log scale")
print("const RATIO_OF_RATIOS: [((u64, u64), (u64, u64), f64, f64, f64, f64); %d] = [" % len(RR_CASES))
for (tb, ta), (cb, ca) in RR_CASES:
    log_r = math.log((ta / tb) / (ca / cb))
    se = math.sqrt(1 / tb + 1 / ta + 1 / cb + 1 / ca)
    z = stats.norm.ppf(0.975)
    p = 2 * stats.norm.sf(abs(log_r) / se)
    print(f"    (({tb}, {ta}), ({cb}, {ca}), {math.exp(log_r)!r}, {math.exp(log_r - z * se)!r}, {math.exp(log_r + z * se)!r}, {float(p)!r}),")
print("];")

XS = [0.5, 1.0, 1.5, 2.0, 3.7, 10.0, 33.3, 100.0, 1000.5, 12345.0, 1e6]
print("/// (x, lgamma(x)) from Python's math.lgamma")
print("const LGAMMA: [(f64, f64); %d] = [" % len(XS))
for x in XS:
    print(f"    ({x!r}, {math.lgamma(x)!r}),")
print("];")
