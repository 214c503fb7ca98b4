// Movimientos: her USDC payments (of the configured issuer only) read from Horizon.

import { formatUsdc, registerServiceWorker, requireWallet, shortAddress, show } from "./lib/shell.js";
import { config, usdcPayments } from "./lib/stellar.js";

const dateFormat = new Intl.DateTimeFormat("es-AR", { dateStyle: "short", timeStyle: "short" });

async function main() {
  registerServiceWorker();
  const wallet = await requireWallet();
  if (!wallet) return;
  const list = document.getElementById("movements");
  const empty = document.getElementById("movements-empty");
  try {
    const items = await usdcPayments(config(), wallet.account);
    if (!items.length) show(empty, "Todavía no tenés movimientos.");
    for (const p of items) {
      const li = document.createElement("li");
      li.className = p.incoming ? "movement in" : "movement out";
      const what = document.createElement("span");
      what.className = "movement-what";
      what.textContent = `${p.incoming ? "Recibiste de" : "Pagaste a"} ${shortAddress(p.counterparty)}`;
      const amount = document.createElement("span");
      amount.className = "movement-amount";
      amount.textContent = `${p.incoming ? "+" : "−"}${formatUsdc(p.amount)} USDC`;
      const when = document.createElement("time");
      when.dateTime = p.at;
      when.textContent = dateFormat.format(new Date(p.at));
      li.append(what, amount, when);
      list.append(li);
    }
  } catch (err) {
    show(empty, "Sin conexión: no pudimos leer tus movimientos.");
  }
  document.body.dataset.walletReady = "1";
}

main();
