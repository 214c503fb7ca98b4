// Movimientos: her USDC payments (of the configured issuer only) read from Horizon.

import { formatUsdc, registerServiceWorker, requireWallet, shortAddress, show } from "./lib/shell.js";
import { api } from "./lib/api.js";
import { gettext, interpolate, locale, ngettext } from "./lib/i18n.js";
import { localKeypair, localWallet } from "./lib/keys.js";
import { config, sep10Token, usdcPayments } from "./lib/stellar.js";

// What Sozu knows of her payments (by transaction hash): the NGO that paid each disbursement,
// the loan and cuotas each repayment paid.
async function labels(cfg) {
  try {
    const wallet = await localWallet();
    const token = await sep10Token(cfg, await localKeypair(), wallet.account);
    const known = await api("GET", "/wallet/api/activity", undefined, { token });
    return new Map(known.map((k) => [k.tx_hash, k]));
  } catch (err) {
    return new Map();
  }
}

const dateFormat = new Intl.DateTimeFormat(locale(), { dateStyle: "short", timeStyle: "short" });

async function main() {
  registerServiceWorker();
  const wallet = await requireWallet();
  if (!wallet) return;
  const list = document.getElementById("movements");
  const empty = document.getElementById("movements-empty");
  try {
    const cfg = config();
    const [items, known] = await Promise.all([usdcPayments(cfg, wallet.account), labels(cfg)]);
    if (!items.length) show(empty, gettext("You have no movements yet."));
    for (const p of items) {
      const li = document.createElement("li");
      li.className = p.incoming ? "movement in" : "movement out";
      const what = document.createElement("span");
      what.className = "movement-what";
      const label = known.get(p.hash);
      const who = label && label.organization ? label.organization : shortAddress(p.counterparty);
      if (!p.incoming && label && label.kind === "repayment" && label.cuotas.length) {
        // Her repayment: the loan and the cuotas it paid, as her NGO applied it.
        what.textContent = interpolate(
          ngettext(
            "Paid cuota %(cuotas)s of loan %(loan)s (%(who)s)",
            "Paid cuotas %(cuotas)s of loan %(loan)s (%(who)s)",
            label.cuotas.length,
          ),
          { cuotas: label.cuotas.join(", "), loan: label.loan, who },
        );
      } else {
        what.textContent = p.incoming
          ? interpolate(gettext("Received from %(who)s"), { who })
          : interpolate(gettext("Paid to %(who)s"), { who });
      }
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
    show(empty, gettext("Offline: we could not read your movements."));
  }
  document.body.dataset.walletReady = "1";
}

main();
