/**
 * The domain: sales, orders, card authorisations, statuses, errors, the SQL that reads and writes
 * them, and the caches in front of it ({@link io.flashsale.sale.SaleCatalog}, {@link
 * io.flashsale.sale.OpenSales}). PostgreSQL is the source of truth; this package never talks to
 * Redis, HTTP or the event bus.
 */
package io.flashsale.sale;
