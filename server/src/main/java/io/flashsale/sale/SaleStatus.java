package io.flashsale.sale;

public enum SaleStatus {
  SCHEDULED,
  ACTIVE,
  SOLD_OUT,
  ENDED
}
