package io.flashsale.loadtest;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads the HTTP/1.1 responses to pipelined requests off one connection, however the reads split
 * them: each complete response, in order, to the listener with its status and body. Bodies are
 * delimited by Content-Length or chunked encoding; a response delimited by the connection's close
 * is refused (the engine never sends one).
 */
final class PipelinedResponses {

  /** One complete response; the body is {@code bytes[offset, offset + length)}, valid only now. */
  interface Listener {
    void response(int status, byte[] bytes, int offset, int length);
  }

  private static final byte CR = '\r';
  private static final byte LF = '\n';

  private final Listener listener;
  private byte[] buffer = new byte[8 * 1024];
  private int start;
  private int end;

  PipelinedResponses(Listener listener) {
    this.listener = listener;
  }

  /** Bytes as they came off the socket. Throws IllegalStateException on what is not HTTP/1.x. */
  void feed(Buffer data) {
    int length = data.length();
    room(length);
    data.getBytes(0, length, buffer, end);
    end += length;
    while (next()) {
      // one response handed on per turn
    }
    if (start == end) {
      start = 0;
      end = 0;
    }
  }

  private void room(int more) {
    if (end + more <= buffer.length) {
      return;
    }
    int live = end - start;
    byte[] target =
        live + more <= buffer.length ? buffer : new byte[Math.max(buffer.length * 2, live + more)];
    System.arraycopy(buffer, start, target, 0, live);
    buffer = target;
    start = 0;
    end = live;
  }

  /** Hands on the next complete response, if the bytes hold one. */
  private boolean next() {
    int headEnd = find(start, end, true);
    if (headEnd < 0) {
      return false;
    }
    if (headEnd - start < 14 || !ascii(start, "HTTP/1.")) {
      throw new IllegalStateException(
          "not an HTTP/1.x response: " + text(start, Math.min(end, start + 40)));
    }
    int status = 0;
    for (int i = start + 9; i < start + 12; i++) {
      byte b = buffer[i];
      if (b < '0' || b > '9') {
        throw new IllegalStateException(
            "no status code: " + text(start, Math.min(end, start + 40)));
      }
      status = status * 10 + (b - '0');
    }
    long contentLength = -1;
    boolean chunked = false;
    int line = find(start, headEnd, false);
    while (line < headEnd - 2) {
      int eol = find(line, headEnd, false) - 2;
      if (headerIs(line, eol, "content-length:")) {
        contentLength = Long.parseLong(text(line + 15, eol).trim());
      } else if (headerIs(line, eol, "transfer-encoding:")) {
        chunked = text(line + 18, eol).toLowerCase(java.util.Locale.ROOT).contains("chunked");
      }
      line = eol + 2;
    }
    if (status >= 100 && status < 200) {
      // An interim answer (100 Continue): the final one follows.
      start = headEnd;
      return true;
    }
    if (chunked) {
      return chunkedBody(status, headEnd);
    }
    if (status == 204 || status == 304) {
      contentLength = 0;
    }
    if (contentLength < 0) {
      throw new IllegalStateException("a response without Content-Length or chunked encoding");
    }
    if (end - headEnd < contentLength) {
      return false;
    }
    int bodyEnd = headEnd + (int) contentLength;
    start = bodyEnd;
    listener.response(status, buffer, headEnd, (int) contentLength);
    return true;
  }

  /** A chunked body, handed on once every chunk and the trailer are in. */
  private boolean chunkedBody(int status, int from) {
    byte[] body = new byte[0];
    int length = 0;
    int at = from;
    while (true) {
      int sizeEnd = find(at, end, false);
      if (sizeEnd < 0) {
        return false;
      }
      String sizeLine = text(at, sizeEnd - 2);
      int semicolon = sizeLine.indexOf(';');
      int size =
          Integer.parseInt(
              (semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
      if (size == 0) {
        // The trailer: header lines, then an empty line.
        int trailerEnd;
        if (sizeEnd + 2 <= end && buffer[sizeEnd] == CR && buffer[sizeEnd + 1] == LF) {
          trailerEnd = sizeEnd + 2;
        } else {
          trailerEnd = find(sizeEnd, end, true);
          if (trailerEnd < 0) {
            return false;
          }
        }
        start = trailerEnd;
        listener.response(status, body, 0, length);
        return true;
      }
      if (end - sizeEnd < size + 2) {
        return false;
      }
      if (length + size > body.length) {
        body = java.util.Arrays.copyOf(body, Math.max(body.length * 2, length + size));
      }
      System.arraycopy(buffer, sizeEnd, body, length, size);
      length += size;
      at = sizeEnd + size + 2;
    }
  }

  /** The index just past the next CRLF (or CRLFCRLF), or -1. */
  private int find(int from, int to, boolean blankLine) {
    int need = blankLine ? 4 : 2;
    for (int i = from; i + need <= to; i++) {
      if (buffer[i] == CR
          && buffer[i + 1] == LF
          && (!blankLine || (buffer[i + 2] == CR && buffer[i + 3] == LF))) {
        return i + need;
      }
    }
    return -1;
  }

  private boolean ascii(int at, String expected) {
    for (int i = 0; i < expected.length(); i++) {
      if (buffer[at + i] != expected.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private boolean headerIs(int at, int lineEnd, String lowerName) {
    if (lineEnd - at < lowerName.length()) {
      return false;
    }
    for (int i = 0; i < lowerName.length(); i++) {
      int b = buffer[at + i];
      if (b >= 'A' && b <= 'Z') {
        b += 'a' - 'A';
      }
      if (b != lowerName.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private String text(int from, int to) {
    return new String(buffer, from, Math.max(0, to - from), StandardCharsets.ISO_8859_1);
  }

  /**
   * The queue number in a join's answer ({@code "queueNumber":123} in its JSON), read off the bytes
   * without parsing the whole body; 0 if absent.
   */
  static long queueNumber(byte[] bytes, int offset, int length) {
    byte[] key = QUEUE_NUMBER;
    int last = offset + length - key.length;
    outer:
    for (int i = offset; i <= last; i++) {
      for (int k = 0; k < key.length; k++) {
        if (bytes[i + k] != key[k]) {
          continue outer;
        }
      }
      int at = i + key.length;
      int stop = offset + length;
      while (at < stop && (bytes[at] == ' ' || bytes[at] == ':')) {
        at++;
      }
      long value = 0;
      boolean digits = false;
      for (; at < stop && bytes[at] >= '0' && bytes[at] <= '9'; at++) {
        value = value * 10 + (bytes[at] - '0');
        digits = true;
      }
      return digits ? value : 0;
    }
    return 0;
  }

  private static final byte[] QUEUE_NUMBER = "\"queueNumber\"".getBytes(StandardCharsets.US_ASCII);
}
