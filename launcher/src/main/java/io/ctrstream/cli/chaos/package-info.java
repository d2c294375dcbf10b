/**
 * {@code ./ctr chaos}: runs a scorer under hostile conditions and checks that nothing stops
 * scoring: hostile input ({@link io.ctrstream.cli.chaos.InputChaos}, over the corpus of {@link
 * io.ctrstream.cli.chaos.HostileCorpus}), bad model releases ({@link
 * io.ctrstream.cli.chaos.ModelChaos}) and a lost local state ({@link
 * io.ctrstream.cli.chaos.StateChaos}).
 */
package io.ctrstream.cli.chaos;
