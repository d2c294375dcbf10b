package io.ctrstream.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Why an input record could not be used; the {@code kind} of a {@link DeadLetter}, and a metric tag. */
public enum FailureKind {
  /** The bytes are not one JSON document. */
  NOT_JSON("not-json"),
  /** JSON, but a field has the wrong type, is unknown, or the document is not an object. */
  WRONG_TYPE("wrong-type"),
  /** Well-typed, but a field is missing or out of range. */
  INVALID_FIELDS("invalid-fields"),
  /** Larger than the configured maximum value size. */
  OVERSIZED("oversized"),
  /** The record key disagrees with the id inside the value. */
  KEY_MISMATCH("key-mismatch"),
  /** A null value where a tombstone means nothing. */
  MISSING_VALUE("missing-value"),
  /** The key is missing, not valid UTF-8, or longer than the configured maximum key size. */
  INVALID_KEY("invalid-key"),
  /** The event timestamp is before the earliest accepted time or too far in the future. */
  TIMESTAMP_OUT_OF_RANGE("timestamp-out-of-range"),
  /** An impression id that is already pending (scored, awaiting its rating), or a second click on one impression. */
  DUPLICATE("duplicate"),
  /** A click on an impression the scorer does not know, or whose attribution window has passed. */
  UNKNOWN_IMPRESSION("unknown-impression"),
  /** The model gave a non-finite score (NaN or infinite) or failed on this record. */
  MODEL_FAILURE("model-failure"),
  /** Processing the record threw an unexpected exception; the stream thread went on. */
  PROCESSING_ERROR("processing-error"),
  /** An output of the record could not be serialised or written; the stream thread went on. */
  PRODUCTION_ERROR("production-error");

  private final String wireName;

  FailureKind(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  public String wireName() {
    return wireName;
  }

  @JsonCreator
  public static FailureKind fromWire(String name) {
    for (FailureKind k : values()) {
      if (k.wireName.equals(name)) {
        return k;
      }
    }
    throw new IllegalArgumentException("unknown failure kind " + name);
  }
}
