"""checks.py - the check-and-count helper of the monitoring tests (test_rules.py,
test_dashboards.py): every check prints one line; finish() exits 1 when any failed."""
import sys

failures = []


def check(cond, msg):
    print(("  ok   " if cond else "  FAIL ") + msg, flush=True)
    if not cond:
        failures.append(msg)
    return cond


def finish():
    print(f"{'FAILED: ' + str(len(failures)) if failures else 'all passed'}")
    sys.exit(1 if failures else 0)
