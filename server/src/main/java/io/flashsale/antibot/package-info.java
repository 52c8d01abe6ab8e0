/**
 * Keeping bots out: per-sale rate limits (user, IP, device), proof of work, CAPTCHA, and the
 * account and device blacklists (PostgreSQL, mirrored into each open sale's Redis sets). Gives
 * verdicts only; never takes stock or places anyone in line: the join and purchase scripts apply
 * them.
 */
package io.flashsale.antibot;
