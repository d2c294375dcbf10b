/**
 * Integration tests of the scorer against a real Kafka broker (Kafka's own KRaft server, started
 * in-process once per test run by {@link io.ctrstream.streams.it.SharedBroker}): impressions to
 * scores and ratings to feedback through the real topology on a real {@code KafkaStreams}, a
 * model release picked up while impressions flow, and exactly-once scoring across a crash. Each
 * test gets its own topic prefix, application id and state directory, and waits for conditions
 * (Awaitility), never for time.
 */
package io.ctrstream.streams.it;
