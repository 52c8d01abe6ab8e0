// Keeps a buyer's view of their place current: the WebSocket while it holds, and polling
// GET /queue/me while it is down, reconnecting with growing, jittered delays so that a
// server restart is not met by every waiting buyer reconnecting in the same instant.
'use strict';

const WAITING_STATES = new Set(['QUEUED', 'SOLD_OUT', 'ADMITTED']);

class LiveTicket {
  constructor(saleId, onView, onConnection) {
    this.saleId = saleId;
    this.onView = onView;
    this.onConnection = onConnection;
    this.attempt = 0;
    this.stopped = true;
    this.socket = null;
    this.reconnectTimer = null;
    this.pollTimer = null;
  }

  start() {
    if (!this.stopped) {
      return;
    }
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.stopPolling();
    if (this.socket) {
      this.socket.close();
      this.socket = null;
    }
  }

  connect() {
    const session = Flash.session();
    if (!session || this.stopped) {
      return;
    }
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const url = scheme + '://' + location.host + '/api/sales/' + encodeURIComponent(this.saleId)
      + '/live?access_token=' + encodeURIComponent(session.token);
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.stopPolling();
      this.onConnection('live');
    };
    socket.onmessage = (event) => {
      const view = JSON.parse(event.data);
      this.deliver(view);
    };
    socket.onclose = () => {
      if (this.socket === socket) {
        this.socket = null;
      }
      if (this.stopped) {
        return;
      }
      this.onConnection('reconnecting');
      this.startPolling();
      const delay = Math.min(15000, 500 * Math.pow(2, this.attempt)) * (0.5 + Math.random() / 2);
      this.attempt = Math.min(this.attempt + 1, 10);
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    };
  }

  deliver(view) {
    this.onView(view);
    if (!WAITING_STATES.has(view.state)) {
      // An answer: nothing more will be pushed about it.
      this.stop();
      this.onConnection('done');
    }
  }

  startPolling() {
    if (this.pollTimer) {
      return;
    }
    const tick = async () => {
      try {
        const view = await Flash.api('GET', '/api/sales/' + encodeURIComponent(this.saleId) + '/queue/me');
        if (!this.stopped) {
          this.deliver(view);
        }
      } catch (e) {
        this.onConnection('offline');
      }
      if (!this.stopped && this.pollTimer) {
        this.pollTimer = setTimeout(tick, 2000);
      }
    };
    this.pollTimer = setTimeout(tick, 500);
  }

  stopPolling() {
    clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }
}
