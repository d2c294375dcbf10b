/**
 * MovieLens in, reference CSV out: readers for every official MovieLens layout (ml-100k, the
 * {@code ::} files of ml-1m/ml-10m, the CSV of ml-latest/ml-25m), the split that turns raw
 * ratings into one example per user the way the reference notebook did, and the reader/writer
 * of that reference CSV. This is where offline experiments get their rows; nothing here touches
 * the model.
 */
package io.ctrstream.trainer.movielens;
