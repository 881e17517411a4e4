# syntax=docker/dockerfile:1.7
# Flinkvisor: one image for every role. The entrypoint is the `flinkvisor` CLI, so the operator
# runs `operator run`, a supervisor `supervisor run` and a bootstrap Job `bootstrap run`.
#
# The CLI runs from its TypeScript sources: Node 24+ strips the types itself (the sources use
# erasable syntax only). The one build step is the lean bundles (dist/supervisor.mjs and
# dist/operator.mjs, what `supervisor run` and `operator run` run; docs/performance.md): the e2e
# suite's pods run the same bundles.
#
# Base images are pinned by tag: the machines this file was written on have no registry access to
# resolve digests. Pin `NODE_IMAGE` by digest (node:26.10.0-trixie-slim@sha256:...) in your mirror.
ARG NODE_IMAGE=node:26.10.0-trixie-slim

# 1. Production dependencies only, exactly as package-lock.json locks them.
FROM ${NODE_IMAGE} AS dependencies
WORKDIR /opt/flinkvisor
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# 2. The lean bundles, built with the locked esbuild (a devDependency) from the same sources.
FROM ${NODE_IMAGE} AS bundle
WORKDIR /opt/flinkvisor
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src/ ./src/
RUN node src/devenv/lean-bundles.ts

# 3. The Flink example jobs a bootstrap can run by jarPath: /opt/flinkvisor/examples/<line>/<job>.jar
#    (the checksums are those of the jars the local environment verified against Maven Central).
FROM scratch AS examples
ADD --checksum=sha256:99f1454e37176bab4fdf4d3c876742db6baf626f4996c32b4ac9ec38e3565493 \
    https://repo.maven.apache.org/maven2/org/apache/flink/flink-examples-streaming/1.20.0/flink-examples-streaming-1.20.0-TopSpeedWindowing.jar \
    /examples/1.20/TopSpeedWindowing.jar
ADD --checksum=sha256:54d9426ef54ee5be93e77bd83eafea5e6cfbc34644e5555085cb72a239ccb932 \
    https://repo.maven.apache.org/maven2/org/apache/flink/flink-examples-streaming/1.20.0/flink-examples-streaming-1.20.0-WordCount.jar \
    /examples/1.20/WordCount.jar
ADD --checksum=sha256:bd2beac8d438bcfad21a291f05c2882f983d55690e9468b759a5cc41cb59dbbe \
    https://repo.maven.apache.org/maven2/org/apache/flink/flink-examples-streaming/2.3.0/flink-examples-streaming-2.3.0-TopSpeedWindowing.jar \
    /examples/2.3/TopSpeedWindowing.jar
ADD --checksum=sha256:6cad045dfec9f83a288719a5448f81e101795ff12fc3b6f77e35e61a9c5bd4e3 \
    https://repo.maven.apache.org/maven2/org/apache/flink/flink-examples-streaming/2.3.0/flink-examples-streaming-2.3.0-WordCount.jar \
    /examples/2.3/WordCount.jar

# 4. The runtime: Node, the production node_modules, the sources, the lean bundles, the
#    examples; nothing else. (The supervisor's memory settings are in the environment the operator
#    gives its Deployment: src/operator/supervisor-memory.ts.)
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /opt/flinkvisor
COPY --from=dependencies /opt/flinkvisor/node_modules ./node_modules
COPY package.json ./
COPY bin/ ./bin/
COPY src/ ./src/
COPY --from=bundle /opt/flinkvisor/dist/ ./dist/
COPY --from=examples /examples/ ./examples/
# Non-root, numeric (runAsNonRoot can verify it): the UID the charts' securityContexts use. The
# files stay root-owned and read-only to it; the charts mount a writable /tmp.
USER 65532:65532
ENTRYPOINT ["node", "/opt/flinkvisor/bin/flinkvisor.js"]
