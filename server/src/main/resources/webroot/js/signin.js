// Demo sign-in: a name (and the admin box) buys a short-lived token from the demo-only endpoint.
'use strict';

(async () => {
  const form = document.getElementById('signin');
  const message = document.getElementById('message');
  const name = document.getElementById('name');
  const nameError = document.getElementById('name-error');
  const admin = document.getElementById('admin');

  /** Only a path on this site: an absolute or protocol-relative "next" would send the buyer away. */
  function next(isAdmin) {
    const wanted = new URLSearchParams(location.search).get('next');
    if (wanted && wanted.startsWith('/') && !wanted.startsWith('//') && !wanted.startsWith('/signin')) {
      return wanted;
    }
    return isAdmin ? '/admin' : '/';
  }

  const settings = await Flash.settings();
  if (!settings.demo) {
    Flash.showMessage(message, 'This server is not in demo mode: sign in through the shop, which gives you a token.',
      'info');
    return;
  }
  form.hidden = false;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    Flash.showMessage(message, '');
    const value = name.value.trim();
    let problem = '';
    if (!value) {
      problem = 'Please enter a name.';
    } else if (!/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/.test(value)) {
      problem = 'Please start with a letter or digit and use only letters, digits, spaces, dots, dashes or underscores.';
    }
    nameError.textContent = problem;
    nameError.hidden = !problem;
    name.setAttribute('aria-invalid', problem ? 'true' : 'false');
    if (problem) {
      name.focus();
      return;
    }
    try {
      const answer = await Flash.api('POST', '/api/demo/token', { name: value, admin: admin.checked });
      Flash.signIn(answer);
      location.href = next(answer.admin);
    } catch (e) {
      Flash.showMessage(message, e.message);
    }
  });
})();
