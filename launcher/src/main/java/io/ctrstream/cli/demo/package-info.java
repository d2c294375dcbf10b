/**
 * {@code ./ctr demo}: the whole loop in one process. An embedded KRaft broker, the scorer
 * (Kafka Streams, exactly_once_v2, following {@code model-releases}), the replayer publishing a
 * MovieLens-format data set, the retraining service started at checkpoints of the stream, and a
 * read_committed watcher of {@code scores}, {@code feedback}, {@code dead-letters} and {@code
 * model-releases} that checks every count and measures the online AUC of each served model.
 *
 * <p>Flow: {@link io.ctrstream.cli.demo.Demo} wires the pieces; {@link
 * io.ctrstream.cli.demo.StreamWatcher} tallies the outputs; {@link
 * io.ctrstream.cli.demo.OnlineEvaluation} turns them into AUCs (served models, an online
 * popularity baseline, the generator's oracle); {@link io.ctrstream.cli.demo.DemoReport} writes
 * the charts and {@code report.html}.
 */
package io.ctrstream.cli.demo;
