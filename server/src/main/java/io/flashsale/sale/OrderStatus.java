package io.flashsale.sale;

/** RESERVED is the only open state; the other three are final. */
public enum OrderStatus {
  RESERVED,
  PAID,
  CANCELLED,
  EXPIRED
}
