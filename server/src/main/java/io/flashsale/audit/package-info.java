/**
 * Checking the books and mending Redis: the sale report and live figures (both stores side by
 * side), reconciliation (settles stale in-flight takes, repairs drifted stock) and the rebuild of a
 * sale Redis lost. Writes Redis and the event bus; never PostgreSQL, the truth it repairs from.
 */
package io.flashsale.audit;
