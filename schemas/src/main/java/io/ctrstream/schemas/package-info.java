/**
 * The wire contract, first stop of every record in the flow: one JSON Schema per topic value
 * (under {@code schemas/} on the class path, with valid and invalid examples under {@code
 * examples/}), the Java records that mirror them, the Jackson serdes that read and write them,
 * and {@link io.ctrstream.schemas.Topics}, the one registry of topic names.
 *
 * <p>Every record has a {@code validate()} that lists its problems in words, so the streaming
 * layer can route a bad record to the dead-letter topic with a reason instead of failing. The
 * records and the JSON Schemas say the same thing; a test holds them to it.
 */
package io.ctrstream.schemas;
