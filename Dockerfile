# syntax=docker/dockerfile:1
# fleet-exporter image: multi-stage (the TypeScript build never reaches the
# runtime image), Node 24 LTS, runs as the unprivileged `node` user. The demo
# fleet ships in the same image: `node dist/src/demo/main.js`.
#   docker build --build-arg REVISION=$(git rev-parse HEAD) -t fleet-exporter .
# test/dockerfile.test.ts replays the build stage without Docker.

FROM node:24.21.0-bookworm-slim AS build
# The git commit, for fleet_exporter_build_info{revision} (the context has no .git).
ARG REVISION=unknown
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
# The generator in scripts/ compiles against the rule and dashboard sources.
COPY rules/src ./rules/src
COPY grafana/src ./grafana/src
RUN npx tsc -p tsconfig.json && REVISION=$REVISION node dist/scripts/postbuild.js

FROM node:24.21.0-bookworm-slim AS runtime
ARG REVISION=unknown
# Kept equal to package.json's version (test/dockerfile.test.ts checks it).
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="fleet-exporter" \
      org.opencontainers.image.description="Stateless Prometheus exporter for worker fleets: Redis Streams, heartbeats, Postgres, Daytona, EC2" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.base.name="docker.io/library/node:24.21.0-bookworm-slim"
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
# The demo creates the presets' tables from these files.
COPY sql ./sql
USER node
EXPOSE 9849
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9849/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "--heap-growing-percent=100", "dist/src/main.js"]
CMD ["--config", "/etc/fleet-exporter/fleet.yml"]
