// idport console: dates in the reader's time zone, and passkey ceremonies. No dependencies.
'use strict';

// Every <time datetime> shows local time; the UTC value stays in its title.
function localTimes() {
  const lang = document.documentElement.lang || 'en';
  const fmt = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'medium' });
  for (const el of document.querySelectorAll('time[datetime]')) {
    const d = new Date(el.getAttribute('datetime'));
    if (!isNaN(d)) el.textContent = fmt.format(d);
  }
}

function b64uToBytes(s) {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

function bytesToB64u(buf) {
  let s = '';
  for (const c of new Uint8Array(buf)) s += String.fromCharCode(c);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function post(box, path, body) {
  const next = encodeURIComponent(box.dataset.next || '/console/');
  const res = await fetch('/console/passkey/' + path + '?next=' + next, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': box.dataset.csrf },
    body: body ? JSON.stringify(body) : '{}',
  });
  const json = await res.json();
  if (!res.ok) throw new Error(json.error || res.statusText);
  return json;
}

async function register(box) {
  const opts = (await post(box, 'register/begin')).publicKey;
  opts.challenge = b64uToBytes(opts.challenge);
  opts.user.id = b64uToBytes(opts.user.id);
  for (const c of opts.excludeCredentials || []) c.id = b64uToBytes(c.id);
  const cred = await navigator.credentials.create({ publicKey: opts });
  return post(box, 'register/finish', {
    id: cred.id, rawId: bytesToB64u(cred.rawId), type: cred.type,
    response: {
      clientDataJSON: bytesToB64u(cred.response.clientDataJSON),
      attestationObject: bytesToB64u(cred.response.attestationObject),
      transports: cred.response.getTransports ? cred.response.getTransports() : [],
    },
  });
}

async function login(box) {
  const opts = (await post(box, 'login/begin')).publicKey;
  opts.challenge = b64uToBytes(opts.challenge);
  for (const c of opts.allowCredentials || []) c.id = b64uToBytes(c.id);
  const cred = await navigator.credentials.get({ publicKey: opts });
  return post(box, 'login/finish', {
    id: cred.id, rawId: bytesToB64u(cred.rawId), type: cred.type,
    response: {
      clientDataJSON: bytesToB64u(cred.response.clientDataJSON),
      authenticatorData: bytesToB64u(cred.response.authenticatorData),
      signature: bytesToB64u(cred.response.signature),
      userHandle: cred.response.userHandle ? bytesToB64u(cred.response.userHandle) : null,
    },
  });
}

function passkeys() {
  const box = document.getElementById('passkey');
  if (!box) return;
  const status = document.getElementById('passkey-status');
  for (const btn of box.querySelectorAll('button[data-passkey]')) {
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      try {
        const out = await (btn.dataset.passkey === 'login' ? login(box) : register(box));
        status.textContent = status.dataset.ok;
        status.className = 'ok';
        window.location.assign(out.next || '/console/');
      } catch (e) {
        status.textContent = status.dataset.failed + ' ' + e.message;
        status.className = 'error';
        btn.disabled = false;
      }
    });
  }
}

document.addEventListener('DOMContentLoaded', () => { localTimes(); passkeys(); });
