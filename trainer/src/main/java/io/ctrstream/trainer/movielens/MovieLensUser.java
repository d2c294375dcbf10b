package io.ctrstream.trainer.movielens;

/**
 * A MovieLens user profile. Each field is {@code null} when the data set does not carry it
 * (ml-10m, ml-latest and ml-25m have no demographics at all).
 *
 * @param age years in ml-100k; the age-group code (1, 18, 25, ...) in ml-1m
 * @param occupation a name in ml-100k; a numeric code in ml-1m
 */
public record MovieLensUser(
    int userId, String gender, Double age, String occupation, String zipCode) {}
