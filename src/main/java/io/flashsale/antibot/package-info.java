/**
 * Keeping bots and abusers out before any stock or database work: the blacklist of flagged
 * accounts, kept in PostgreSQL and mirrored into each open sale's Redis set.
 */
package io.flashsale.antibot;
