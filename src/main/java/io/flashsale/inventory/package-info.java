/**
 * The stock: the Redis gate (layer 1), the reservation transaction with the database guard
 * (layer 2), and the release of held units. Never talks HTTP; callers pass a user id they trust.
 */
package io.flashsale.inventory;
