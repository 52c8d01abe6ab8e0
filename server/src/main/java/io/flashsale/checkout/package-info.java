/**
 * What happens to a hold and its card: pre-authorising the line (with a verticle of its own),
 * checkout, cancellation, the expiry and void sweeps. Captures only under the order's row lock;
 * never writes the stock counter: released units go back through inventory's ReservationDesk.
 */
package io.flashsale.checkout;
