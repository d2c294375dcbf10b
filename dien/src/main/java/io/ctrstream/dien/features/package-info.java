/**
 * Feature encoding, the first step inside the model layer: raw ids in {@link
 * io.ctrstream.dien.features.FeatureRow} (what the streaming layer stores and serves) become the
 * index arrays the network reads. Vocabularies and the age transform are fitted on training rows
 * as the reference DIEN does and travel inside each model bundle, so old state works with a new
 * model's vocabulary.
 */
package io.ctrstream.dien.features;
