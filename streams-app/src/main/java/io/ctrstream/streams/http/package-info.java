/**
 * The scorer's HTTP face, beside the flow: {@code /health} for orchestrators, {@code /metrics}
 * for Prometheus, {@code /model} for the manifest of the model served, and {@code /users/{id}}
 * for a user's state through Kafka Streams interactive queries (answered here when this instance
 * hosts the key, else redirected to the instance that does).
 */
package io.ctrstream.streams.http;
