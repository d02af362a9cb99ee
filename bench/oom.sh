#!/usr/bin/env bash
# oom.sh - what GOMEMLIMIT buys: the Go workload of the shim tests (tests/shim/gomemhog: live
# heap stepped up to 40 MiB while it churns 1.3 GiB of garbage) in a real cgroup v1 memory
# cgroup at 1.4x, 1.6x and 1.8x its live heap, run three ways:
#   nothing  GOGC only, no GOMEMLIMIT (what the Pod runs without this project)
#   webhook  GOMEMLIMIT=floor(limit x 0.9) MiB and GOGC, as the webhook's patch sets them
#   shim     through gomemlimit-shim (reads the cgroup limit at start, default ratio 0.9)
# and GOGC 50/100/200. Reports per run: OOM killed or not, peak usage / limit
# (memory.max_usage_in_bytes), GC cycles (GODEBUG=gctrace=1 lines), garbage churned per
# second of wall time (MiB/s; only for runs that finished).
#
#   bench/oom.sh BUILD_DIR          (needs BUILD_DIR/gomemlimit-shim, go, a writable v1
#                                    memory cgroup; exit 77 when there is none)
#   BENCH_SMOKE=1 bench/oom.sh B    one limit (1.6x), GOGC=100, the three ways (ctest)
# Each run is bounded (timeout 120 s); every cgroup made is removed. The cgroup handling is
# copied from tests/integration/test_shim_real_cgroup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shim=$build/gomemlimit-shim
live=40
limits=(1.4 1.6 1.8) gogcs=(50 100 200)
if [ "${BENCH_SMOKE:-0}" = 1 ]; then limits=(1.6) gogcs=(100); fi
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "oom.sh: $*" >&2; exit 1; }
[ -x "$shim" ] || fail "shim not built: $shim"
command -v go >/dev/null || fail "go not found"

own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3; exit}' /proc/self/cgroup)
[ -n "$own" ] || skip "no cgroup v1 memory controller"
read -r mroot mpoint < <(awk '/ - cgroup / && $NF ~ /(^|,)memory(,|$)/ {print $4, $5; exit}' /proc/self/mountinfo) || true
[ -n "${mpoint:-}" ] || skip "no cgroup v1 memory mount"
rel=$own
if [ "$mroot" != "/" ]; then
  case "$own" in "$mroot"*) rel=${own#"$mroot"} ;; *) rel="" ;; esac
fi
parent="$mpoint$rel"
[ -d "$parent" ] || skip "own memory cgroup $parent not visible"

work=$(mktemp -d /tmp/gmw-oom.XXXXXX)
created=()
cleanup() {
  for cg in "${created[@]}"; do
    [ -d "$cg" ] || continue
    while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done < "$cg/cgroup.procs" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$cg" 2>/dev/null && break; sleep 0.2; done
  done
  rm -rf "$work"
}
trap cleanup EXIT
n=0
new_cgroup() {  # LIMIT_BYTES -> sets CG
  n=$((n + 1))
  local cg="$parent/gmw-bench-$$-$n"
  mkdir "$cg" 2>/dev/null || return 1
  created+=("$cg")
  echo "$1" > "$cg/memory.limit_in_bytes" 2>/dev/null || return 1
  [ -f "$cg/memory.memsw.limit_in_bytes" ] && { echo "$1" > "$cg/memory.memsw.limit_in_bytes" 2>/dev/null || true; }
  [ "$(cat "$cg/memory.limit_in_bytes")" = "$1" ] || return 1
  CG=$cg
}
new_cgroup $((64 << 20)) || skip "cannot create a memory cgroup under $parent"

( cd tests/shim/gomemhog && GO111MODULE=off GOFLAGS= CGO_ENABLED=0 GOCACHE="$work/cache" \
    GOPATH="$work/gopath" go build -o "$work/gomemhog" main.go ) || fail "go build failed"

echo "workload: gomemhog, live heap ${live} MiB, 1320 MiB of garbage; $(nproc) CPUs: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo
echo "| limit | way | GOGC | GOMEMLIMIT | result | peak/limit | GC cycles | MiB/s |"
echo "|---|---|---|---|---|---|---|---|"
for f in "${limits[@]}"; do
  limit=$(awk -v f="$f" -v l="$live" 'BEGIN { printf "%d", f * l * 1048576 }')
  gml="$(( limit * 9 / 10 / 1048576 ))MiB"
  for g in "${gogcs[@]}"; do
    for way in nothing webhook shim; do
      new_cgroup "$limit" || fail "cannot create cgroup"
      case $way in
        nothing) cmd=(env -u GOMEMLIMIT GOGC="$g" GODEBUG=gctrace=1 "$work/gomemhog"); shown="-" ;;
        webhook) cmd=(env GOMEMLIMIT="$gml" GOGC="$g" GODEBUG=gctrace=1 "$work/gomemhog"); shown=$gml ;;
        shim) cmd=(env -u GOMEMLIMIT GOGC="$g" GODEBUG=gctrace=1 "$shim" -- "$work/gomemhog"); shown="(shim)" ;;
      esac
      start=$(date +%s.%N)
      set +e
      # (the subshell keeps bash's "Killed" notice of an OOM kill out of the table)
      (timeout 120 sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$CG" "${cmd[@]}" \
        >"$work/out" 2>"$work/err"; exit $?) 2>/dev/null
      rc=$?
      set -e
      end=$(date +%s.%N)
      if [ "$way" = shim ]; then
        b=$(sed -n 's/.*GOMEMLIMIT_BYTES=\([0-9]*\)$/\1/p' "$work/out" | head -1)
        [ -n "$b" ] && shown="$(( b / 1048576 ))MiB (shim)"
      fi
      case $rc in
        0) grep -q '^survived' "$work/out" || fail "exit 0 without 'survived' ($way)"; result=ok ;;
        137) result="OOM-killed" ;;
        124) result="timeout" ;;
        *) fail "$way GOGC=$g limit $f: exit $rc: $(head -c 300 "$work/err")" ;;
      esac
      gcs=$(grep -c '^gc [0-9]' "$work/err" || true)
      peak=$(cat "$CG/memory.max_usage_in_bytes")
      rate="-"
      [ "$result" = ok ] && rate=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", 1320 / (b - a) }')
      printf '| %sx (%d MiB) | %s | %s | %s | %s | %.2f | %s | %s |\n' "$f" $((limit >> 20)) "$way" "$g" \
        "$shown" "$result" "$(awk -v p="$peak" -v l="$limit" 'BEGIN { print p / l }')" "$gcs" "$rate"
      rmdir "$CG" 2>/dev/null || true
    done
  done
done
