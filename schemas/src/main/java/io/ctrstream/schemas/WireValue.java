package io.ctrstream.schemas;

import java.util.List;

/**
 * A value carried on a topic. {@link #validate()} checks what the JSON Schema checks beyond
 * types: required fields, ranges, lengths, cross-field rules.
 */
public interface WireValue {

  /** The problems with this value in words ("rating must be in [0.5, 5], got 7.0"); empty when valid. */
  List<String> validate();
}
