package io.ctrstream.schemas;

import java.util.List;

/**
 * A user's demographic attributes as the model sees them; any of them may be unknown (null).
 * Part of the {@code feedback} value and of the scorer's per-user state.
 *
 * @param gender gender code (M/F in MovieLens), or null
 * @param age age in years (or the source's age bucket), 0..150, or null
 * @param occupation occupation name or code, or null
 * @param zipCode zip or postal code, or null
 */
public record Profile(String gender, Integer age, String occupation, String zipCode)
    implements WireValue {

  /** A profile with every attribute unknown: what an unseen user gets. */
  public static final Profile UNKNOWN = new Profile(null, null, null, null);

  @Override
  public List<String> validate() {
    return new Checks()
        .optionalText("gender", gender, 32)
        .optionalRange("age", age, 0, 150)
        .optionalText("occupation", occupation, 64)
        .optionalText("zipCode", zipCode, 32)
        .done();
  }
}
