# One image for every ctr service (scorer, trainer, replayer): the launcher jar and its
# dependencies as built by Maven, plus the bundled synthetic sample. Build the jars first:
#
#   mvn -B -DskipTests package            # makes launcher/target/ctr.jar and launcher/target/lib/
#   docker build -f docker/ctr.Dockerfile -t ctr-stream:dev .
#
# The subcommand is the container command: `docker run ctr-stream:dev serve`.
FROM eclipse-temurin:17-jre

# curl: for the HTTP health checks in docker-compose.yml.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --system --create-home --home-dir /var/lib/ctr ctr
WORKDIR /opt/ctr

# Dependencies change less often than our code: their own layer.
COPY launcher/target/lib/ /opt/ctr/lib/
COPY launcher/target/ctr.jar /opt/ctr/ctr.jar
COPY data/sample/ /opt/ctr/data/sample/

# DJL extracts the PyTorch native library here when a container first scores (about 430 MB).
ENV DJL_CACHE_DIR=/var/lib/ctr/djl-cache \
    CTR_STATE_DIR=/var/lib/ctr/state \
    CTR_TORCH_THREADS=1 \
    JAVA_OPTS="-XX:MaxRAMPercentage=75"

USER ctr
# exec makes java PID 1, so the SIGTERM of `docker stop` reaches it and the services close
# their Kafka clients and stores cleanly.
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=$CTR_TORCH_THREADS -Dai.djl.pytorch.num_interop_threads=1 -jar /opt/ctr/ctr.jar \"$@\"", "ctr"]
CMD ["--help"]
