package io.ctrstream.trainer.movielens;

/**
 * One MovieLens rating event. Ratings are whole stars in ml-100k/ml-1m and half stars from ml-10m
 * on, hence a float.
 *
 * @param timestamp unix seconds
 */
public record Rating(int userId, int movieId, float rating, long timestamp) {}
