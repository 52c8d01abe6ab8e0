/**
 * The HTTP face: routes, bearer-token auth, input validation and the single mapping from
 * failures to problem+json. Holds no business rule; it parses, calls a service, and answers.
 */
package io.flashsale.http;
