// The admin dashboard: create a sale, see every sale, and watch one live — figures and charts
// from GET /api/admin/sales/{id}/stats, asked once a second.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const message = $('message');
  const POLL_MS = 1000;
  const KEEP_SAMPLES = 600;
  const REJECTION_WORDS = {
    RATE_LIMITED: 'too fast',
    POW_MISSING: 'no proof of work',
    POW_FORGED: 'forged proof',
    POW_EXPIRED: 'expired proof',
    POW_WRONG: 'wrong proof',
    POW_REPLAYED: 'replayed proof',
    CAPTCHA_MISSING: 'no CAPTCHA',
    CAPTCHA_REJECTED: 'CAPTCHA failed',
    BLACKLISTED: 'flagged account',
    BLACKLISTED_DEVICE: 'flagged device',
  };
  const RECONCILIATION_WORDS = {
    OK: 'In balance',
    SETTLING: 'Writes settling',
    DRIFT: 'Drift found, repairing',
    DATABASE_INCONSISTENT: 'Database out of balance',
    NOT_LOADED: 'Not loaded yet',
  };

  // Exposed so a person (or a browser test) can look at what the charts were drawn from.
  const dashboard = { saleId: null, samples: [], charts: {}, polls: 0 };
  window.dashboard = dashboard;
  let pollTimer = null;
  let previous = null;
  let pollFailed = false;

  const session = Flash.session();
  if (!session || !session.admin) {
    Flash.showMessage(message, 'The dashboard is for the shop\'s admins. Please sign in as an admin.', 'info');
    const link = document.createElement('a');
    link.href = '/signin.html?next=/admin';
    link.textContent = ' Sign in';
    message.append(link);
    document.querySelectorAll('main > section').forEach((section) => { section.hidden = true; });
    return;
  }

  // ---- Sales list ----------------------------------------------------------------------------

  async function loadSales() {
    try {
      const answer = await Flash.api('GET', '/api/sales');
      const body = $('sales');
      body.textContent = '';
      answer.sales.forEach((sale) => {
        const row = document.createElement('tr');
        const cell = (text) => {
          const td = document.createElement('td');
          td.textContent = text;
          row.append(td);
          return td;
        };
        cell(sale.productName);
        cell(Flash.statusWords(sale.status));
        cell(sale.quantitySold + ' of ' + sale.quantityAvailable);
        cell(new Date(sale.startTime).toLocaleString());
        const watch = document.createElement('button');
        watch.type = 'button';
        watch.className = 'secondary';
        watch.textContent = 'Watch';
        watch.setAttribute('aria-label', 'Watch ' + sale.productName + ' live');
        watch.dataset.saleId = sale.saleId;
        watch.addEventListener('click', () => select(sale.saleId));
        cell('').append(watch);
        body.append(row);
      });
    } catch (e) {
      Flash.showMessage(message, e.message);
    }
  }

  // ---- Live view -----------------------------------------------------------------------------

  function chart(elementId, series, axes, scales) {
    const element = $(elementId);
    element.textContent = '';
    const width = Math.max(280, element.clientWidth || element.parentElement.clientWidth - 16);
    return new uPlot({
      width,
      height: 240,
      scales: Object.assign({ x: { time: true } }, scales || {}),
      series: [{ label: 'Time' }].concat(series),
      axes: [{}].concat(axes),
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
    }, [[]].concat(series.map(() => [])), element);
  }

  function makeCharts() {
    Object.values(dashboard.charts).forEach((c) => c.destroy());
    dashboard.charts = {
      units: chart('chart-units', [
        { label: 'Stock left', stroke: '#0b57a4', width: 2, scale: 'units' },
        { label: 'Sold', stroke: '#1a6b30', width: 2, scale: 'units' },
        { label: 'In the queue', stroke: '#a4001d', width: 2, dash: [6, 4], scale: 'queue' },
      ], [
        { scale: 'units', label: 'Units' },
        { scale: 'queue', side: 1, label: 'Buyers waiting', grid: { show: false } },
      ]),
      rates: chart('chart-rates', [
        { label: 'Admitted / s', stroke: '#0b57a4', width: 2 },
        { label: 'Reservations / s', stroke: '#6b4a00', width: 2 },
      ], [{ label: 'Per second' }]),
      checkout: chart('chart-checkout', [
        { label: 'Paid', stroke: '#1a6b30', width: 2 },
        { label: 'Holds expired', stroke: '#6b4a00', width: 2 },
        { label: 'Cards declined', stroke: '#a4001d', width: 2 },
      ], [{ label: 'Orders' }]),
    };
  }

  function redraw() {
    const s = dashboard.samples;
    const t = s.map((x) => x.t);
    dashboard.charts.units.setData([t, s.map((x) => x.stockLeft), s.map((x) => x.sold), s.map((x) => x.queueDepth)]);
    dashboard.charts.rates.setData([t, s.map((x) => x.admittedPerSecond), s.map((x) => x.reservationsPerSecond)]);
    dashboard.charts.checkout.setData([t, s.map((x) => x.paid), s.map((x) => x.expired), s.map((x) => x.declined)]);
  }

  function set(id, text) {
    $(id).textContent = text;
  }

  function render(stats) {
    const atSeconds = stats.atMillis / 1000;
    // Rates from two samples of the server's own counters and clock: the server keeps no rate.
    let admittedPerSecond = 0;
    let reservationsPerSecond = 0;
    if (previous && atSeconds > previous.at) {
      const span = atSeconds - previous.at;
      admittedPerSecond = Math.max(0, (stats.admitted - previous.admitted) / span);
      reservationsPerSecond = Math.max(0, (stats.orders.reservations - previous.reservations) / span);
    }
    previous = { at: atSeconds, admitted: stats.admitted, reservations: stats.orders.reservations };
    dashboard.samples.push({
      t: atSeconds,
      stockLeft: Math.max(0, stats.stockLeft),
      sold: stats.quantitySold,
      queueDepth: stats.queueDepth,
      admittedPerSecond: Math.round(admittedPerSecond * 10) / 10,
      reservationsPerSecond: Math.round(reservationsPerSecond * 10) / 10,
      paid: stats.orders.paid,
      expired: stats.orders.expired,
      declined: stats.payments.declined,
    });
    if (dashboard.samples.length > KEEP_SAMPLES) {
      dashboard.samples.shift();
    }
    set('live-heading', 'Live: ' + stats.productName);
    set('live-updated', 'Updated ' + new Date(stats.at).toLocaleTimeString() + ' · updates every second');
    set('stat-stock', stats.stockLeft < 0 ? 'not loaded' : stats.stockLeft.toLocaleString());
    set('stat-sold', stats.quantitySold.toLocaleString() + ' of ' + stats.quantityAvailable.toLocaleString());
    set('stat-queue', stats.waitingRoom ? stats.queueDepth.toLocaleString() : 'no queue');
    set('stat-admitted-rate', admittedPerSecond.toFixed(0));
    set('stat-reservations', stats.orders.reservations.toLocaleString());
    set('stat-paid', stats.orders.paid.toLocaleString());
    set('stat-expired', stats.orders.expired.toLocaleString());
    set('stat-cancelled', stats.orders.cancelled.toLocaleString());
    const p = stats.payments;
    set('stat-payments', p.authorized + ' held, ' + p.captured + ' charged, ' + p.declined + ' declined, '
      + p.voided + ' released');
    const bots = Object.entries(stats.botRejections);
    set('stat-bots', bots.length === 0 ? 'None'
      : bots.map(([reason, n]) => n + ' ' + (REJECTION_WORDS[reason] || reason.toLowerCase())).join(', '));
    const recon = stats.reconciliation;
    const reconElement = $('stat-recon');
    reconElement.textContent = (RECONCILIATION_WORDS[recon.status] || recon.status)
      + (recon.inFlight > 0 ? ' (' + recon.inFlight + ' in flight)' : '');
    reconElement.className = 'small recon-' + recon.status;
    set('stat-status', Flash.statusWords(stats.status));
    redraw();
  }

  async function poll(saleId) {
    try {
      const stats = await Flash.api('GET', '/api/admin/sales/' + encodeURIComponent(saleId) + '/stats');
      if (dashboard.saleId === saleId) {
        dashboard.polls++;
        render(stats);
        if (pollFailed) {
          Flash.showMessage(message, '');
          pollFailed = false;
        }
      }
    } catch (e) {
      pollFailed = true;
      Flash.showMessage(message, e.message);
    }
    // Chained rather than setInterval: a slow answer never stacks requests up.
    if (dashboard.saleId === saleId) {
      pollTimer = setTimeout(() => poll(saleId), POLL_MS);
    }
  }

  function select(saleId) {
    clearTimeout(pollTimer);
    dashboard.saleId = saleId;
    dashboard.samples = [];
    dashboard.polls = 0;
    previous = null;
    history.replaceState(null, '', '#sale=' + saleId);
    $('live').hidden = false;
    makeCharts();
    poll(saleId);
    $('live-heading').scrollIntoView({ block: 'start' });
  }

  window.addEventListener('resize', () => {
    Object.entries(dashboard.charts).forEach(([name, c]) => {
      const element = $('chart-' + name);
      c.setSize({ width: Math.max(280, element.clientWidth), height: 240 });
    });
  });

  // ---- Operator controls: every one is audited on the server (who, when, what) ------------------

  async function control(action, body, done) {
    const saleId = dashboard.saleId;
    if (!saleId) {
      return;
    }
    try {
      const sale = await Flash.api('POST', '/api/admin/sales/' + encodeURIComponent(saleId) + '/' + action, body);
      set('control-result', done(sale));
    } catch (e) {
      set('control-result', e.message);
    }
  }

  $('control-pause').addEventListener('click', () => control('pause', undefined,
    () => 'Admission is paused on every server from the next tick.'));
  $('control-resume').addEventListener('click', () => control('resume', undefined,
    () => 'Admission goes on, in line order.'));
  $('control-end').addEventListener('click', () => {
    if (window.confirm('End this sale now? Holds expire, card holds are released and everyone waiting is told.')) {
      control('end', undefined, () => 'The sale has ended; everyone waiting gets a final answer.');
    }
  });
  $('control-rate-set').addEventListener('click', () => {
    const rate = Number($('control-rate').value);
    if (!Number.isInteger(rate) || rate < 1 || rate > 100000) {
      set('control-result', 'The rate must be a whole number from 1 to 100,000 per second.');
      return;
    }
    control('rate', { admissionRatePerSecond: rate },
      (sale) => 'Now admitting ' + sale.admissionRatePerSecond.toLocaleString() + ' buyers per second.');
  });
  document.querySelectorAll('[data-export]').forEach((button) => button.addEventListener('click', async () => {
    const saleId = dashboard.saleId;
    const part = button.dataset.export;
    // A plain link would not carry the bearer token, so the file is fetched and handed over as a blob.
    const response = await fetch('/api/admin/sales/' + encodeURIComponent(saleId) + '/export/' + part + '.csv',
      { headers: { Authorization: 'Bearer ' + Flash.session().token } });
    if (!response.ok) {
      set('control-result', 'The ' + part + ' file could not be made. Please try again.');
      return;
    }
    const link = document.createElement('a');
    link.href = URL.createObjectURL(await response.blob());
    link.download = 'sale-' + saleId + '-' + part + '.csv';
    link.click();
    URL.revokeObjectURL(link.href);
  }));

  // ---- Create a sale -------------------------------------------------------------------------

  const form = $('create');

  function fieldError(id, text) {
    const input = $(id);
    const error = $(id + '-error');
    error.textContent = text || '';
    error.hidden = !text;
    input.setAttribute('aria-invalid', text ? 'true' : 'false');
    return !text;
  }

  function wholeNumber(id, min, max, what) {
    const raw = $(id).value.trim();
    const value = Number(raw);
    const ok = raw !== '' && Number.isInteger(value) && value >= min && value <= max;
    fieldError(id, ok ? '' : what + ' must be a whole number from ' + min.toLocaleString() + ' to '
      + max.toLocaleString() + '.');
    return ok ? value : null;
  }

  function validate() {
    const name = $('productName').value.trim();
    fieldError('productName', name ? '' : 'Please give the product a name.');
    const sku = $('productId').value.trim();
    fieldError('productId', sku ? '' : 'Please give the product code.');
    const priceText = $('price').value.trim();
    const priceOk = /^\d{1,9}([.,]\d{1,2})?$/.test(priceText);
    fieldError('price', priceOk ? '' : 'Please enter a price such as 49.99, with at most two decimals.');
    const sale = {
      productName: name,
      productId: sku,
      quantity: wholeNumber('quantity', 1, 10000000, 'Units on sale'),
      priceCents: priceOk ? Math.round(Number(priceText.replace(',', '.')) * 100) : null,
      currency: $('currency').value,
      perUserLimit: wholeNumber('perUserLimit', 1, 1000, 'Units per buyer'),
      checkoutTtlSeconds: wholeNumber('checkoutTtlSeconds', 1, 86400, 'The time to pay'),
      waitingRoom: $('waitingRoom').checked,
      admissionRatePerSecond: wholeNumber('admissionRatePerSecond', 1, 1000000, 'Buyers let in per second'),
      queuePolicy: $('queuePolicy').value,
      proofOfWorkDifficulty: wholeNumber('proofOfWorkDifficulty', 0, 32, 'Proof of work'),
    };
    const startsIn = wholeNumber('startsIn', 0, 100000, 'The start');
    const duration = wholeNumber('duration', 1, 10080, 'The length');
    const invalid = form.querySelector('[aria-invalid=true]');
    if (invalid) {
      invalid.focus();
      return null;
    }
    const start = Date.now() + startsIn * 60000;
    sale.startTime = new Date(start).toISOString();
    sale.endTime = new Date(start + duration * 60000).toISOString();
    return sale;
  }

  $('productName').addEventListener('input', () => {
    // A code to start from; the admin may write their own.
    if (!$('productId').dataset.edited) {
      $('productId').value = $('productName').value.trim().toUpperCase().replace(/[^A-Z0-9]+/g, '-')
        .replace(/^-|-$/g, '').slice(0, 60);
    }
  });
  $('productId').addEventListener('input', () => { $('productId').dataset.edited = 'yes'; });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    Flash.showMessage(message, '');
    const sale = validate();
    if (!sale) {
      Flash.showMessage(message, 'Please correct the fields marked below.');
      return;
    }
    const button = $('create-button');
    button.disabled = true;
    try {
      const created = await Flash.api('POST', '/api/admin/sales', sale);
      Flash.showMessage(message, 'Sale created: ' + created.productName + '.', 'ok');
      await loadSales();
      select(created.saleId);
    } catch (e) {
      Flash.showMessage(message, e.message);
    } finally {
      button.disabled = false;
    }
  });

  loadSales();
  setInterval(loadSales, 5000);
  const fromHash = /^#sale=([0-9a-f-]{36})$/.exec(location.hash);
  if (fromHash) {
    select(fromHash[1]);
  }
})();
