// Shared by every page: who is signed in, calls to the API, and problems turned into sentences.
'use strict';

const Flash = (() => {
  const SESSION_KEY = 'flashsale.session';

  // What a person reads for each problem code; raw codes never reach the page.
  const SENTENCES = {
    SOLD_OUT: 'Sorry, every item in this sale has been sold.',
    ALREADY_PURCHASED: 'You have already bought this item in this sale.',
    LIMIT_EXCEEDED: 'That is more than one person may buy in this sale.',
    SALE_NOT_ACTIVE: 'This sale is not open right now.',
    QUEUE_REQUIRED: 'This sale goes through the waiting room: please join the line.',
    HOLD_EXPIRED: 'Your hold ran out before you paid, so the item went to the next person in line.',
    CONFLICT: 'That cannot be done right now.',
    NOT_FOUND: 'We could not find that.',
    UNAUTHORIZED: 'Your sign-in has expired. Please sign in again.',
    FORBIDDEN: 'You are not allowed to do that.',
    VALIDATION_FAILED: 'Some of the details are not valid.',
    PAYLOAD_TOO_LARGE: 'That request is too large.',
    RATE_LIMITED: 'Too many attempts in a short time. Please wait a moment and try again.',
    BOT_CHECK_FAILED: 'The check that you are a person did not pass. Please try again.',
    PAYMENT_DECLINED: 'Your card was declined, so nothing was charged.',
    UNAVAILABLE: 'The shop is briefly unavailable. Please try again in a moment.',
    NETWORK: 'We could not reach the shop. Please check your connection and try again.',
  };
  // For these the server's detail says what to fix or when, so it is worth reading too.
  const DETAILED = new Set(['VALIDATION_FAILED', 'SALE_NOT_ACTIVE', 'LIMIT_EXCEEDED', 'CONFLICT',
    'BOT_CHECK_FAILED']);

  function session() {
    try {
      const saved = JSON.parse(localStorage.getItem(SESSION_KEY));
      if (saved && Date.parse(saved.expiresAt) > Date.now() + 5000) {
        return saved;
      }
    } catch (ignored) {
      // A damaged entry reads as signed out.
    }
    return null;
  }

  function signIn(saved) {
    localStorage.setItem(SESSION_KEY, JSON.stringify(saved));
  }

  function signOut() {
    localStorage.removeItem(SESSION_KEY);
  }

  /** Readable times inside a server's detail, e.g. "opens at 2026-11-23T10:00:00Z". */
  function humanise(detail) {
    const text = String(detail).replace(/\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z/g,
      (iso) => new Date(iso).toLocaleString());
    const sentence = text.charAt(0).toUpperCase() + text.slice(1);
    return /[.!?]$/.test(sentence) ? sentence : sentence + '.';
  }

  class ApiError extends Error {
    constructor(status, problem, retryAfter) {
      const code = problem.code || (status === 0 ? 'NETWORK' : 'INTERNAL');
      let sentence = SENTENCES[code] || 'Something went wrong on our side. Please try again.';
      if (DETAILED.has(code) && problem.detail) {
        sentence = sentence + ' ' + humanise(problem.detail);
      }
      if (code === 'RATE_LIMITED' && retryAfter) {
        sentence = 'Too many attempts in a short time. Please try again in ' + retryAfter + ' s.';
      }
      super(sentence);
      this.status = status;
      this.code = code;
      this.problem = problem;
    }
  }

  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    const signedIn = session();
    if (signedIn) {
      headers.Authorization = 'Bearer ' + signedIn.token;
    }
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    let response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (unreachable) {
      throw new ApiError(0, {});
    }
    const text = await response.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch (notJson) {
      json = null;
    }
    if (!response.ok) {
      throw new ApiError(response.status, json || {}, response.headers.get('Retry-After'));
    }
    return json;
  }

  let settingsPromise = null;
  function settings() {
    if (!settingsPromise) {
      settingsPromise = fetch('/ui/settings.json').then((r) => r.json())
        .catch(() => ({ demo: false, waitlistLeadSeconds: 300 }));
    }
    return settingsPromise;
  }

  function money(cents, currency) {
    try {
      return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);
    } catch (unknownCurrency) {
      return (cents / 100).toFixed(2) + ' ' + currency;
    }
  }

  /** "2 h 05 min", "4 min 07 s", "12 s". */
  function duration(totalSeconds) {
    const s = Math.max(0, Math.round(totalSeconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = s % 60;
    if (h > 0) {
      return h + ' h ' + String(m).padStart(2, '0') + ' min';
    }
    if (m > 0) {
      return m + ' min ' + String(sec).padStart(2, '0') + ' s';
    }
    return sec + ' s';
  }

  function plural(n, one, many) {
    return n + ' ' + (n === 1 ? one : many);
  }

  const STATUS_WORDS = {
    SCHEDULED: 'Coming soon',
    ACTIVE: 'On sale now',
    SOLD_OUT: 'Sold out',
    ENDED: 'Ended',
  };

  function statusWords(status) {
    return STATUS_WORDS[status] || status;
  }

  /** Fills the header's account area: who is signed in, and the way in or out. */
  async function renderAccount() {
    const nav = document.getElementById('account');
    if (!nav) {
      return;
    }
    nav.textContent = '';
    const list = document.createElement('ul');
    const item = (node) => {
      const li = document.createElement('li');
      li.append(node);
      list.append(li);
    };
    const link = (href, text) => {
      const a = document.createElement('a');
      a.href = href;
      a.textContent = text;
      return a;
    };
    item(link('/', 'Sales'));
    const signedIn = session();
    if (signedIn && signedIn.admin) {
      item(link('/admin', 'Dashboard'));
    }
    if (signedIn) {
      item(link('/orders.html', 'My orders'));
    }
    if (signedIn) {
      const who = document.createElement('span');
      who.className = 'who';
      who.textContent = 'Signed in as ' + signedIn.userId + (signedIn.admin ? ' (admin)' : '');
      item(who);
      const out = document.createElement('button');
      out.type = 'button';
      out.className = 'link';
      out.id = 'sign-out';
      out.textContent = 'Sign out';
      out.addEventListener('click', () => {
        signOut();
        location.href = '/signin.html';
      });
      item(out);
    } else {
      item(link('/signin.html?next=' + encodeURIComponent(location.pathname + location.search), 'Sign in'));
    }
    nav.append(list);
  }

  function showMessage(element, text, kind) {
    element.textContent = text || '';
    element.className = 'message' + (text ? ' ' + (kind || 'error') : '');
    element.hidden = !text;
  }

  document.addEventListener('DOMContentLoaded', renderAccount);

  return { session, signIn, signOut, api, settings, money, duration, plural, statusWords, showMessage, ApiError };
})();
