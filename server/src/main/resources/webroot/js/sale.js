// One sale for a buyer: what it is, when it opens, joining the line (with the proof of work when
// the sale asks for it), the live place in line, and the outcome with one-click payment.
'use strict';

(async () => {
  const $ = (id) => document.getElementById(id);
  const saleId = new URLSearchParams(location.search).get('sale');
  const message = $('message');
  const joinButton = $('join');
  const payButton = $('pay');
  let sale = null;
  let waitlistLead = 300;
  let joined = false;
  let firstPosition = 0;
  let holdExpiresAt = null;
  let orderId = null;
  let live = null;
  let expiryCheck = null;
  let knownSoldOut = false;
  let lastPayment = null;

  const OUTCOMES = {
    ADMITTED: 'It is your turn! Your item is being reserved…',
    RESERVED: 'Reserved for you. Pay before the time runs out to keep it.',
    PAID: 'Paid. Your order is confirmed — thank you!',
    CANCELLED: 'Your order was cancelled, and the item went to the next person in line.',
    EXPIRED: 'Your hold expired before you paid, so the item went to the next person in line.',
    DECLINED: 'Your card was declined while you waited, so you left the line. Nothing was charged.',
    REFUSED: 'We could not reserve your item after all. Nothing was charged.',
    ENDED: 'The sale has ended.',
    LEFT: 'You left the line. Any hold on your card has been released.',
    DROPPED: 'You were away when your turn came and did not come back in time, so your place was given up. '
      + 'Any hold on your card has been released.',
  };

  function showError(error) {
    Flash.showMessage(message, error.message || String(error));
  }

  // The sale, its price and countdown are public: anyone sees them, and signs in to join or buy.
  const signedIn = Boolean(Flash.session());
  const signInUrl = '/signin.html?next=' + encodeURIComponent(location.pathname + location.search);
  if (!saleId) {
    Flash.showMessage(message, 'No sale was chosen. Please pick one from the list of sales.');
    return;
  }

  function renderSale() {
    $('product').textContent = sale.productName;
    document.title = sale.productName + ' · Flash sales';
    $('price').textContent = Flash.money(sale.priceCents, sale.currency);
    $('stock').textContent = sale.remaining + ' of ' + sale.quantityAvailable;

    $('about').hidden = false;
    joinButton.textContent = !signedIn ? (sale.waitingRoom ? 'Sign in to join the line' : 'Sign in to buy')
      : sale.waitingRoom ? 'Join the line' : 'Buy now';
    tick();
  }

  /** Countdowns, once a second: to the waiting room opening, to T-0, and to the end of a hold. */
  function tick() {
    const now = Date.now();
    const start = Date.parse(sale.startTime);
    const end = Date.parse(sale.endTime);
    const opens = start - waitlistLead * 1000;
    const ended = sale.status === 'ENDED' || now >= end;
    // The stored status follows the timeline's tick; the clock says it sooner.
    const status = ended ? 'ENDED' : knownSoldOut ? 'SOLD_OUT'
      : sale.status === 'SCHEDULED' && now >= start ? 'ACTIVE' : sale.status;
    $('sale-status').textContent = Flash.statusWords(status);
    if (sale.waitingRoom) {
      $('countdown-waitlist').textContent = now < opens
        ? 'The waiting room opens in ' + Flash.duration((opens - now) / 1000) + '.'
        : ended ? '' : 'The waiting room is open.';
    }
    $('countdown-start').textContent = ended ? 'This sale has ended.'
      : now < start ? 'The sale starts in ' + Flash.duration((start - now) / 1000) + '.'
      : 'The sale is on.';
    const canJoin = !joined && !ended && (sale.waitingRoom ? now >= opens : now >= start);
    $('join-panel').hidden = joined || ended;
    if (!joinButton.dataset.busy) {
      // Signing in is open before the line is: the buyer is ready when it opens.
      joinButton.disabled = signedIn ? !canJoin : false;
    }
    if (holdExpiresAt) {
      const left = (holdExpiresAt - now) / 1000;
      $('hold-countdown').textContent = left > 0
        ? 'Your hold ends in ' + Flash.duration(left) + '.'
        : 'Your hold has run out.';
      if (left <= 0 && !expiryCheck) {
        // The server decides when a hold is gone; ask it rather than assume.
        expiryCheck = setTimeout(refreshStatus, 1500);
      }
    }
  }

  async function refreshStatus() {
    expiryCheck = null;
    try {
      show(await Flash.api('GET', '/api/sales/' + encodeURIComponent(saleId) + '/queue/me'));
    } catch (e) {
      showError(e);
    }
  }

  function setState(state, text) {
    const element = $('state');
    element.dataset.state = state;
    element.textContent = text;
  }

  async function refreshSale() {
    try {
      sale = await Flash.api('GET', '/api/sales/' + encodeURIComponent(saleId));
      knownSoldOut = false;
      renderSale();
    } catch (ignored) {
      // The figures stay as they were; the buyer's own answer is what matters here.
    }
  }

  let lastState = null;

  /** Renders a ticket view, whether it came from the join, the socket or a poll. */
  function show(view) {
    joined = true;
    if (view.state !== lastState) {
      lastState = view.state;
      if (view.state === 'SOLD_OUT') {
        // Known without asking: every waiting page learns this at once, and must not all ask.
        knownSoldOut = true;
        $('stock').textContent = '0 of ' + sale.quantityAvailable;
      } else if (view.state !== 'QUEUED' && view.state !== 'ADMITTED') {
        // An answer comes to one buyer at a time, so reading the sale again is cheap here.
        refreshSale();
      }
    }
    $('status-panel').hidden = false;
    $('join-panel').hidden = true;
    const waiting = view.state === 'QUEUED' || view.state === 'SOLD_OUT';
    $('line').hidden = !waiting;
    if (waiting) {
      const position = view.position;
      firstPosition = Math.max(firstPosition, position);
      $('position').textContent = position.toLocaleString();
      $('ahead').textContent = view.ahead === 0 ? 'Nobody is ahead of you.'
        : Flash.plural(view.ahead, 'person is', 'people are') + ' ahead of you.';
      if (view.state === 'SOLD_OUT') {
        setState('SOLD_OUT', 'Sold out. You stay on the waitlist: if an item comes back, it goes to the next '
          + 'person in line, and you will see it here.');
        $('eta').textContent = '';
      } else {
        setState('QUEUED', view.prequeue
          ? 'You are in the waiting room. When the sale starts, everyone here gets a place in random order.'
          : 'You are in line.');
        $('eta').textContent = view.estimatedWaitSeconds > 0
          ? 'About ' + Flash.duration(view.estimatedWaitSeconds) + ' to wait.' : 'Almost there.';
      }
      const progress = $('line-progress');
      progress.max = Math.max(1, firstPosition - 1);
      progress.value = firstPosition - position;
    } else {
      setState(view.state, OUTCOMES[view.state] || 'Your request has an answer.');
    }
    const notes = {
      AUTHORIZING: 'Your card is being pre-authorised while you wait; nothing is charged yet.',
      AUTHORIZED: 'Your card is ready: paying will take one click.',
    };
    // Position pushes leave the card's state out; it stays as last heard.
    if (view.payment) {
      lastPayment = view.payment;
    }
    $('payment-note').textContent = waiting ? (notes[lastPayment] || '') : '';
    if (view.state === 'RESERVED' && view.orderId) {
      showHold(view.orderId);
    } else {
      $('hold').hidden = true;
      holdExpiresAt = null;
    }
  }

  async function showHold(id) {
    if (orderId === id && holdExpiresAt) {
      return;
    }
    orderId = id;
    try {
      const order = await Flash.api('GET', '/api/orders/' + encodeURIComponent(id));
      if (order.status !== 'RESERVED') {
        setState(order.status, OUTCOMES[order.status]);
        return;
      }
      holdExpiresAt = Date.parse(order.expiresAt);
      $('hold').hidden = false;
      payButton.disabled = false;
      tick();
      payButton.focus();
    } catch (e) {
      showError(e);
    }
  }

  async function pay() {
    payButton.disabled = true;
    Flash.showMessage(message, '');
    try {
      const order = await Flash.api('POST', '/api/orders/' + encodeURIComponent(orderId) + '/checkout');
      holdExpiresAt = null;
      $('hold').hidden = true;
      setState(order.status, OUTCOMES[order.status]);
    } catch (e) {
      showError(e);
      if (e.code === 'PAYMENT_DECLINED' || e.code === 'HOLD_EXPIRED') {
        holdExpiresAt = null;
        $('hold').hidden = true;
        setState(e.code === 'PAYMENT_DECLINED' ? 'CANCELLED' : 'EXPIRED',
          e.code === 'PAYMENT_DECLINED' ? 'The payment was declined; the item went to the next person in line.'
            : OUTCOMES.EXPIRED);
      } else {
        payButton.disabled = false;
      }
    }
  }

  function connectionText(state) {
    const texts = {
      live: 'Live: your place updates by itself.',
      reconnecting: 'Connection lost. Reconnecting — meanwhile your place is checked every few seconds.',
      offline: 'The shop cannot be reached right now; we keep trying.',
      done: '',
    };
    $('connection').textContent = texts[state] || '';
  }

  function watch() {
    if (!live) {
      live = new LiveTicket(saleId, show, connectionText);
      // Reachable from the console (and the browser test), to see or break the connection.
      window.liveTicket = live;
    }
    live.start();
  }

  /** Solves the sale's challenge in a Web Worker, showing how far it has got. */
  async function proofOfWork() {
    const challenge = await Flash.api('GET', '/api/sales/' + encodeURIComponent(saleId) + '/challenge');
    const panel = $('pow');
    const bar = $('pow-progress');
    const text = $('pow-text');
    panel.hidden = false;
    bar.value = 0;
    text.textContent = 'Starting…';
    return new Promise((resolve, reject) => {
      const worker = new Worker('/js/pow-worker.js');
      // Not even a slow phone needs this long at the difficulties a sale sets; the bound keeps a
      // broken worker from leaving the buyer waiting for ever.
      const limit = setTimeout(() => {
        worker.terminate();
        reject(new Error('The check that you are a person took too long. Please try again.'));
      }, 120000);
      worker.onmessage = (event) => {
        const data = event.data;
        if (data.type === 'progress') {
          // Chance of having found a solution by now: an honest bar for a search with no fixed length.
          const share = 1 - Math.exp(-data.tried / data.expected);
          bar.value = Math.min(99, Math.round(share * 100));
          text.textContent = 'Checked ' + data.tried.toLocaleString() + ' answers (' + bar.value + '%).';
        } else if (data.type === 'solved') {
          clearTimeout(limit);
          worker.terminate();
          bar.value = 100;
          text.textContent = 'Done.';
          resolve({ challenge: challenge.challenge, solution: data.solution });
        }
      };
      worker.onerror = () => {
        clearTimeout(limit);
        worker.terminate();
        reject(new Error('Your browser could not run the check that you are a person.'));
      };
      worker.postMessage({ challenge: challenge.challenge, difficulty: challenge.difficulty });
    });
  }

  async function join() {
    if (!signedIn) {
      location.href = signInUrl;
      return;
    }
    joinButton.dataset.busy = 'yes';
    joinButton.disabled = true;
    Flash.showMessage(message, '');
    try {
      if (!sale.waitingRoom) {
        const order = await Flash.api('POST', '/api/sales/' + encodeURIComponent(saleId) + '/purchase',
          { quantity: 1 });
        show({ state: 'RESERVED', orderId: order.orderId });
        return;
      }
      const body = { quantity: 1, paymentMethodId: $('card').value };
      if (sale.proofOfWorkDifficulty > 0) {
        body.proofOfWork = await proofOfWork();
      }
      const view = await Flash.api('POST', '/api/sales/' + encodeURIComponent(saleId) + '/queue', body);
      show(view);
      watch();
    } catch (e) {
      if (e.code === 'CONFLICT' && e.problem && e.problem.ticket) {
        show(e.problem.ticket);
        watch();
      } else {
        showError(e);
      }
    } finally {
      delete joinButton.dataset.busy;
      $('pow').hidden = true;
      tick();
    }
  }

  joinButton.addEventListener('click', join);

  // Leaving gives the place to everyone behind at once and releases the card hold.
  $('leave').addEventListener('click', async () => {
    $('leave').disabled = true;
    try {
      const answer = await Flash.api('DELETE', '/api/sales/' + encodeURIComponent(saleId) + '/queue/me');
      if (live) {
        live.stop();
      }
      show({ state: answer.state, orderId: answer.orderId });
    } catch (error) {
      showError(error);
    } finally {
      $('leave').disabled = false;
    }
  });
  payButton.addEventListener('click', pay);

  try {
    const [settings, loaded] = await Promise.all([Flash.settings(),
      Flash.api('GET', '/api/sales/' + encodeURIComponent(saleId))]);
    waitlistLead = settings.waitlistLeadSeconds;
    sale = loaded;
    $('card').closest('.field').hidden = !sale.waitingRoom || !signedIn;
    if (!settings.demo) {
      $('card').querySelector('option[value=pm_card_declined]').remove();
    }
    renderSale();
  } catch (e) {
    showError(e);
    return;
  }
  setInterval(tick, 1000);
  // Stock and status change under the buyer's eyes; a slow refresh is enough, and it stops once
  // they are in line so a herd of waiting pages does not hammer the database.
  const refreshLater = () => setTimeout(() => {
    if (!joined) {
      refreshSale();
    }
    refreshLater();
  }, 20000 + Math.random() * 20000);
  refreshLater();

  if (sale.waitingRoom && signedIn) {
    try {
      show(await Flash.api('GET', '/api/sales/' + encodeURIComponent(saleId) + '/queue/me'));
      watch();
    } catch (e) {
      if (e.code !== 'NOT_FOUND') {
        showError(e);
      }
    }
  }
})();
