package io.ctrstream.schemas;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Collects the problems of one value; each method mirrors a rule of the JSON Schemas. */
final class Checks {
  static final int MAX_ID_LENGTH = 256;

  private final List<String> problems = new ArrayList<>();

  Checks id(String field, String value) {
    if (value == null) {
      problems.add(field + " is missing");
    } else if (value.isEmpty()) {
      problems.add(field + " must not be empty");
    } else if (value.length() > MAX_ID_LENGTH) {
      problems.add(field + " must be at most " + MAX_ID_LENGTH + " characters, got " + value.length());
    }
    return this;
  }

  Checks optionalId(String field, String value) {
    return value == null ? this : id(field, value);
  }

  Checks optionalText(String field, String value, int maxLength) {
    if (value != null && value.length() > maxLength) {
      problems.add(field + " must be at most " + maxLength + " characters, got " + value.length());
    }
    return this;
  }

  Checks present(String field, Object value) {
    if (value == null) {
      problems.add(field + " is missing");
    }
    return this;
  }

  Checks epochMillis(String field, Long value) {
    if (value == null) {
      problems.add(field + " is missing");
    } else if (value < 0) {
      problems.add(field + " must be epoch milliseconds >= 0, got " + value);
    }
    return this;
  }

  Checks range(String field, Number value, double min, double max) {
    if (value == null) {
      problems.add(field + " is missing");
    } else {
      optionalRange(field, value, min, max);
    }
    return this;
  }

  Checks optionalRange(String field, Number value, double min, double max) {
    if (value != null) {
      double v = value.doubleValue();
      if (!(v >= min && v <= max)) {
        problems.add(field + " must be in [" + fmt(min) + ", " + fmt(max) + "], got " + value);
      }
    }
    return this;
  }

  /** A list that must be present, at most {@code maxItems} long, with items passing {@code itemRule}. */
  Checks list(String field, Collection<String> values, int maxItems, ItemRule itemRule) {
    if (values == null) {
      problems.add(field + " is missing");
      return this;
    }
    if (values.size() > maxItems) {
      problems.add(field + " must have at most " + maxItems + " items, got " + values.size());
    }
    int i = 0;
    for (String v : values) {
      String problem = itemRule.check(v);
      if (problem != null) {
        problems.add(field + "[" + i + "] " + problem);
      }
      i++;
    }
    return this;
  }

  Checks rule(boolean ok, String problem) {
    if (!ok) {
      problems.add(problem);
    }
    return this;
  }

  Checks nested(String field, List<String> nestedProblems) {
    for (String p : nestedProblems) {
      problems.add(field + "." + p);
    }
    return this;
  }

  List<String> done() {
    return List.copyOf(problems);
  }

  /** One list item's problem, or null when fine. */
  @FunctionalInterface
  interface ItemRule {
    String check(String item);

    static ItemRule text(int minLength, int maxLength) {
      return item -> {
        if (item == null) {
          return "must not be null";
        }
        if (item.length() < minLength || item.length() > maxLength) {
          return "must be " + minLength + " to " + maxLength + " characters, got " + item.length();
        }
        return null;
      };
    }
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }
}
