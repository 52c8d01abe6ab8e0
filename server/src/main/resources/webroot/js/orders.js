// The signed-in buyer's orders, newest first: what, how much, where it stands, and a way back to
// the sale (where a held order is paid in one click).
'use strict';

(async () => {
  const list = document.getElementById('orders');
  const message = document.getElementById('message');

  const STATUS = {
    RESERVED: 'Reserved for you: pay before the hold ends',
    PAID: 'Paid',
    CANCELLED: 'Cancelled',
    EXPIRED: 'Expired before payment',
  };

  if (!Flash.session()) {
    location.replace('/signin.html?next=' + encodeURIComponent(location.pathname));
    return;
  }

  /** Sale names, read once per sale from the public sale data. */
  const names = new Map();
  async function saleOf(saleId) {
    if (!names.has(saleId)) {
      names.set(saleId, Flash.api('GET', '/api/sales/' + encodeURIComponent(saleId)).catch(() => null));
    }
    return names.get(saleId);
  }

  async function card(order) {
    const sale = await saleOf(order.saleId);
    const li = document.createElement('li');
    li.className = 'card';
    li.dataset.status = order.status;
    const h2 = document.createElement('h2');
    const a = document.createElement('a');
    a.href = '/sale.html?sale=' + encodeURIComponent(order.saleId);
    a.textContent = sale ? sale.productName : 'A sale';
    h2.append(a);
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = STATUS[order.status] || order.status;
    const amount = document.createElement('p');
    amount.textContent = Flash.plural(order.quantity, 'unit', 'units') + ' · ' + Flash.money(order.amountCents, order.currency);
    const when = document.createElement('p');
    when.className = 'muted';
    when.textContent = order.paidAt ? 'Paid ' + new Date(order.paidAt).toLocaleString()
      : order.status === 'RESERVED' ? 'Hold ends ' + new Date(order.expiresAt).toLocaleString()
      : 'Reserved ' + new Date(order.reservedAt).toLocaleString();
    li.append(h2, badge, amount, when);
    return li;
  }

  try {
    const answer = await Flash.api('GET', '/api/me/orders');
    list.replaceChildren(...await Promise.all(answer.orders.map(card)));
    if (answer.orders.length === 0) {
      Flash.showMessage(message, 'You have no orders yet.', 'info');
    }
  } catch (e) {
    Flash.showMessage(message, e.message);
  }
})();
