package io.ctrstream.trainer.service;

import io.ctrstream.schemas.Feedback;
import io.ctrstream.schemas.Profile;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Synthetic feedback with a learnable signal: movies m0..m9 are liked (rating 5) with probability
 * 0.9, m10..m19 with probability 0.1; histories hold liked movies, negatives the others. Every
 * third example is organic, the rest impression-joined with a served score from one of two served
 * versions: "prior" (a constant 0.5, no signal) for the older half and "v0-seed" (the signal plus
 * noise) for the newer half.
 */
final class FeedbackFixtures {

  /**
   * Start of the synthetic event times: a day ago, to the minute. Not a fixed date: the broker
   * deletes records whose timestamps are older than the feedback topic's retention (365 days).
   */
  static final long T0 = (System.currentTimeMillis() - 86_400_000L) / 60_000L * 60_000L;

  private FeedbackFixtures() {}

  static List<Feedback> learnable(int n, long seed) {
    Random r = new Random(seed);
    List<Feedback> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int movie = r.nextInt(20);
      boolean liked = r.nextDouble() < (movie < 10 ? 0.9 : 0.1);
      int len = i % 7 == 0 ? 0 : 1 + r.nextInt(6); // every 7th user is cold
      List<String> history = new ArrayList<>();
      List<String> negatives = new ArrayList<>();
      for (int t = 0; t < len; t++) {
        history.add("m" + r.nextInt(10));
        negatives.add("m" + (10 + r.nextInt(10)));
      }
      Profile profile =
          new Profile(
              r.nextBoolean() ? "M" : "F",
              20 + r.nextInt(40),
              "occ" + r.nextInt(3),
              "z" + r.nextInt(3));
      long ts = T0 + i * 60_000L;
      String user = "u" + r.nextInt(50);
      List<String> genres = List.of(movie < 10 ? "Drama" : "Comedy");
      if (i % 3 == 0) {
        out.add(
            new Feedback(
                user,
                "m" + movie,
                liked ? 1 : 0,
                liked ? 5.0 : 2.0,
                ts,
                profile,
                genres,
                history,
                negatives,
                null,
                null,
                null,
                Feedback.Source.ORGANIC));
      } else {
        boolean newer = i >= n / 2;
        double served =
            newer
                ? Math.min(1, Math.max(0, (movie < 10 ? 0.7 : 0.3) + 0.2 * (r.nextDouble() - 0.5)))
                : 0.5;
        out.add(
            new Feedback(
                user,
                "m" + movie,
                liked ? 1 : 0,
                liked ? 5.0 : 2.0,
                ts,
                profile,
                genres,
                history,
                negatives,
                served,
                newer ? "v0-seed" : "prior",
                "imp-" + i,
                Feedback.Source.IMPRESSION));
      }
    }
    return out;
  }

  /** One example with the given features; organic. */
  static Feedback organic(
      String user,
      String movie,
      int label,
      long ts,
      Profile profile,
      List<String> genres,
      List<String> history,
      List<String> negatives) {
    return new Feedback(
        user,
        movie,
        label,
        label == 1 ? 4.0 : 3.0,
        ts,
        profile,
        genres,
        history,
        negatives,
        null,
        null,
        null,
        Feedback.Source.ORGANIC);
  }

  /** One impression-joined example. */
  static Feedback served(
      String user, String movie, int label, long ts, double score, String version) {
    return new Feedback(
        user,
        movie,
        label,
        label == 1 ? 4.0 : 3.0,
        ts,
        Profile.UNKNOWN,
        List.of(),
        List.of(),
        List.of(),
        score,
        version,
        "imp-" + user + "-" + ts,
        Feedback.Source.IMPRESSION);
  }
}
