package io.ctrstream.streams.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstream.streams.model.SwappableModelProvider;
import io.ctrstream.streams.state.CompositeKey;
import io.ctrstream.streams.state.StoreNames;
import io.ctrstream.streams.state.UserState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code user.retention.ms} on the real topology (TopologyTestDriver): a user with no event for
 * the retention, in event time, is forgotten (state and rated movies deleted, tombstones in the
 * changelogs); a profile, a rating or an impression keeps a user; an impression writes the user's
 * state only when it moves the activity into a later step; a user who comes back starts cold;
 * retention 0 keeps everyone.
 */
class UserRetentionTopologyTest {
  /** Retention 1 s: activity steps of 10 ms. */
  private static final long RETENTION = 1_000;

  @TempDir Path stateDir;

  private Harness harness(long retentionMs) {
    return new Harness(Harness.config(stateDir, Map.of("user.retention.ms", Long.toString(retentionMs))),
        new SwappableModelProvider(0.3));
  }

  private static void profile(Harness h, String id, long ts) {
    h.users.pipeInput(id, "{\"userId\":\"" + id + "\",\"gender\":\"F\",\"age\":30"
        + ",\"occupation\":\"writer\",\"zipCode\":\"12345\"}", ts);
  }

  private static List<String> ratedKeysOf(Harness h, String userId) {
    try (KeyValueIterator<String, Long> it = h.ratedStore().prefixScan(
        CompositeKey.userPrefix(userId), Serdes.String().serializer())) {
      List<String> keys = new java.util.ArrayList<>();
      it.forEachRemaining(kv -> keys.add(kv.key));
      return keys;
    }
  }

  private static TestOutputTopic<String, String> changelog(Harness h, String store) {
    return h.driver.createOutputTopic(StoreNames.changelogTopic(h.config.applicationId(), store),
        Serdes.String().deserializer(), Serdes.String().deserializer());
  }

  @Test
  void aUserWithNoEventForTheRetentionIsForgottenWithTheirRatedMoviesAndChangelogRecords() {
    try (Harness h = harness(RETENTION)) {
      h.movie("1", "Drama");
      h.movie("2", "Comedy");
      profile(h, "u1", 50);
      h.rating("u1", "1", 5, 100);
      h.rating("u1", "2", 2, 105);
      h.rating("u2", "1", 4, 100);
      h.rating("u11", "1", 4, 100); // shares a key prefix with u1 as text, not as a composite key
      h.impression("i1", "u2", "2", 900); // keeps u2
      profile(h, "u11", 950); // keeps u11
      TestOutputTopic<String, String> userLog = changelog(h, StoreNames.USER_STATE);
      TestOutputTopic<String, String> ratedLog = changelog(h, StoreNames.RATED);
      userLog.readKeyValuesToList();
      ratedLog.readKeyValuesToList();

      // u1's last event was at 105; a later user's rating moves stream time past 105 + 1 s and
      // the end of its 10 ms step.
      h.rating("u3", "1", 4, 1_200);

      KeyValueStore<String, UserState> users = h.userStore();
      assertThat(users.get("u1")).as("forgotten").isNull();
      assertThat(ratedKeysOf(h, "u1")).isEmpty();
      assertThat(users.get("u2").lastEventAt()).isEqualTo(900L);
      assertThat(users.get("u11").lastEventAt()).isEqualTo(950L);
      assertThat(ratedKeysOf(h, "u11")).containsExactly(CompositeKey.of("u11", "1"));
      assertThat(users.get("u3")).isNotNull();
      assertThat(userLog.readKeyValuesToList()).as("tombstones reach the changelog")
          .contains(KeyValue.pair("u1", null));
      assertThat(ratedLog.readKeyValuesToList()).contains(
          KeyValue.pair(CompositeKey.of("u1", "1"), null), KeyValue.pair(CompositeKey.of("u1", "2"), null));
      assertThat(h.metrics.registry().find("ctr.users.forgotten").counter().count()).isEqualTo(1);

      h.rating("u3", "2", 4, 2_500);
      assertThat(users.get("u2")).isNull();
      assertThat(users.get("u11")).isNull();
      assertThat(users.get("u3")).isNotNull();
      assertThat(h.metrics.registry().find("ctr.users.forgotten").counter().count()).isEqualTo(3);
    }
  }

  @Test
  void aUserWhoComesBackStartsColdAndALateEventDoesNotMoveActivityBack() {
    try (Harness h = harness(RETENTION)) {
      h.movie("1", "Drama");
      h.movie("2", "Comedy");
      h.rating("u1", "1", 5, 100);
      h.rating("u9", "1", 4, 1_500); // u1 forgotten
      assertThat(h.userStore().get("u1")).isNull();

      h.rating("u1", "2", 4, 1_600);
      UserState back = h.userStore().get("u1");
      assertThat(back.ratings()).as("starts cold").isEqualTo(1);
      assertThat(back.historyIds()).containsExactly("2");
      assertThat(back.lastEventAt()).isEqualTo(1_600L);

      h.rating("u1", "1", 2, 1_550); // late
      assertThat(h.userStore().get("u1").lastEventAt()).isEqualTo(1_600L);
    }
  }

  @Test
  void anImpressionWritesTheUsersStateOnlyWhenItMovesActivityIntoALaterStep() {
    try (Harness h = harness(RETENTION)) {
      h.movie("1", "Drama");
      h.rating("u1", "1", 5, 100);
      TestOutputTopic<String, String> userLog = changelog(h, StoreNames.USER_STATE);
      userLog.readKeyValuesToList();

      h.impression("i1", "u1", "2", 101);
      h.impression("i2", "u1", "3", 109); // same 10 ms step as 100
      h.driver.advanceWallClockTime(Duration.ofMillis(200));
      assertThat(userLog.readKeyValuesToList()).as("no write within the step").isEmpty();
      assertThat(h.userStore().get("u1").lastEventAt()).isEqualTo(100L);

      h.impression("i3", "u1", "4", 110);
      assertThat(userLog.readKeyValuesToList()).hasSize(1);
      assertThat(h.userStore().get("u1").lastEventAt()).isEqualTo(110L);

      h.impression("i4", "u-never-seen", "4", 120);
      assertThat(h.userStore().get("u-never-seen")).as("nothing to keep, nothing written").isNull();
    }
  }

  @Test
  void retentionZeroKeepsEveryUser() {
    try (Harness h = harness(0)) {
      h.movie("1", "Drama");
      h.rating("u1", "1", 5, 100);
      h.rating("u2", "1", 5, 10_000_000_000L);
      assertThat(h.userStore().get("u1")).isNotNull();
      assertThat(h.userStore().get("u1").lastEventAt()).as("not kept when nothing expires").isNull();
      assertThat(ratedKeysOf(h, "u1")).hasSize(1);
    }
  }
}
