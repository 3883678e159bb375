# syntax=docker/dockerfile:1
# Build: docker build -t omics-match .
# Run:   docker run -p 8080:8080 -v omics-data:/data omics-match serve --demo
FROM rust:1-slim-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock rustfmt.toml clippy.toml ./
COPY crates crates
# `benches` is a workspace member: without it cargo cannot load the workspace.
COPY benches benches
COPY fixtures fixtures
COPY api-spec api-spec
RUN cargo build --release --locked -p omics-match && cp target/release/omics-match /omics-match

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates curl && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin omics \
    && mkdir -p /data && chown omics /data
COPY --from=build /omics-match /usr/local/bin/omics-match
USER omics
ENV OMICS_HOST=0.0.0.0 OMICS_PORT=8080 OMICS_DATA_DIR=/data RUST_LOG=info
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s CMD curl -fsS http://127.0.0.1:8080/api/v1/health/ready || exit 1
ENTRYPOINT ["omics-match"]
CMD ["serve"]
