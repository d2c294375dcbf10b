package io.ctrstream.streams.release;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * A {@link MockConsumer} that keeps every record it was given and delivers them again after a
 * {@link #seek}, as a real consumer reads a partition again from an earlier offset (a plain
 * MockConsumer forgets records once polled).
 */
final class RewindableConsumer extends MockConsumer<String, byte[]> {
  private final List<ConsumerRecord<String, byte[]>> log = new ArrayList<>();

  RewindableConsumer() {
    super("earliest");
  }

  @Override
  public synchronized void addRecord(ConsumerRecord<String, byte[]> record) {
    log.add(record);
    super.addRecord(record);
  }

  @Override
  public synchronized void seek(TopicPartition partition, long offset) {
    super.seek(partition, offset);
    for (ConsumerRecord<String, byte[]> r : log) {
      if (r.topic().equals(partition.topic()) && r.partition() == partition.partition() && r.offset() >= offset) {
        super.addRecord(r);
      }
    }
  }
}
