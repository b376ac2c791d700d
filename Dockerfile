# Tenantry: the server, the admin agent and the first-party plugins in one slim image.
#   docker build -t tenantry .
# docker-compose.yml builds and runs it; docs/operations.md says how to operate it.

# Build stage: the whole workspace in release mode, with the lock file as committed.
FROM rust:1-bookworm AS build
# libpq: diesel's PostgreSQL backend links it (SQLite is bundled).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked \
        -p tenantry-server -p tenantry-agent \
        -p tenantry-plugin-branding -p tenantry-plugin-crm -p tenantry-plugin-reporting

# Runtime stage: the binaries, the plugins and the container configuration, run as a user
# without privileges. SQLite is bundled and TLS is rustls: the libraries needed beyond the C
# library are libpq's (tests/tests/deployment.rs checks this list against what the binaries
# link) and CA certificates for SMTP over TLS.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libpq5 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/tenantry tenantry \
    && mkdir -p /var/lib/tenantry/downloads /opt/tenantry/plugins /etc/tenantry \
    && chown -R tenantry:tenantry /var/lib/tenantry
COPY --from=build /src/target/release/tenantry-server /src/target/release/tenantry /usr/local/bin/
COPY --from=build /src/target/release/libtenantry_plugin_branding.so \
                  /src/target/release/libtenantry_plugin_crm.so \
                  /src/target/release/libtenantry_plugin_reporting.so /opt/tenantry/plugins/
COPY config/docker.toml /etc/tenantry/tenantry.toml
ENV TENANTRY_CONFIG=/etc/tenantry/tenantry.toml \
    TENANTRY_SERVER=http://127.0.0.1:8080
USER tenantry
WORKDIR /var/lib/tenantry
EXPOSE 8080
# Ready: the database answers and the plugins are loaded (the agent exits non-zero otherwise).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["tenantry", "server", "ready"]
# SIGTERM lets in-flight requests finish (server.shutdown_timeout_secs) before the exit.
STOPSIGNAL SIGTERM
ENTRYPOINT ["tenantry-server"]
CMD ["serve"]
