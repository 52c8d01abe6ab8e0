/**
 * Plumbing: store clients with deadlines, embedded dev servers, migrations, the Lua loader, sale
 * key names ({@link io.flashsale.infra.SaleKeys}), the periodic verticle, clustering, tracing,
 * metrics. Knows key names, never what a sale is; blocking work runs before Vert.x or in
 * executeBlocking.
 */
package io.flashsale.infra;
