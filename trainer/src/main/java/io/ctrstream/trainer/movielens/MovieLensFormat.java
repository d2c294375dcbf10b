package io.ctrstream.trainer.movielens;

import java.nio.file.Files;
import java.nio.file.Path;

/** The official MovieLens file layouts, told apart by the files present in a folder. */
public enum MovieLensFormat {
  /** ml-100k: {@code u.data} (tab), {@code u.user}, {@code u.item} (latin-1), {@code u.genre}. */
  ML_100K("u.data"),
  /**
   * ml-1m and ml-10m: {@code ratings.dat}, {@code movies.dat} and (ml-1m only) {@code users.dat},
   * fields separated by {@code ::}.
   */
  DAT("ratings.dat"),
  /** ml-latest, ml-latest-small, ml-20m, ml-25m: {@code ratings.csv} and {@code movies.csv}. */
  CSV("ratings.csv");

  private final String ratingsFile;

  MovieLensFormat(String ratingsFile) {
    this.ratingsFile = ratingsFile;
  }

  /** The file that holds the ratings in this layout. */
  public String ratingsFile() {
    return ratingsFile;
  }

  /**
   * The layout of a folder, from the ratings file it holds.
   *
   * @throws IllegalArgumentException when the folder holds none of the known ratings files
   */
  public static MovieLensFormat detect(Path dir) {
    for (MovieLensFormat format : values()) {
      if (Files.isRegularFile(dir.resolve(format.ratingsFile))) {
        return format;
      }
    }
    throw new IllegalArgumentException(
        "no MovieLens ratings in "
            + dir
            + ": expected u.data (ml-100k), ratings.dat (ml-1m, ml-10m) or ratings.csv"
            + " (ml-latest, ml-25m); point --ratings at the unpacked folder");
  }
}
