// Saldo: USDC from Horizon, its ARS equivalent from /wallet/api/rate; offline, the last one.

import { api } from "./lib/api.js";
import { ageText, formatArs, formatUsdc, registerServiceWorker, requireWallet, shortAddress, show } from "./lib/shell.js";
import { config, usdcBalance } from "./lib/stellar.js";

const $ = (id) => document.getElementById(id);
const LAST = "sozu-last-balance";

function render(entry, { offline }) {
  $("balance-usdc").textContent = `${formatUsdc(entry.usdc)} USDC`;
  const ars = $("balance-ars");
  if (entry.rate && entry.rate.rate) {
    const age = ageText(Date.parse(entry.rate.quoted_at));
    ars.textContent = `≈ $ ${formatArs(entry.usdc, entry.rate.rate)} · dólar cripto compra · ${entry.rate.source} · ${age}`;
    ars.hidden = false;
  } else {
    ars.hidden = true;
  }
  const note = $("balance-note");
  if (offline) {
    show(note, `Sin conexión: último saldo, ${ageText(entry.at)}.`);
  } else if (!entry.exists) {
    show(note, "Tu cuenta todavía no está activa en la red.");
  } else {
    note.hidden = true;
  }
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
  const wallet = await requireWallet();
  if (!wallet) return;
  $("balance-account").textContent = shortAddress(wallet.account);
  const cfg = config();
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
      show($("balance-note"), "Sin conexión: todavía no pudimos leer tu saldo.");
    }
  }
  document.body.dataset.walletReady = "1";
}

main();
