"""Oracle: statsmodels' Wilson interval and pooled two-proportion z-test. Reads a JSON list of
[successes, trials, other_successes, other_trials] on stdin and prints
[{"low", "high", "p"}] (p null where the test is undefined)."""
import json
import sys
import warnings

from statsmodels.stats.proportion import proportion_confint, proportions_ztest

warnings.simplefilter("ignore")
result = []
for x1, n1, x2, n2 in json.load(sys.stdin):
    low, high = proportion_confint(x1, n1, alpha=0.05, method="wilson")
    pooled = (x1 + x2) / (n1 + n2)
    p = None
    if 0 < pooled < 1:
        _, p = proportions_ztest([x1, x2], [n1, n2], alternative="two-sided", prop_var=False)
        p = float(p)
    result.append({"low": float(low), "high": float(high), "p": p})
print(json.dumps(result))
