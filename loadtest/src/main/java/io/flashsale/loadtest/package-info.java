/**
 * The loadtest, pow-bench, live-bench and join-burst commands: drive a running server over HTTP and
 * WebSocket and report throughput, latency, push gaps and the invariants. A client only (its tokens
 * are signed with the configured secret); never touches the stores.
 */
package io.flashsale.loadtest;
