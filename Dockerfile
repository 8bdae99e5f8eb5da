# syntax=docker/dockerfile:1
#
# The auditlake image: one static-enough binary on distroless, non-root, read-only root friendly.
#
#   docker build -t auditlake:dev .
#   docker run --rm --read-only -v auditlake-state:/var/lib/auditlake auditlake:dev --help
#
# The agent keeps its state (checkpoints, spool, dead letters) under /var/lib/auditlake, which must
# be a volume; nothing else in the file system is written, so `readOnlyRootFilesystem: true` works.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# The cache mounts keep the registry and target between builds on the same builder; the binary is
# copied out of the cached target so the next stage can read it.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p auditlake \
 && install -D -m 0755 target/release/auditlake /out/usr/local/bin/auditlake \
 && install -d -m 0750 -o 65532 -g 65532 /out/var/lib/auditlake

# glibc, libgcc and CA certificates (for HTTPS to S3), no shell, UID/GID 65532 ("nonroot").
FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="auditlake" \
      org.opencontainers.image.description="Application activity logs to a compliance-grade Parquet audit archive" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/usr/local/bin/auditlake /usr/local/bin/auditlake
COPY --from=build --chown=65532:65532 /out/var/lib/auditlake /var/lib/auditlake
USER 65532:65532
WORKDIR /var/lib/auditlake
VOLUME ["/var/lib/auditlake"]
EXPOSE 9464
ENTRYPOINT ["auditlake"]
CMD ["--help"]
