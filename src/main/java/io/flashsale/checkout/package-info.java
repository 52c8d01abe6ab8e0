/**
 * What happens to a hold: one-call checkout through the payment gateway, and cancellation
 * that puts the unit back. Serialises on the order's row lock; never touches Redis directly.
 */
package io.flashsale.checkout;
