# syntax=docker/dockerfile:1
# The agent-warden image: `warden` as the entrypoint, run as a non-root user.
#
#   docker build -t agent-warden:local .
#   docker run --rm -p 127.0.0.1:8181:8181 -v "$PWD/examples/policies:/policy:ro" agent-warden:local
#
# Stage 1 builds from this repository exactly as CI does (npm ci, npm run build); stage 2 keeps the
# built dist/, the runtime dependency and the optional peers a service needs (pg, ioredis,
# node-sql-parser), nothing else.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-slim AS build
WORKDIR /src
# Dependencies first, so a source change does not reinstall them. Scripts run after the sources
# are in place (`prepare` would build an empty tree here).
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM node:${NODE_VERSION}-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# The runtime dependency from the lock file. Then the optional peers a service uses, at the
# versions locked in the repo: pg for the PostgreSQL audit sink and store, ioredis for the Redis
# store, node-sql-parser so policies that bind the MySQL, MariaDB or SQLite dialects load
# (examples/policies/sql-agent.yaml does). They are devDependencies of the repo, which
# `--omit=dev` would drop, so they are installed on their own into /node_modules, where Node finds
# them from /app.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && mkdir /tmp/peers && cd /tmp/peers \
 && npm install --no-save --no-package-lock --ignore-scripts --no-audit --no-fund pg@8.23.1 ioredis@5.11.1 node-sql-parser@5.4.0 \
 && mv node_modules /node_modules && cd /app && rm -rf /tmp/peers \
 && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY examples ./examples
RUN chmod 0755 /app/dist/cli/main.js \
 && ln -s /app/dist/cli/main.js /usr/local/bin/warden \
 && groupadd --system --gid 10001 warden \
 && useradd --system --uid 10001 --gid warden --home-dir /home/warden --create-home --shell /usr/sbin/nologin warden \
 && mkdir -p /data \
 && chown warden:warden /data
# Embedded default (no database flags): SQLite state and file audit logs under /data.
WORKDIR /data
USER 10001:10001
EXPOSE 8181
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8181/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["warden"]
CMD ["serve", "--policy", "/policy", "--listen", "0.0.0.0:8181"]
