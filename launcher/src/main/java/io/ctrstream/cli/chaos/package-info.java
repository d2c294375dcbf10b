/**
 * {@code ./ctr chaos}: runs a scorer against hostile input and checks that nothing stops scoring
 * ({@link io.ctrstream.cli.chaos.InputChaos}, over the corpus of {@link
 * io.ctrstream.cli.chaos.HostileCorpus}).
 */
package io.ctrstream.cli.chaos;
