# gomemlimit-webhook image: the webhook server and the static gomemlimit-shim.
#
#   docker build -t REGISTRY/gomemlimit-webhook:0.1.0 .
#
# Stage 1 (debian:12) runs the same CMake build as CI (scripts/test.sh: RelWithDebInfo) and
# the unit tests, then assembles the final file system in /src/rootfs. Stage 2 is FROM
# scratch and holds only that: the stripped webhook, the static shim, exactly the shared
# libraries `ldd` lists for the webhook plus the dynamic loader (copied from stage 1, so the
# same Debian 12 builds the binary was linked against), /etc/passwd and /etc/group naming the
# user 65532, and the package metadata scanners read. No shell, no package manager.
# Checked by tests/deploy/test-dockerfile.sh and tests/deploy/test-image.sh; see
# docs/install.md. Users bake the shim into their own images with:
#   COPY --from=REGISTRY/gomemlimit-webhook:0.1.0 /gomemlimit-shim /gomemlimit-shim

FROM debian:12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libmicrohttpd-dev libgnutls28-dev libssl-dev libjansson-dev libyaml-dev libcmocka-dev \
      musl-tools python3-jsonpatch \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The whole source tree (less what .dockerignore drops): unit tests read docs/ and tests/ data.
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
 && cmake --build build -j "$(nproc)" \
 && ctest --test-dir build -L unit --output-on-failure
# The final file system, in /src/rootfs. Each library ldd resolves is copied (symlinks
# followed) to the path ldd prints, the loader to the binary's PT_INTERP path; a library ldd
# cannot find fails the build. For each Debian package those files come from: its dpkg status
# entry (var/lib/dpkg/status.d/PKG, the distroless layout) and its copyright file, plus
# etc/os-release, so that image scanners (Trivy, Grype) still see the packages and versions.
# tests/deploy/test-dockerfile.sh runs this same command against a local build.
RUN set -eu; rm -rf rootfs rootfs.ldd \
 && mkdir -p rootfs/usr/local/bin rootfs/etc rootfs/var/lib/dpkg/status.d \
 && strip --strip-unneeded -o rootfs/usr/local/bin/gomemlimit-webhook build/gomemlimit-webhook \
 && cp build/gomemlimit-shim rootfs/gomemlimit-shim \
 && ldd build/gomemlimit-webhook > rootfs.ldd \
 && if grep -q 'not found' rootfs.ldd; then cat rootfs.ldd; exit 1; fi \
 && for lib in $(awk '$2 == "=>" { print $3; next } $1 ~ /^\// { print $1 }' rootfs.ldd); do \
      cp -L --parents "$lib" rootfs/ || exit 1; \
      pkg=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null \
            || dpkg -S "/usr$lib") || exit 1; \
      pkg=${pkg%%:*}; \
      dpkg-query -s "$pkg" > "rootfs/var/lib/dpkg/status.d/$pkg" || exit 1; \
      cp --parents "/usr/share/doc/$pkg/copyright" rootfs/ || exit 1; \
    done \
 && cp -L /etc/os-release rootfs/etc/os-release \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin\n' > rootfs/etc/passwd \
 && printf 'root:x:0:\nnonroot:x:65532:\n' > rootfs/etc/group \
 && rm rootfs.ldd

FROM scratch
COPY --from=build /src/rootfs/ /
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/gomemlimit-webhook"]
CMD ["serve", "--config", "/etc/gomemlimit-webhook/config.yaml"]
