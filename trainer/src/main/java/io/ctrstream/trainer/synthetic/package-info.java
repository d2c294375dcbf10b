/**
 * Synthetic MovieLens-format data with a planted sequential signal: the source of the bundled
 * sample under {@code data/sample} that the demo replays into the {@code users}, {@code movies}
 * and {@code ratings} topics. Users' genre interests drift over time, so a model that reads the
 * recent history (DIEN) can beat one that only knows who the user is on average; the generator
 * writes the true probability of each label so the best achievable AUC is known.
 */
package io.ctrstream.trainer.synthetic;
