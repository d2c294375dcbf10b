package io.ctrstream.schemas;

import java.util.List;

/**
 * Value of the compacted {@code users} topic, key userId (schema {@code schemas/users.schema.json}).
 * Every attribute but the id may be missing: an unknown attribute is not an error.
 */
public record UserProfile(
    String userId, String gender, Integer age, String occupation, String zipCode)
    implements WireValue {

  /** The attributes without the id, as carried in features. */
  public Profile profile() {
    return new Profile(gender, age, occupation, zipCode);
  }

  @Override
  public List<String> validate() {
    return new Checks().id("userId", userId).nested("profile", profile().validate()).done();
  }
}
