package io.ctrstream.streams.http;

import io.ctrstream.streams.state.UserState;

/** Where one user's state is, and what it is when it is here. */
@FunctionalInterface
public interface UserStateQuery {

  /** The outcome of one lookup. */
  sealed interface Result permits Found, Missing, Elsewhere, Unavailable {}

  /** This instance hosts the user, and holds this state. */
  record Found(UserState state) implements Result {}

  /** This instance hosts the user's partition but holds nothing for them (never seen: a cold user). */
  record Missing() implements Result {}

  /** Another instance hosts the user; {@code endpoint} is its advertised host:port. */
  record Elsewhere(String endpoint) implements Result {}

  /** No instance can answer now (starting, rebalancing, restoring); {@code reason} says why. */
  record Unavailable(String reason) implements Result {}

  Result lookup(String userId);
}
