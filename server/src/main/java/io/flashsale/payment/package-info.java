/**
 * Card payments behind {@link io.flashsale.payment.PaymentGateway}: authorise, capture, void, each
 * idempotent by key; an HTTP gateway (retries, circuit breaker) and a simulated one with its ledger
 * in PostgreSQL on its own pool. Knows amounts and references, never orders, stock or Redis.
 */
package io.flashsale.payment;
