# sprintwave: one image for the API and the workers (`docker compose up`).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts || npm install --no-save --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
RUN npx tsc -p tsconfig.build.json && node dist/src/runtime/bundle.js && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends git ca-certificates tini \
  && rm -rf /var/lib/apt/lists/* \
  && git config --system user.name sprintwave \
  && git config --system user.email sprintwave@localhost \
  && git config --system --add safe.directory '*'
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
ENV NODE_ENV=production \
    SPRINTWAVE_HOME=/var/lib/sprintwave
VOLUME ["/var/lib/sprintwave", "/repos"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/sprintwave.js"]
CMD ["worker"]
