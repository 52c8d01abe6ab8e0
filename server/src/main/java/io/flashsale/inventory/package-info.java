/**
 * The stock: the Redis gate (layer 1), the reservation transaction and its database guard (layer
 * 2), and {@link io.flashsale.inventory.ReservationVerticle}, the one writer of reservations per
 * process, reached through {@link io.flashsale.inventory.ReservationDesk}. Never talks HTTP or
 * checks a token.
 */
package io.flashsale.inventory;
