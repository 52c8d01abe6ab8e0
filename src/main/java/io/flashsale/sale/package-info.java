/**
 * The domain: sales, orders, their statuses, the domain errors, and the SQL that reads and
 * writes them. PostgreSQL is the source of truth; this package never talks to Redis or HTTP.
 */
package io.flashsale.sale;
