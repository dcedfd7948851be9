# gateway, settings-service and models-service: one image, the argument picks the app.
#   docker build -f deploy/docker/control-plane.Dockerfile -t helix/control-plane:0.1.0 .
#   docker run helix/control-plane:0.1.0 settings-service
# The Helm chart (deploy/helm/helix) passes the app name as the container's args.
# scripts/check-deploy.mjs (run by test/deploy.e2e.ts) checks that every COPY source below exists
# after `npm run build` and that the runtime dependencies cover what dist/apps/* imports.

ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# ---- build: all dependencies, compile apps and libs to dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY .swcrc tsconfig.base.json tsconfig.json nx.json ./
COPY scripts/build.mjs scripts/build.mjs
COPY scripts/lib/bundle-apps.mjs scripts/lib/bundle-apps.mjs
COPY apps apps
COPY libs libs
RUN npm run build -- --clean

# ---- runtime dependencies only (no install scripts: none is needed at run time) ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- runtime ----
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
RUN groupadd --system --gid 10001 helix && useradd --system --uid 10001 --gid helix --home-dir /nonexistent --shell /usr/sbin/nologin helix
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY deploy/docker/helix-start.sh /usr/local/bin/helix-start
USER 10001:10001
EXPOSE 8080 8081 8082
ENTRYPOINT ["/usr/local/bin/helix-start"]
CMD ["gateway"]
