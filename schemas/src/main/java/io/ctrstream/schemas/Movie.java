package io.ctrstream.schemas;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Value of the compacted {@code movies} topic, key movieId (schema {@code
 * schemas/movies.schema.json}). The catalog that features read genres from and negatives are
 * drawn from.
 */
public record Movie(String movieId, String title, List<String> genres) implements WireValue {

  public Movie {
    // Not List.copyOf: a null item must survive so that validate() can report it.
    genres = genres == null ? null : Collections.unmodifiableList(new ArrayList<>(genres));
  }

  @Override
  public List<String> validate() {
    return new Checks()
        .id("movieId", movieId)
        .present("title", title)
        .optionalText("title", title, 1024)
        .list("genres", genres, 64, Checks.ItemRule.text(1, 64))
        .done();
  }
}
