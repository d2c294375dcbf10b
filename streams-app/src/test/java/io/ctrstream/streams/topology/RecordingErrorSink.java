package io.ctrstream.streams.topology;

import io.ctrstream.schemas.DeadLetter;
import io.ctrstream.schemas.FailureKind;
import io.ctrstream.streams.errors.ErrorSink;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** An {@link ErrorSink} that keeps the dead letters it is given (bounded at 1 KiB, as written). */
final class RecordingErrorSink implements ErrorSink {
  final List<DeadLetter> letters = new CopyOnWriteArrayList<>();

  @Override
  public void deadLetter(String topic, int partition, long offset, FailureKind kind, String reason, byte[] key,
      byte[] value) {
    letters.add(DeadLetter.ofRaw(topic, partition, offset, kind, reason, key, value, 1024, 0));
  }
}
