# The GPU runner: vLLM's own image plus Node.js 24 and the built runner (it starts `vllm serve`).
#   docker build -f deploy/docker/runner.Dockerfile -t helix/runner:0.1.0 .
# The vLLM tag is pinned; move it deliberately (the runner passes vLLM's CLI flags, libs/vllm-supervisor/README.md).
# scripts/check-deploy.mjs (run by test/deploy.e2e.ts) checks the COPY sources and runtime deps.

ARG NODE_IMAGE=node:24.21.0-bookworm-slim
ARG VLLM_IMAGE=vllm/vllm-openai:v0.11.0

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

# ---- runtime dependencies only ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- runtime: vLLM + Node ----
FROM ${VLLM_IMAGE}
# Node.js 24 from the official image (a single static-enough binary; glibc >= 2.28 is all it needs).
COPY --from=build /usr/local/bin/node /usr/local/bin/node
# tini reaps the processes vLLM leaves behind (Node as PID 1 would not); setpriv (util-linux) lets
# the runner tie each vLLM process's life to its own.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini util-linux \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 helix \
 && useradd --system --uid 10001 --gid helix --home-dir /tmp --shell /usr/sbin/nologin helix
# Small young generation: the runner is mostly idle (RUNNER_NODE_OPTIONS in libs/local-infra/src/app-env.ts).
ENV NODE_ENV=production HOME=/tmp NODE_OPTIONS=--max-semi-space-size=1
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY deploy/docker/helix-start.sh /usr/local/bin/helix-start
USER 10001:10001
EXPOSE 8090
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/helix-start"]
CMD ["runner"]
