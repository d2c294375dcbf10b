package io.ctrstream.trainer.movielens;

import java.util.List;

/** A catalog entry: the title as published and its genres (possibly none). */
public record Movie(int movieId, String title, List<String> genres) {
  public Movie {
    genres = List.copyOf(genres);
  }
}
