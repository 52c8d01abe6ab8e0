/**
 * A sale's timeline: creation and warm-up (stock, blacklists, controls into Redis), countdown
 * notices (mail, webhook), SCHEDULED → ACTIVE → ENDED; steps with side effects are claimed in
 * PostgreSQL, so every instance ticks. Never touches orders or holds: checkout's sweeps release
 * them after the end.
 */
package io.flashsale.lifecycle;
