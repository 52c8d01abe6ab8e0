/**
 * What the engine tells every node over the event bus: one record per event, its address, and the
 * codec that carries it between nodes as JSON ({@link io.flashsale.events.SaleEvents}). Owns no
 * logic and no state; it never decides anything from an event, and never builds a message by hand.
 */
package io.flashsale.events;
