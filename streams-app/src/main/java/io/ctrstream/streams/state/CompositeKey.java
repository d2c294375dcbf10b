package io.ctrstream.streams.state;

/**
 * A store key made of a userId and a movieId. Ids are opaque and may contain any character, so
 * the user part is length-prefixed ("2:u7m13" is user "u7", movie "m13"), which keeps the
 * encoding unambiguous and keeps one user's keys contiguous.
 */
public final class CompositeKey {
  private CompositeKey() {}

  public static String of(String userId, String movieId) {
    return userId.length() + ":" + userId + movieId;
  }

  /** The prefix every key of this user starts with, and no key of another user does. */
  public static String userPrefix(String userId) {
    return userId.length() + ":" + userId;
  }
}
