/**
 * The periodic retraining service, the last box of the data flow: {@code feedback} (a bounded
 * window, read_committed) &rarr; dataset of the features exactly as served &rarr; time split &rarr;
 * train DIEN with the auxiliary loss &rarr; evaluate candidate and live model on the same
 * validation slice &rarr; gate &rarr; bundle &rarr; {@code model-releases} (one transactional
 * record, key = model name) &rarr; a report per run (metrics.json, training curves, online AUC of
 * the served models).
 *
 * <p>{@link io.ctrstream.trainer.service.RetrainService} runs it in-process (the demo) or for
 * {@code ./ctr train}; everything else here is one step of it and is tested on its own.
 */
package io.ctrstream.trainer.service;
