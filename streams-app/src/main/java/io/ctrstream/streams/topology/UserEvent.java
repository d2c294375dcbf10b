package io.ctrstream.streams.topology;

import io.ctrstream.schemas.Click;
import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.Rating;
import io.ctrstream.schemas.UserProfile;

/**
 * A validated input about one user, from any of the co-partitioned input topics; what the
 * decoders hand to the {@link UserEventProcessor}.
 */
sealed interface UserEvent {

  /** From users: a new profile, or null when the profile was deleted (tombstone). */
  record ProfileChanged(String userId, UserProfile profile) implements UserEvent {}

  /** From ratings. */
  record Rated(Rating rating) implements UserEvent {}

  /** From impressions. */
  record Shown(Impression impression) implements UserEvent {}

  /** From clicks (read only when {@code feedback.clicks} is on). */
  record Clicked(Click click) implements UserEvent {}
}
