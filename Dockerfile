# One image for the Orderhub API and the Temporal worker; docker-compose.yml picks the command
# (tsx api/server.ts or tsx worker/main.ts). The app runs TypeScript through tsx: no build step, but for
# the operator console, built with Vite in a stage of its own (its tools are dev dependencies).
#
# Debian, not Alpine: the Temporal SDK's native core bridge is built against glibc.
FROM node:20.19.5-bookworm-slim AS console
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY api/console api/console
RUN npm run console:build

FROM node:20.19.5-bookworm-slim

ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    PATH=/app/node_modules/.bin:$PATH

WORKDIR /app

# Dependencies before sources, so a source change reuses this layer.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# Sources stay owned by root: the app user can read them but not change them.
COPY . .
COPY --from=console /app/api/console/dist api/console/dist

USER node

EXPOSE 3000
CMD ["tsx", "api/server.ts"]
