# syntax=docker/dockerfile:1
#
# Flash Sale Engine image. Build from the repository root:
#   docker build -t flash-sale:0.1.0 .
# Stage 1 builds the server module's shaded jar with Maven; stage 2 is a JRE with only the jar and
# conf/. The load test (loadtest/) is a client of the server and stays out of the image.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# The poms alone first, so the dependency download is a layer of its own and survives source edits;
# the cache mount keeps ~/.m2 between builds on the same builder. The reactor reads every module's
# pom, but only the server (-pl server) is resolved and built.
COPY pom.xml .
COPY server/pom.xml server/
COPY loadtest/pom.xml loadtest/
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -pl server dependency:go-offline
COPY conf/ conf/
COPY server/src/ server/src/
# The tests need PostgreSQL and Redis; they run in CI (mvn -B verify), not inside the image build.
RUN --mount=type=cache,target=/root/.m2 mvn -B -q package -DskipTests -pl server

FROM eclipse-temurin:17-jre
# The Temurin Ubuntu images ship curl (adoptium/containers keeps it "for historical reasons", issue
# 255); the HEALTHCHECK below uses it, so a base image that dropped it fails the build here rather
# than every container turning unhealthy later.
RUN command -v curl >/dev/null \
 && groupadd --system --gid 10001 flashsale \
 && useradd --system --uid 10001 --gid flashsale --home-dir /app --no-create-home --shell /usr/sbin/nologin flashsale
WORKDIR /app
COPY --from=build /src/server/target/flash-sale.jar /app/flash-sale.jar
# AppConfig reads ./conf/flashsale.properties (relative to /app) unless FLASHSALE_CONFIG names
# another file; k8s/ mounts a ConfigMap and points FLASHSALE_CONFIG at it.
COPY conf/ /app/conf/

# Container-aware heap: 75% of the container's memory limit, the rest for Netty's direct buffers,
# metaspace and thread stacks. A JVM out of memory exits so the orchestrator restarts it, instead of
# limping on with half its threads dead. G1 keeps pauses short at small heaps, where the JVM would
# otherwise pick SerialGC on 1-2 CPUs. The --add-* flags are the ones Hazelcast asks for on Java 17
# (clustered mode); they open nothing else.
ENV JAVA_OPTS="-XX:MaxRAMPercentage=75 -XX:InitialRAMPercentage=25 -XX:+ExitOnOutOfMemoryError \
-XX:+UseG1GC -XX:MaxGCPauseMillis=50 \
--add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED \
--add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
--add-opens java.management/sun.management=ALL-UNNAMED \
--add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED"
# A fixed clustered event-bus port (the default 0 picks any) so that it can be exposed and allowed
# through network policies; it only matters when clustered mode is on (FLASHSALE_CLUSTER=true).
ENV FLASHSALE_CLUSTER_EVENTBUS_PORT=5702

# 8080 HTTP (API, WebSocket, /health, /metrics), 5701 Hazelcast members, 5702 clustered event bus.
EXPOSE 8080 5701 5702

USER 10001:10001

HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS -o /dev/null "http://127.0.0.1:${FLASHSALE_HTTP_PORT:-8080}/health/live" || exit 1

# exec: java is PID 1 and gets SIGTERM itself; its shutdown hook drains the HTTP servers.
# Arguments after the image name pass through (e.g. "--help").
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS -jar /app/flash-sale.jar \"$@\"", "flash-sale"]
