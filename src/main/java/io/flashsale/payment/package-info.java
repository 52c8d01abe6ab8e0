/**
 * Card payments behind {@link io.flashsale.payment.PaymentGateway}: authorise, capture, void,
 * each idempotent by key. Knows amounts and references, never orders or stock.
 */
package io.flashsale.payment;
