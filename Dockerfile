# syntax=docker/dockerfile:1
# fleet-exporter image: multi-stage (the TypeScript build never reaches the
# runtime image), Node 20, runs as the unprivileged `node` user. The demo
# fleet ships in the same image: `node dist/src/demo/main.js`.

FROM node:20.18.1-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
# The generator in scripts/ compiles against the rule and dashboard sources.
COPY rules/src ./rules/src
COPY grafana/src ./grafana/src
RUN npx tsc -p tsconfig.json && node dist/scripts/postbuild.js

FROM node:20.18.1-bookworm-slim AS runtime
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
ENTRYPOINT ["node", "--max-semi-space-size=64", "dist/src/main.js"]
CMD ["--config", "/etc/fleet-exporter/fleet.yml"]
