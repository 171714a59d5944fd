# syntax=docker/dockerfile:1
# Tessera: a multi-stage image (decision 0021). Build: docker build -t tessera .
# The same steps run on a machine without Docker: scripts/package-check.sh.

# ── build: dev dependencies, TypeScript, then only the production tree is kept ──
FROM node:20-bookworm-slim AS build
# better-sqlite3 and @node-rs/* ship prebuilt binaries; a compiler is there for when none fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
RUN npm ci --no-audit --no-fund \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ── run: the built app and its production dependencies, as an unprivileged user ──
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    TESSERA_HOST=0.0.0.0 \
    TESSERA_PORT=8080 \
    TESSERA_DATA_DIR=/var/lib/tessera \
    TESSERA_LOG_FORMAT=json
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/bin ./bin
# Read at run time by dist/passwords/policy.js (the common-password list).
COPY --from=build --chown=root:root /app/src/passwords/common-passwords.txt ./src/passwords/
# The code is root's and read-only to the server; only the data directory is the server's.
RUN groupadd --system --gid 10001 tessera \
 && useradd --system --uid 10001 --gid tessera --home-dir /var/lib/tessera --shell /usr/sbin/nologin tessera \
 && mkdir -p /var/lib/tessera \
 && chown tessera:tessera /var/lib/tessera \
 && ln -s /app/bin/tessera.js /usr/local/bin/tessera
USER tessera:tessera
VOLUME ["/var/lib/tessera"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.TESSERA_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
