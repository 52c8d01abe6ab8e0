/**
 * Checking the books: a sale's figures read from PostgreSQL and Redis side by side, and the
 * invariants of SPEC section 10 judged on them. Reads only; repairs come with reconciliation.
 */
package io.flashsale.audit;
