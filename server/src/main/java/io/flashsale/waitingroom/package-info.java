/**
 * The waiting room: joins batched per event loop, the pre-queue shuffle, admission at a fixed rate
 * cluster-wide, presence, admission tokens, live positions. A join meets only Redis; reservations
 * go through inventory's ReservationDesk, one batch per admission step, never written here.
 */
package io.flashsale.waitingroom;
