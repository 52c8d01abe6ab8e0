/**
 * Connections to Redis and PostgreSQL, the embedded development servers, schema migrations
 * and the Lua script loader. Knows nothing about sales; blocking work here runs before
 * Vert.x starts or inside executeBlocking.
 */
package io.flashsale.infra;
