/**
 * The HTTP face: the server verticle, request gate, routes, bearer and OIDC auth, input checks,
 * pages, the WebSocket upgrade and the one mapping from failures to problem+json. Reads go straight
 * to repositories; every write and every decision on stock, admission or payment is a service's.
 */
package io.flashsale.http;
