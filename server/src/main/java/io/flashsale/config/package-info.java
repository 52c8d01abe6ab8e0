/**
 * Typed configuration: {@code conf/flashsale.properties} (packed defaults, then the file named by
 * FLASHSALE_CONFIG) with FLASHSALE_* environment overrides, checked on load. Only reads settings;
 * never opens a connection or starts anything.
 */
package io.flashsale.config;
