# gomemlimit-webhook image: the webhook server and the static gomemlimit-shim.
#
#   docker build -t REGISTRY/gomemlimit-webhook:0.1.0 .
#
# Stage 1 runs the same CMake build as CI (scripts/test.sh: RelWithDebInfo) and the unit
# tests; stage 2 holds only the runtime libraries the binary links (checked by
# tests/deploy/test-dockerfile.sh) and runs as the numeric non-root user 65532. Users bake the shim into their own images with:
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
 && ctest --test-dir build -L unit --output-on-failure \
 && strip --strip-unneeded build/gomemlimit-webhook

FROM debian:12
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libmicrohttpd12 libgnutls30 libssl3 libjansson4 libyaml-0-2 \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
COPY --from=build /src/build/gomemlimit-webhook /usr/local/bin/gomemlimit-webhook
COPY --from=build /src/build/gomemlimit-shim /gomemlimit-shim
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/gomemlimit-webhook"]
CMD ["serve", "--config", "/etc/gomemlimit-webhook/config.yaml"]
