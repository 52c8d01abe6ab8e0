/**
 * Operator controls of a running sale: pause and resume admission, change its rate, end it
 * early, export its outcome as CSV. Every control is written with its audit row in one
 * transaction; the admission steps of every instance obey it from their next tick.
 */
package io.flashsale.operator;
