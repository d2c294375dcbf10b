package io.ctrstream.streams.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstream.schemas.Profile;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Proves the history rules: only positives enter, last N by timestamp, re-ratings replace, negatives stay aligned. */
class UserStateTest {

  @Test
  void onlyPositivesEnterAndOnlyTheLastNRemain() {
    UserState s = UserState.EMPTY;
    s = s.afterRating("a", 1, true, "na", 2);
    s = s.afterRating("b", 2, false, null, 2);
    s = s.afterRating("c", 3, true, "nc", 2);
    s = s.afterRating("d", 4, true, "nd", 2);
    assertThat(s.historyIds()).containsExactly("c", "d");
    assertThat(s.negativeIds()).containsExactly("nc", "nd");
  }

  @Test
  void countsEveryRatingAndEveryHighOne() {
    UserState s = UserState.EMPTY.afterRating("a", 1, true, "na", 2).afterRating("b", 2, false, null, 2)
        .afterRating("c", 3, true, "nc", 2).afterRating("d", 4, true, "nd", 2);
    assertThat(s.ratings()).isEqualTo(4);
    assertThat(s.positives()).isEqualTo(3);
    assertThat(s.withProfile(Profile.UNKNOWN).ratings()).isEqualTo(4);
    assertThat(new UserState(Profile.UNKNOWN, List.of(), 1, 0).holdsNothing()).as("a rating is worth keeping").isFalse();
  }

  @Test
  void stateWrittenBeforeCountsReadsAsNoRatingsCounted() {
    var serde = io.ctrstream.schemas.JsonSerde.of(UserState.class);
    UserState old = serde.deserialize("{\"profile\":null,\"history\":[{\"movieId\":\"a\",\"timestamp\":1,\"negative\":\"na\"}]}"
        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(old.ratings()).isZero();
    assertThat(old.historyIds()).containsExactly("a");
    UserState next = old.afterRating("b", 2, true, "nb", 5);
    assertThat(serde.deserialize(serde.serialize(next))).isEqualTo(next);
  }

  @Test
  void lateRatingGoesWhereItsTimestampPutsIt() {
    UserState s = UserState.EMPTY.afterRating("a", 10, true, "na", 5).afterRating("c", 30, true, "nc", 5);
    s = s.afterRating("b", 20, true, "nb", 5);
    assertThat(s.historyIds()).containsExactly("a", "b", "c");
    assertThat(s.negativeIds()).containsExactly("na", "nb", "nc");
    // Too old to be among the last 3.
    s = s.afterRating("z", 1, true, "nz", 3);
    assertThat(s.historyIds()).containsExactly("a", "b", "c");
  }

  @Test
  void reRatingReplacesTheOldEntry() {
    UserState s = UserState.EMPTY.afterRating("a", 1, true, "na", 5).afterRating("b", 2, true, "nb", 5);
    assertThat(s.afterRating("a", 3, true, "na2", 5).history())
        .containsExactly(new HistoryEntry("b", 2, "nb"), new HistoryEntry("a", 3, "na2"));
    assertThat(s.afterRating("a", 3, false, null, 5).historyIds()).containsExactly("b");
  }

  @Test
  void profileIsKeptAcrossRatings() {
    Profile p = new Profile("F", 30, "writer", "1");
    UserState s = UserState.EMPTY.withProfile(p).afterRating("a", 1, true, "n", 3);
    assertThat(s.profile()).isEqualTo(p);
    assertThat(UserState.EMPTY.holdsNothing()).isTrue();
    assertThat(s.holdsNothing()).isFalse();
    assertThat(new UserState(null, null).history()).isEqualTo(List.of());
  }

  @Test
  void compositeKeysCannotCollide() {
    assertThat(CompositeKey.of("1", "23")).isNotEqualTo(CompositeKey.of("12", "3"));
    assertThat(CompositeKey.of("u", ":m")).isNotEqualTo(CompositeKey.of("u:", "m"));
  }
}
