# Pustaka's container image.
#
# Stage 1 compiles on the build machine's own architecture and cross-compiles for the
# target one (no emulation for the slow part of a multi-arch build); dependencies are built
# in their own layer from Cargo.toml/Cargo.lock only, so a source change rebuilds only the
# crate. Stage 2 collects what the binary needs to run (glibc, libgcc_s, a non-root user)
# on a Debian base of the target architecture. The image itself is built FROM scratch:
# no shell, no package manager, only that.
ARG RUST_VERSION=1.95
ARG DEBIAN_SUITE=bookworm

FROM --platform=$BUILDPLATFORM rust:${RUST_VERSION}-${DEBIAN_SUITE} AS build
ARG TARGETARCH
ENV CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER=x86_64-linux-gnu-gcc \
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
    CC_x86_64_unknown_linux_gnu=x86_64-linux-gnu-gcc \
    CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc \
    CARGO_TERM_COLOR=never
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# A C cross compiler and the target's glibc when the target is not the build machine's.
# hadolint ignore=DL3008,SC2086
RUN case "$TARGETARCH" in \
        amd64) echo x86_64-unknown-linux-gnu > /triple; pkgs="gcc-x86-64-linux-gnu libc6-dev-amd64-cross" ;; \
        arm64) echo aarch64-unknown-linux-gnu > /triple; pkgs="gcc-aarch64-linux-gnu libc6-dev-arm64-cross" ;; \
        *) echo "unsupported architecture: $TARGETARCH" >&2; exit 1 ;; \
    esac \
 && if [ "$(dpkg --print-architecture)" != "$TARGETARCH" ]; then \
        apt-get update && apt-get install -y --no-install-recommends $pkgs && rm -rf /var/lib/apt/lists/*; \
    fi \
 && rustup target add "$(cat /triple)"
WORKDIR /src
# Dependencies only: placeholder crates (the server and the workspace's crates/*) with the real
# manifests and lock file (and build.rs, so its own dependencies are built here too).
COPY Cargo.toml Cargo.lock build.rs ./
COPY crates/domain/Cargo.toml crates/domain/
COPY crates/formats/Cargo.toml crates/formats/
COPY crates/store/Cargo.toml crates/store/
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
 && for c in crates/*/; do mkdir "$c/src" && touch "$c/src/lib.rs"; done \
 && cargo build --release --locked --target "$(cat /triple)" \
 && rm -rf src crates/*/src
COPY crates crates
COPY src src
COPY migrations migrations
# Embedded by the binary: the fonts of printed PDFs, and the notices (served at /licenses,
# printed by `pustaka licenses`).
COPY fonts fonts
COPY licenses/THIRD-PARTY-NOTICES.txt licenses/
# touch: COPY keeps the files' old times, older than the placeholder build
RUN touch src/main.rs src/lib.rs crates/*/src/lib.rs \
 && cargo build --release --locked --target "$(cat /triple)" \
 && cp "target/$(cat /triple)/release/pustaka" /pustaka

FROM debian:${DEBIAN_SUITE}-slim AS rootfs
# The CA certificates the image carries (see rootfs.sh); slim images do not have them.
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /pustaka /rootfs/usr/local/bin/pustaka
COPY web /rootfs/srv/pustaka/web
COPY deploy/image/rootfs.sh /rootfs.sh
RUN sh /rootfs.sh /rootfs

FROM scratch
COPY --from=rootfs /rootfs/ /
ENV PUSTAKA_LISTEN=0.0.0.0:8080 \
    PUSTAKA_WEB_DIR=/srv/pustaka/web \
    PUSTAKA_LOG_FORMAT=json
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
    CMD ["/usr/local/bin/pustaka", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/pustaka"]
CMD ["serve"]
LABEL org.opencontainers.image.title="Pustaka" \
      org.opencontainers.image.description="Library management: catalogue, members, loans, holds, fines" \
      org.opencontainers.image.licenses="MIT"
