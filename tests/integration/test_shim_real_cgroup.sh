#!/usr/bin/env bash
# test_shim_real_cgroup.sh SHIM - a real Go program in a real memory cgroup.
#
# gomemhog (tests/shim/gomemhog, Go) steps its live heap up to 40 MiB while churning
# garbage. In a child of this process's own cgroup v1 memory cgroup limited to 64 MiB:
#   - without the shim and without GOMEMLIMIT it is OOM-killed (exit 137): GOGC=100 lets
#     the heap reach about twice the live heap;
#   - through the shim (default ratio 0.9) it survives, and the memory limit the Go
#     runtime reports (debug.SetMemoryLimit(-1)) is floor(64 MiB x 0.9) in whole MiB =
#     57 MiB. gomemhog pauses 1 ms per MiB of garbage: flat-out churn at a 40 MiB live
#     heap makes Go 1.19's GC CPU limiter let the heap overshoot the soft limit, and runs
#     were then occasionally OOM-killed; with the pauses, peak usage stays ~12 MiB under
#     the cgroup limit even with both CPUs busy;
#   - through the shim with a stale GOMEMLIMIT=1GiB (above the limit) the shim replaces
#     it, says why on stderr, and the program survives;
#   - the copy made by `--install` (as the webhook's init container does) with --force
#     replaces an admission-time GOMEMLIMIT=60MiB with the cgroup's 57MiB.
# Each case runs GMW_SHIM_CGROUP_RUNS times (default 2). Exit 77 (skipped, reason printed)
# when no writable cgroup v1 memory hierarchy exists here. Every cgroup created is removed.
set -euo pipefail

SHIM=${1:-${GMW_BUILD_DIR:-build}/gomemlimit-shim}
BUILD=${GMW_BUILD_DIR:-build}
RUNS=${GMW_SHIM_CGROUP_RUNS:-2}
LIMIT=$((64 * 1024 * 1024))
RATIO=0.9   # the shim's default; cases 2 and 3 rely on the default, case 4 passes it
EXPECTED=$(( LIMIT * 9000 / 10000 / 1048576 * 1048576 ))   # floor(limit x 0.9) in whole MiB
EXPECTED_TEXT="$(( EXPECTED / 1048576 ))MiB"
SRC=$(cd "$(dirname "$0")/../shim/gomemhog" && pwd)

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ -x "$SHIM" ] || fail "shim not built: $SHIM"
command -v go >/dev/null || fail "go not found (Debian golang-go, scripts/install-deps.sh)"

# --- the test's own v1 memory cgroup -------------------------------------------------
own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3; exit}' /proc/self/cgroup)
[ -n "$own" ] || skip "no cgroup v1 memory controller in /proc/self/cgroup (cgroup v2 only: needs a delegated subtree, not covered by this test)"
read -r mroot mpoint < <(awk '/ - cgroup / && $NF ~ /(^|,)memory(,|$)/ {print $4, $5; exit}' /proc/self/mountinfo) || true
[ -n "${mpoint:-}" ] || skip "no cgroup v1 memory mount in /proc/self/mountinfo"
rel=$own
if [ "$mroot" != "/" ]; then
  case "$own" in "$mroot"*) rel=${own#"$mroot"} ;; *) rel="" ;; esac
fi
parent="$mpoint$rel"
[ -d "$parent" ] || skip "own memory cgroup $parent not visible"

created=()
cleanup() {
  for cg in "${created[@]}"; do
    if [ -d "$cg" ]; then
      # Anything still inside (there should be nothing) is killed so the cgroup can go.
      while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done < "$cg/cgroup.procs" 2>/dev/null || true
      for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$cg" 2>/dev/null && break; sleep 0.2; done
      if [ -d "$cg" ]; then echo "WARNING: could not remove $cg"; fi
    fi
  done
  return 0
}
trap cleanup EXIT

n=0
new_cgroup() {   # prints the path of a fresh child cgroup limited to $LIMIT
  n=$((n + 1))
  local cg="$parent/gmw-test-$$-$n"
  mkdir "$cg" 2>/dev/null || return 1
  created+=("$cg")
  echo "$LIMIT" > "$cg/memory.limit_in_bytes" 2>/dev/null || return 1
  # No swap escape hatch (memsw exists only with swap accounting).
  [ -f "$cg/memory.memsw.limit_in_bytes" ] && { echo "$LIMIT" > "$cg/memory.memsw.limit_in_bytes" 2>/dev/null || true; }
  [ "$(cat "$cg/memory.limit_in_bytes")" = "$LIMIT" ] || return 1
  CG=$cg
}
new_cgroup || skip "cannot create a memory cgroup under $parent (not writable here)"
probe=$CG

# --- build the Go program (no modules, no network) ------------------------------------
out="$BUILD/gomemhog"
mkdir -p "$out"
( cd "$SRC" && GO111MODULE=off GOFLAGS= CGO_ENABLED=0 GOCACHE="$out/cache" GOPATH="$out/gopath" \
    go build -o "$out/gomemhog" main.go ) || fail "go build failed"
echo "built $(go version) -> $out/gomemhog"

# run_in CGROUP CMD...: run CMD as the only process of CGROUP, without GOMEMLIMIT/GOGC
# unless given after `env`. The sh moves itself in, then execs (the PID stays).
run_in() {
  local cg=$1; shift
  set +e
  timeout 300 sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$@" \
    >"$out/stdout" 2>"$out/stderr"
  rc=$?
  set -e
}
oom_kills() { awk '$1 == "oom_kill" {print $2}' "$1/memory.oom_control"; }

for run in $(seq 1 "$RUNS"); do
  echo "== run $run/$RUNS"

  # 1. Without the shim: OOM-killed.
  new_cgroup || fail "cannot create cgroup"
  run_in "$CG" env -u GOMEMLIMIT -u GOGC "$out/gomemhog"
  cat "$out/stdout"
  [ "$rc" = 137 ] || fail "without the shim: exit $rc, want 137 (OOM kill); stderr: $(head -c 500 "$out/stderr")"
  k=$(oom_kills "$CG"); [ -z "$k" ] || [ "$k" -ge 1 ] || fail "exit 137 but oom_kill=$k in memory.oom_control"
  grep -q survived "$out/stdout" && fail "without the shim it finished"
  echo "ok: without the shim: exit 137, oom_kill=${k:-n/a}, max usage $(cat "$CG/memory.max_usage_in_bytes")"

  # 2. Through the shim: survives with floor(limit x ratio) MiB.
  new_cgroup || fail "cannot create cgroup"
  run_in "$CG" env -u GOMEMLIMIT -u GOGC "$SHIM" -- "$out/gomemhog"
  cat "$out/stdout"
  [ "$rc" = 0 ] || fail "through the shim: exit $rc, want 0; stderr: $(head -c 500 "$out/stderr")"
  grep -q '^survived live=40MiB$' "$out/stdout" || fail "no 'survived' line"
  got=$(sed -n 's/^GOMEMLIMIT_BYTES=\([0-9]*\)$/\1/p' "$out/stdout" | tail -1)
  [ "$got" = "$EXPECTED" ] || fail "runtime memory limit $got, want $EXPECTED (floor(64Mi x $RATIO) MiB)"
  grep -q "^GOMEMLIMIT=\"$EXPECTED_TEXT\" GOGC=\"100\" " "$out/stdout" || fail "env not as expected"
  [ ! -s "$out/stderr" ] || fail "shim printed on stderr for a plain set: $(cat "$out/stderr")"
  echo "ok: through the shim: runtime limit $got bytes, max usage $(cat "$CG/memory.max_usage_in_bytes")"

  # 3. Stale GOMEMLIMIT above the cgroup limit: replaced, one line why, survives.
  new_cgroup || fail "cannot create cgroup"
  run_in "$CG" env -u GOGC GOMEMLIMIT=1GiB "$SHIM" -- "$out/gomemhog"
  [ "$rc" = 0 ] || fail "stale GOMEMLIMIT through the shim: exit $rc; stderr: $(head -c 500 "$out/stderr")"
  got=$(sed -n 's/^GOMEMLIMIT_BYTES=\([0-9]*\)$/\1/p' "$out/stdout" | tail -1)
  [ "$got" = "$EXPECTED" ] || fail "stale case: runtime limit $got, want $EXPECTED"
  [ "$(wc -l < "$out/stderr")" = 1 ] && grep -q "^gomemlimit-shim: GOMEMLIMIT=1GiB exceeds the memory limit $LIMIT bytes" "$out/stderr" \
    || fail "stale case: stderr should be one line why, got: $(cat "$out/stderr")"
  echo "ok: stale GOMEMLIMIT=1GiB replaced: $(cat "$out/stderr")"

  # 4. As the webhook delivers it: the copy made by --install, with --force over the
  #    admission-time value (valid and below the limit, but not the cgroup's).
  rm -rf "$out/vol" && mkdir -p "$out/vol"
  "$SHIM" --install "$out/vol" || fail "--install failed"
  new_cgroup || fail "cannot create cgroup"
  run_in "$CG" env -u GOGC GOMEMLIMIT=60MiB "$out/vol/gomemlimit-shim" --ratio "$RATIO" --force -- "$out/gomemhog"
  [ "$rc" = 0 ] || fail "installed copy with --force: exit $rc; stderr: $(head -c 500 "$out/stderr")"
  got=$(sed -n 's/^GOMEMLIMIT_BYTES=\([0-9]*\)$/\1/p' "$out/stdout" | tail -1)
  [ "$got" = "$EXPECTED" ] || fail "--force case: runtime limit $got, want $EXPECTED"
  echo "ok: installed copy, --force over GOMEMLIMIT=60MiB: runtime limit $got"
done
rmdir "$probe" 2>/dev/null || true
echo "PASS"
