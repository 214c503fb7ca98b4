// Saldo: USDC from Horizon, its ARS equivalent from /wallet/api/rate; offline, the last one.

import { api } from "./lib/api.js";
import { gettext, interpolate } from "./lib/i18n.js";
import { localKeypair, localWallet } from "./lib/keys.js";
import { NEW_CODE_OFFER, ageText, formatArs, formatUsdc, registerServiceWorker, requireWallet, shortAddress, show } from "./lib/shell.js";
import { config, sep10Token, usdcBalance } from "./lib/stellar.js";

const $ = (id) => document.getElementById(id);
const LAST = "sozu-last-balance";
const INVITATION = "sozu-invitation";

// An invitation link (/wallet/?invitacion=CODE) from her NGO: kept until her wallet exists,
// then redeemed (SEP-10) to link her address to her beneficiary record.
async function invitation(cfg) {
  const code = localStorage.getItem(INVITATION);
  if (!code) return;
  try {
    const token = await sep10Token(cfg, await localKeypair(), (await localWallet()).account);
    const link = await api("POST", "/wallet/api/invitations/redeem", { code }, { token });
    localStorage.removeItem(INVITATION);
    show($("balance-link"), interpolate(gettext("Your wallet is now linked to %(organization)s."), { organization: link.organization }));
  } catch (err) {
    if (err.status >= 400 && err.status < 500) {
      localStorage.removeItem(INVITATION);
      show($("balance-link-error"), err.message);
    }
  }
}

async function links(cfg) {
  try {
    const token = await sep10Token(cfg, await localKeypair(), (await localWallet()).account);
    const me = await api("GET", "/wallet/api/me", undefined, { token });
    const names = (me.links || []).map((l) => l.organization);
    if (names.length) show($("balance-orgs"), interpolate(gettext("Your organization: %(names)s"), { names: names.join(", ") }));
  } catch (err) {
    // offline or not linked yet: nothing to show
  }
}

function render(entry, { offline }) {
  $("balance-usdc").textContent = `${formatUsdc(entry.usdc)} USDC`;
  const ars = $("balance-ars");
  if (entry.rate && entry.rate.rate) {
    const age = ageText(Date.parse(entry.rate.quoted_at));
    ars.textContent = interpolate(gettext("≈ $ %(ars)s · crypto dollar bid · %(source)s · %(age)s"), {
      ars: formatArs(entry.usdc, entry.rate.rate),
      source: entry.rate.source,
      age,
    });
    ars.hidden = false;
  } else {
    ars.hidden = true;
  }
  const note = $("balance-note");
  if (offline) {
    show(note, interpolate(gettext("Offline: last balance, %(age)s."), { age: ageText(entry.at) }));
  } else if (!entry.exists) {
    show(note, gettext("Your account is not active on the network yet."));
  } else {
    note.hidden = true;
  }
  $("balance-activate").hidden = offline || entry.exists;
}

async function rate() {
  try {
    const quote = await api("GET", "/wallet/api/rate");
    return quote && quote.rate ? quote : null;
  } catch (err) {
    return null;
  }
}

async function main() {
  registerServiceWorker();
  const invited = new URLSearchParams(window.location.search).get("invitacion");
  if (invited) {
    localStorage.setItem(INVITATION, invited);
    history.replaceState(null, "", "/wallet/");
  }
  const wallet = await requireWallet();
  if (!wallet) return;
  $("balance-account").textContent = shortAddress(wallet.account);
  $("balance-new-code").hidden = localStorage.getItem(NEW_CODE_OFFER) !== wallet.account;
  const cfg = config();
  await invitation(cfg);
  links(cfg);
  try {
    const [balance, quote] = await Promise.all([usdcBalance(cfg, wallet.account), rate()]);
    const entry = { account: wallet.account, usdc: balance.usdc, exists: balance.exists, rate: quote, at: Date.now() };
    localStorage.setItem(LAST, JSON.stringify(entry));
    render(entry, { offline: false });
  } catch (err) {
    const last = JSON.parse(localStorage.getItem(LAST) || "null");
    if (last && last.account === wallet.account) {
      render(last, { offline: true });
    } else {
      show($("balance-note"), gettext("Offline: we could not read your balance yet."));
    }
  }
  document.body.dataset.walletReady = "1";
}

main();
