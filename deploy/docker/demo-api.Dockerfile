# syntax=docker/dockerfile:1
# The demo-api service (an example RFC 6750 resource server). GENERATED from deploy/docker/Dockerfile.template by
# `node tools/deploy/generate-dockerfiles.cjs`: edit the template, not this file (a unit test compares them).
#
#   docker build -f deploy/docker/demo-api.Dockerfile -t authz/demo-api:<version> .
#   docker run --read-only --tmpfs /tmp -p 8090:8090 authz/demo-api:<version>
#   migrations: docker run ... authz/demo-api:<version> dist/libs/adapters/src/postgres/migrate.cli.js
#
# Runtime: node's slim image pinned by exact tag, production dependencies only (npm ci --omit=dev), the
# compiled dist/, owned by root and read-only to the numeric non-root user 10001; nothing is written under
# /app, so the root filesystem can be read-only (/tmp: an emptyDir in Kubernetes). Exec-form ENTRYPOINT:
# node is PID 1 and receives SIGTERM itself (it drains: README "Health and graceful shutdown").

# 1. Build: every dependency, the TypeScript build (dist/: compiled apps and libs, SQL migrations, pages).
FROM node:24.21.0-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.base.json tsconfig.build.json ./
COPY tools ./tools
COPY libs ./libs
COPY apps ./apps
RUN npm run build

# 2. Production dependencies only, without install scripts.
FROM node:24.21.0-slim AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error && npm cache clean --force

# 3. Runtime.
FROM node:24.21.0-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist/apps ./dist/apps
COPY --from=build /src/dist/libs ./dist/libs
COPY --from=build /src/tools/aliases.cjs ./tools/aliases.cjs
COPY --from=build /src/package.json ./package.json
COPY deploy/seed ./deploy/seed
USER 10001:10001
EXPOSE 8090
ENTRYPOINT ["node", "-r", "./tools/aliases.cjs"]
CMD ["dist/apps/demo-api/src/main.js"]
