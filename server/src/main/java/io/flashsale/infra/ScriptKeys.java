package io.flashsale.infra;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The keys of one call of a batch script: the fixed ones its header names, then the keys the batch
 * brings (rate limits, spent challenges), each named once and referred to by its 1-based index in
 * ARGV however many buyers share it.
 */
public final class ScriptKeys {

  private final List<String> keys;
  private final Map<String, Integer> index = new HashMap<>();

  public ScriptKeys(List<String> fixed) {
    this.keys = new ArrayList<>(fixed);
  }

  /** The 1-based index of {@code key} among the script's keys, adding it the first time. */
  public int indexOf(String key) {
    return index.computeIfAbsent(
        key,
        k -> {
          keys.add(k);
          return keys.size();
        });
  }

  public List<String> list() {
    return keys;
  }
}
