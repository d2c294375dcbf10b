package io.ctrstream.trainer.movielens;

import java.util.List;
import java.util.Map;

/**
 * A MovieLens data set as read from disk.
 *
 * @param ratings every rating, in file order
 * @param users profiles by user id; empty when the layout has none
 * @param movies the catalog by movie id, in file order (the pool negatives are drawn from)
 */
public record MovieLensData(
    MovieLensFormat format,
    List<Rating> ratings,
    Map<Integer, MovieLensUser> users,
    Map<Integer, Movie> movies) {

  public MovieLensData {
    // no copy: ml-25m has 25 million ratings
    ratings = java.util.Collections.unmodifiableList(ratings);
    users = Map.copyOf(users);
    // keep the catalog's order: sampling from it must not depend on hash order
    movies = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(movies));
  }
}
