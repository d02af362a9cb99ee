#!/usr/bin/env bash
# build-image.sh: build the project's Dockerfile into a local image, and run it, with or
# without a Docker engine and without any container registry for the base image.
#
#   scripts/build-image.sh [-t TAG] [-f DOCKERFILE] [CONTEXT]     build (default: the repo)
#   scripts/build-image.sh --run [-t TAG] [--memory 256m] [--network none|host] [-- ARGS...]
#                                                                 run the image once
#   scripts/build-image.sh --env                                  print `export` lines that
#       point podman/docker at the same storage (eval them to run more engine commands)
#
# The engine:
#   docker   when `docker info` succeeds (a working Docker engine); `debian:12` is pulled the
#            usual way.
#   podman   otherwise (rootful: run as root). podman, buildah, runc and debootstrap are
#            apt-installed when missing. Storage and configuration are private to $WORK (nothing
#            under /etc/containers or /var/lib/containers is changed); the `debian:12` base of
#            the build stage is made locally with `debootstrap --variant=minbase bookworm` from
#            the apt mirror and cached as an OCI archive in $WORK/cache, so no registry is
#            needed. Explicit ulimits (the runtime cannot raise them without CAP_SYS_RESOURCE)
#            and runc (crun refuses hybrid cgroup v1/v2 hosts).
#
# Environment:
#   GMW_OCI_ENGINE=auto    auto|docker|podman
#   GMW_OCI_WORK=/tmp/oci-build   podman state: storage, configuration, base image cache
#   GMW_OCI_INSTALL=1      0 = never apt-get install the podman tools (fail instead)
#   DEBIAN_MIRROR=URL      debootstrap mirror (default: the host's apt source, else deb.debian.org)
# Build output carries "[timing] STEP SECONDS" lines; the exit code is the build's (or the
# container's, with --run).
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENGINE=${GMW_OCI_ENGINE:-auto}
WORK=${GMW_OCI_WORK:-/tmp/oci-build}
INSTALL=${GMW_OCI_INSTALL:-1}
BASE_SUITE=bookworm
BASE_TAGS=(localhost/debian:12 docker.io/library/debian:12 docker.io/library/debian:bookworm)

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
die() { echo "build-image: $*" >&2; exit 2; }

mode=build
tag=localhost/gomemlimit-webhook:dev
dockerfile=""
context=""
memory=""
network=none
run_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --run) mode="run"; shift ;;
    --env) mode="env"; shift ;;
    -t | --tag) [ $# -ge 2 ] || die "$1 needs a value"; tag=$2; shift 2 ;;
    -f | --file) [ $# -ge 2 ] || die "$1 needs a value"; dockerfile=$2; shift 2 ;;
    --memory) [ $# -ge 2 ] || die "$1 needs a value"; memory=$2; shift 2 ;;
    --network) [ $# -ge 2 ] || die "$1 needs a value"; network=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    --) shift; run_args=("$@"); break ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$context" ] || die "one build context only"; context=$1; shift ;;
  esac
done
context=${context:-$SRC_DIR}
dockerfile=${dockerfile:-$context/Dockerfile}

t_prev=$(date +%s.%N)
lap() {
  local now
  now=$(date +%s.%N)
  awk -v s="$1" -v a="$t_prev" -v b="$now" 'BEGIN { printf "[timing] %-24s %6.1fs\n", s, b - a }'
  t_prev=$now
}

pick_engine() {
  case "$ENGINE" in
    docker | podman) ;;
    auto)
      if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
        ENGINE=docker
      else
        ENGINE=podman
      fi ;;
    *) die "GMW_OCI_ENGINE must be auto, docker or podman (got '$ENGINE')" ;;
  esac
}

podman_install_tools() {
  local missing=() t
  for t in podman buildah runc debootstrap; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$INSTALL" = 1 ] || die "missing ${missing[*]} (GMW_OCI_INSTALL=0): apt-get install podman buildah runc debootstrap"
  echo "build-image: installing podman buildah runc debootstrap uidmap (apt)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman buildah runc debootstrap uidmap >/dev/null
}

# Private podman configuration under $WORK/conf; exported for every later podman call.
podman_configure() {
  mkdir -p "$WORK/conf" "$WORK/cache" "$WORK/tmp"
  local driver=vfs nofile nproc
  if grep -qw overlay /proc/filesystems && [ "$(stat -f -c %T "$WORK")" != overlayfs ]; then
    driver=overlay
  fi
  # Podman's default ulimits (nofile 1048576) fail with "setrlimit: Operation not permitted"
  # when the host's hard limit is lower; podman also caps its own RLIMIT_NPROC at 32768.
  nofile=$(ulimit -Hn)
  [ "$nofile" = unlimited ] && nofile=1048576
  nproc=$(ulimit -Hu)
  if [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; then nproc=32768; fi
  write_storage_conf "$driver"
  cat > "$WORK/conf/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$WORK/tmp/events.log"
tmp_dir = "$WORK/tmp"
EOF
  export CONTAINERS_STORAGE_CONF="$WORK/conf/storage.conf" CONTAINERS_CONF="$WORK/conf/containers.conf"
  if ! podman info --format '{{.Store.GraphDriverName}}' >/dev/null 2>&1; then
    [ "$driver" = vfs ] && die "podman does not work here (podman info failed)"
    echo "build-image: storage driver overlay unusable here, using vfs" >&2
    driver=vfs
    write_storage_conf vfs
  fi
  STORAGE_DRIVER=$driver
}

write_storage_conf() {
  cat > "$WORK/conf/storage.conf" <<EOF
[storage]
driver = "$1"
graphroot = "$WORK/storage/$1"
runroot = "$WORK/run/$1"
EOF
}

# The Debian 12 base: from the cached archive, else debootstrap it (and cache it).
podman_base_image() {
  local archive="$WORK/cache/debian-$BASE_SUITE.oci.tar" rootfs mirror t
  if ! podman image exists "${BASE_TAGS[0]}"; then
    if [ -s "$archive" ]; then
      podman load -q -i "$archive" >/dev/null
    else
      mirror=${DEBIAN_MIRROR:-}
      if [ -z "$mirror" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
        mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
      fi
      mirror=${mirror:-http://deb.debian.org/debian}
      rootfs="$WORK/rootfs-$BASE_SUITE"
      rm -rf "$rootfs"
      echo "build-image: debootstrap --variant=minbase $BASE_SUITE from $mirror (log: $WORK/debootstrap.log)"
      if ! debootstrap --variant=minbase "$BASE_SUITE" "$rootfs" "$mirror" > "$WORK/debootstrap.log" 2>&1; then
        tail -20 "$WORK/debootstrap.log" >&2
        die "debootstrap failed"
      fi
      # No caches, logs or host identity in the base.
      rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin \
        "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/apt/* "$rootfs"/var/log/*.log
      : > "$rootfs/etc/resolv.conf"
      : > "$rootfs/etc/hostname"
      tar --numeric-owner -C "$rootfs" -c . | podman import -q --change 'CMD ["bash"]' \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        - "${BASE_TAGS[0]}" >/dev/null
      rm -rf "$rootfs"
      podman save -q --format oci-archive -o "$archive.tmp" "${BASE_TAGS[0]}"
      mv "$archive.tmp" "$archive"
    fi
  fi
  for t in "${BASE_TAGS[@]:1}"; do podman tag "${BASE_TAGS[0]}" "$t"; done
}

# Unmount what a killed build left mounted under $WORK and remove build containers.
podman_cleanup() {
  set +e
  buildah rm --all >/dev/null 2>&1
  grep -F " $WORK/" /proc/mounts | awk '{ print $2 }' | sort -r | xargs -r -n1 umount 2>/dev/null
  true
}

need_root() {
  [ "$(id -u)" = 0 ] || die "podman mode needs root (rootful podman; rootless needs subuid/subgid set up)"
}

pick_engine

if [ "$mode" = env ]; then
  echo "export GMW_OCI_ENGINE=$ENGINE"
  if [ "$ENGINE" = podman ]; then
    printf 'export CONTAINERS_STORAGE_CONF=%q CONTAINERS_CONF=%q\n' \
      "$WORK/conf/storage.conf" "$WORK/conf/containers.conf"
  fi
  exit 0
fi

if [ "$ENGINE" = podman ]; then
  need_root
  if [ "$mode" = run ]; then
    [ -f "$WORK/conf/containers.conf" ] || die "no podman configuration in $WORK: build first"
    export CONTAINERS_STORAGE_CONF="$WORK/conf/storage.conf" CONTAINERS_CONF="$WORK/conf/containers.conf"
  fi
fi

if [ "$mode" = run ]; then
  opts=(--rm --pull=never "--network=$network")
  [ -n "$memory" ] && opts+=(--memory "$memory" --memory-swap "$memory")
  echo "build-image: $ENGINE run ${opts[*]} $tag ${run_args[*]:-}" >&2
  exec "$ENGINE" run "${opts[@]}" "$tag" "${run_args[@]}"
fi

[ -f "$dockerfile" ] || die "no Dockerfile at $dockerfile"
echo "build-image: engine $ENGINE, tag $tag, Dockerfile $dockerfile, context $context"
if [ "$ENGINE" = docker ]; then
  DOCKER_BUILDKIT=1 docker build --progress=plain -f "$dockerfile" -t "$tag" "$context"
  lap build
  exit 0
fi

mkdir -p "$WORK"
podman_install_tools
lap tools
podman_configure
trap podman_cleanup EXIT
echo "build-image: podman $(podman version --format '{{.Client.Version}}'), runc, storage $STORAGE_DRIVER in $WORK"
podman_base_image
lap "base image"
layers=true
[ "$STORAGE_DRIVER" = vfs ] && layers=false # vfs copies every layer in full
podman build --pull=never --isolation=oci --network=host --layers="$layers" \
  -f "$dockerfile" -t "$tag" "$context"
lap build
podman image inspect "$tag" --format 'image {{.Id}} size {{.Size}} user {{.Config.User}}'
