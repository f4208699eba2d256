# Image for both collm-nas workers (control and eval); docker-compose.yml picks
# the worker with `command`. Build: docker build -t collm-nas:local .
FROM node:20-bookworm-slim

# onnxruntime-node's postinstall would download the CUDA libraries (which an
# offline build cannot); the env var skips them, as scripts/setup.sh does. node-llama-cpp ships
# prebuilt binaries; never let its postinstall fall back to building llama.cpp.
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    NODE_LLAMA_CPP_SKIP_DOWNLOAD=true \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app
RUN chown node:node /app
# Everything below runs, and the workers run, as the non-root `node` user.
USER node

# Dependencies first, so source edits don't invalidate the npm ci layer.
COPY --chown=node:node package.json package-lock.json .npmrc ./
RUN npm ci

COPY --chown=node:node . .
# Prebundles the workflow code into dist/workflow-bundle.js, which the control
# worker loads instead of bundling at every start.
RUN npm run build

# Default: the control worker (task queue nas-control). The eval worker is
# `npx tsx src/workers/eval.ts`.
CMD ["npx", "tsx", "src/workers/control.ts"]
