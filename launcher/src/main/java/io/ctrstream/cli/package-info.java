/** The {@code ./ctr} command line: thin picocli commands that call into the modules. */
package io.ctrstream.cli;
