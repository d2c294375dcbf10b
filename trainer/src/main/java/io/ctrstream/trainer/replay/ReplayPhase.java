package io.ctrstream.trainer.replay;

/** The two phases of a replay, in the order they run. */
public enum ReplayPhase {
  /** {@code users} and {@code movies}: the state every event is scored against, sent first. */
  CATALOG,
  /** {@code impressions} and {@code ratings} in time order, one impression before each rating. */
  EVENTS
}
