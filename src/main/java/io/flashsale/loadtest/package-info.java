/**
 * The load-test command: replays a flash sale against a running server over HTTP and reports
 * throughput, latency percentiles and the invariants. A client only; never touches the stores.
 */
package io.flashsale.loadtest;
