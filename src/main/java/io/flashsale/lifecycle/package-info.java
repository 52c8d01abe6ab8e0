/**
 * A sale's timeline: creation with its stock loaded into Redis, SCHEDULED → ACTIVE at start,
 * → ENDED at end. Every step is an idempotent statement, so every instance may run the ticker.
 */
package io.flashsale.lifecycle;
