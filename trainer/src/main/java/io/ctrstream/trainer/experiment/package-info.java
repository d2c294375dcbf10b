/**
 * Offline experiments on the reference CSV: the run that trains DIEN with early stopping, the
 * popularity baseline it is compared with, the presets (reference setup and the best one found
 * on MovieLens), progress display and the training-curve chart. Fed by {@code
 * io.ctrstream.trainer.movielens}; driven by {@code ./ctr experiment}.
 */
package io.ctrstream.trainer.experiment;
