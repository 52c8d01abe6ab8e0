// The buyer's home page: every sale, with what it costs, how many are left and when it starts.
'use strict';

(() => {
  const list = document.getElementById('sales');
  const message = document.getElementById('message');

  function card(sale) {
    const li = document.createElement('li');
    li.className = 'card';
    const h2 = document.createElement('h2');
    const a = document.createElement('a');
    a.href = '/sale.html?sale=' + encodeURIComponent(sale.saleId);
    a.textContent = sale.productName;
    h2.append(a);
    const badge = document.createElement('span');
    badge.className = 'badge ' + sale.status;
    badge.textContent = Flash.statusWords(sale.status);
    const price = document.createElement('p');
    price.textContent = Flash.money(sale.priceCents, sale.currency) + ' · '
      + sale.remaining + ' of ' + sale.quantityAvailable + ' left';
    const when = document.createElement('p');
    when.className = 'muted';
    const start = new Date(sale.startTime);
    when.textContent = (start > new Date() ? 'Starts ' : 'Started ') + start.toLocaleString()
      + (sale.waitingRoom ? ' · waiting room' : '');
    li.append(h2, badge, price, when);
    return li;
  }

  async function load() {
    // The list is public: anyone sees the sales, and signs in on a sale's page to join or buy.
    try {
      const answer = await Flash.api('GET', '/api/sales');
      list.textContent = '';
      answer.sales.forEach((sale) => list.append(card(sale)));
      if (answer.sales.length === 0) {
        Flash.showMessage(message, 'There are no sales yet.', 'info');
      }
    } catch (e) {
      Flash.showMessage(message, e.message);
    }
  }

  load();
})();
