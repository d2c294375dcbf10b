/**
 * Offline training of DIEN: the epoch loop with early stopping on validation AUC, and the
 * metrics it reports. Sits between the encoded rows ({@code features}) and the released model
 * ({@code bundle}); the experiment command and the retraining service both drive it and watch it
 * through a {@link io.ctrstream.dien.train.TrainingListener}.
 */
package io.ctrstream.dien.train;
