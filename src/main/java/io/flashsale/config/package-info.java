/**
 * Typed configuration: {@code conf/flashsale.properties} with environment overrides.
 * Only reads settings; never opens a connection or starts anything.
 */
package io.flashsale.config;
