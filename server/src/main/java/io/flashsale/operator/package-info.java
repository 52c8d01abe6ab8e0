/**
 * Operator controls of a running sale (pause, resume, rate, early end) and its CSV export. A
 * control commits with its audit row, then is mirrored into Redis for every instance's next
 * admission step and announced on the event bus. Never touches stock or orders: the sweeps release
 * the holds.
 */
package io.flashsale.operator;
