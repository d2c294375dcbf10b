/**
 * Start-up of the scorer: the one immutable configuration record (properties file, then
 * environment variables, over defaults) and the bounded RocksDB memory it implies.
 */
package io.ctrstream.streams.config;
