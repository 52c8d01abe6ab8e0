/**
 * The waiting room: joining the line, the pre-queue shuffle, admission at a fixed rate
 * cluster-wide, positions and outcomes pushed live. The herd meets only Redis here; the
 * database sees one batched transaction per admission step.
 */
package io.flashsale.waitingroom;
