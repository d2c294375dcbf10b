#!/usr/bin/env bash
# One-shot topic creation for docker-compose (service "topics"). Idempotent: existing topics are
# left as they are. The table below mirrors io.ctrstream.schemas.Topics (names, partitions, configs);
# DockerComposeConfigTest fails when the two disagree.
#
# Environment: CTR_BOOTSTRAP_SERVERS (kafka:9092), CTR_TOPIC_PREFIX (""), CTR_USER_PARTITIONS (4),
# CTR_REPLICATION_FACTOR (1).
set -euo pipefail

bootstrap="${CTR_BOOTSTRAP_SERVERS:-kafka:9092}"
prefix="${CTR_TOPIC_PREFIX:-}"
# users, impressions, ratings and clicks are co-partitioned by userId: one count for all user-keyed topics.
USER_PARTITIONS="${CTR_USER_PARTITIONS:-4}"
replication="${CTR_REPLICATION_FACTOR:-1}"
topics_cli="${KAFKA_TOPICS_CLI:-/opt/kafka/bin/kafka-topics.sh}"

create() {
  local name="$1" partitions="$2"
  shift 2
  local configs=()
  for c in "$@"; do configs+=(--config "$c"); done
  "$topics_cli" --bootstrap-server "$bootstrap" --create --if-not-exists \
    --topic "${prefix}${name}" --partitions "$partitions" --replication-factor "$replication" \
    "${configs[@]}"
}

# name           partitions         configs
create users          "$USER_PARTITIONS" cleanup.policy=compact
create movies         1                  cleanup.policy=compact
create impressions    "$USER_PARTITIONS" cleanup.policy=delete
create ratings        "$USER_PARTITIONS" cleanup.policy=delete
create clicks         "$USER_PARTITIONS" cleanup.policy=delete
create scores         "$USER_PARTITIONS" cleanup.policy=delete
create feedback       "$USER_PARTITIONS" cleanup.policy=delete retention.ms=31536000000
create movie-stats    "$USER_PARTITIONS" cleanup.policy=compact
create model-releases 1                  cleanup.policy=compact max.message.bytes=67108864
create model-release-history 1           cleanup.policy=compact max.message.bytes=67108864
create dead-letters   1                  cleanup.policy=delete

"$topics_cli" --bootstrap-server "$bootstrap" --describe --topic "${prefix}ratings"
echo "topics ready (prefix '${prefix}', user-keyed partitions ${USER_PARTITIONS})"
