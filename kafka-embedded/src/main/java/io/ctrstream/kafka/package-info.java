/**
 * Kafka's own KRaft broker, started in-process: the "Kafka" box of the data flow for the demo,
 * for {@code ./ctr broker} and for integration tests. Nothing here knows the project's topics or
 * payloads; callers pass the topics to create.
 */
package io.ctrstream.kafka;
