package io.ctrstream.streams.http;

import io.ctrstream.streams.state.StoreNames;
import io.ctrstream.streams.state.UserState;
import java.util.Objects;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsNotStartedException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * {@link UserStateQuery} over Kafka Streams interactive queries: {@link
 * KafkaStreams#queryMetadataForKey} says which instance hosts the user's partition of {@code
 * user-state} (instances announce themselves by {@code application.server}); when it is this one,
 * the active store is read, else the other instance is named.
 */
public final class StreamsUserStateQuery implements UserStateQuery {
  private final KafkaStreams streams;
  private final HostInfo self;

  /** @param selfEndpoint this instance's {@code application.server}, host:port */
  public StreamsUserStateQuery(KafkaStreams streams, String selfEndpoint) {
    this.streams = Objects.requireNonNull(streams, "streams");
    this.self = HostInfo.buildFromEndpoint(selfEndpoint);
  }

  @Override
  public Result lookup(String userId) {
    KeyQueryMetadata where;
    try {
      where = streams.queryMetadataForKey(StoreNames.USER_STATE, userId, Serdes.String().serializer());
    } catch (StreamsNotStartedException | IllegalStateException e) {
      return new Unavailable("the scorer is not running (" + streams.state() + ")");
    }
    if (where == null || KeyQueryMetadata.NOT_AVAILABLE.equals(where)) {
      return new Unavailable("no instance hosts this user's partition yet (" + streams.state() + ")");
    }
    HostInfo active = where.activeHost();
    if (!active.equals(self)) {
      return new Elsewhere(active.host() + ":" + active.port());
    }
    try {
      ReadOnlyKeyValueStore<String, UserState> store = streams.store(StoreQueryParameters
          .fromNameAndType(StoreNames.USER_STATE, QueryableStoreTypes.<String, UserState>keyValueStore())
          .withPartition(where.partition()));
      UserState state = store.get(userId);
      return state == null ? new Missing() : new Found(state);
    } catch (InvalidStateStoreException e) {
      return new Unavailable("the user's store is not queryable now: " + e.getMessage());
    }
  }
}
