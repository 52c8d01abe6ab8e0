package io.flashsale.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** join-burst's reader of pipelined answers: whole answers, in order, however reads split them. */
class PipelinedResponsesTest {

  private static final String JOINED =
      "HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: 46\r\n\r\n"
          + "{\"state\":\"QUEUED\",\"queueNumber\":17,\"ahead\":16}";
  private static final String REFUSED =
      "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/problem+json\r\n"
          + "Content-Length: 23\r\n\r\n{\"code\":\"RATE_LIMITED\"}";
  private static final String CHUNKED =
      "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "10\r\n{\"queueNumber\":4\r\n"
          + "2;ext=1\r\n2}\r\n"
          + "0\r\n\r\n";

  private final List<String> seen = new ArrayList<>();
  private final PipelinedResponses responses =
      new PipelinedResponses(
          (status, bytes, offset, length) ->
              seen.add(
                  status
                      + " "
                      + new String(bytes, offset, length, StandardCharsets.ISO_8859_1)
                      + " #"
                      + PipelinedResponses.queueNumber(bytes, offset, length)));

  @Test
  void answersSplitAtEveryPossibleByteComeOutWholeAndInOrder() {
    byte[] wire = (JOINED + REFUSED + CHUNKED + JOINED).getBytes(StandardCharsets.ISO_8859_1);
    for (int cut = 1; cut < wire.length; cut++) {
      seen.clear();
      responses.feed(Buffer.buffer(java.util.Arrays.copyOfRange(wire, 0, cut)));
      responses.feed(Buffer.buffer(java.util.Arrays.copyOfRange(wire, cut, wire.length)));

      assertThat(seen)
          .as("split at byte %d", cut)
          .containsExactly(
              "202 {\"state\":\"QUEUED\",\"queueNumber\":17,\"ahead\":16} #17",
              "429 {\"code\":\"RATE_LIMITED\"} #0",
              "202 {\"queueNumber\":42} #42",
              "202 {\"state\":\"QUEUED\",\"queueNumber\":17,\"ahead\":16} #17");
    }
  }

  @Test
  void aByteAtATimeIsEnoughToo() {
    byte[] wire = (REFUSED + JOINED).getBytes(StandardCharsets.ISO_8859_1);
    for (byte b : wire) {
      responses.feed(Buffer.buffer(new byte[] {b}));
    }

    assertThat(seen).hasSize(2);
    assertThat(seen.get(1)).endsWith("#17");
  }

  @Test
  void whatIsNotHttpIsRefused() {
    assertThatThrownBy(() -> responses.feed(Buffer.buffer("SSH-2.0-OpenSSH\r\n\r\n")))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aBodyDelimitedOnlyByTheConnectionsCloseIsRefused() {
    assertThatThrownBy(() -> responses.feed(Buffer.buffer("HTTP/1.0 200 OK\r\n\r\nhello")))
        .isInstanceOf(IllegalStateException.class);
  }
}
