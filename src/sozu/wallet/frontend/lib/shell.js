// What every page of the wallet does: register the service worker, find her wallet, format.

import { gettext, interpolate, locale, ngettext } from "./i18n.js";
import { localWallet } from "./keys.js";

// Set at the end of a recovery on this phone (her old code still signs): Saldo offers a new code
// until she makes one (Mi código de recuperación clears it).
export const NEW_CODE_OFFER = "sozu-new-code-offer";

export function registerServiceWorker() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/wallet/sw.js", { scope: "/wallet/" }).catch(() => {});
  }
}

// Her wallet on this device, or a trip to the sign-in page.
export async function requireWallet() {
  const wallet = await localWallet();
  if (!wallet) {
    window.location.assign("/wallet/entrar/");
    return null;
  }
  return wallet;
}

const usdcFormat = new Intl.NumberFormat(locale(), { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const arsFormat = new Intl.NumberFormat(locale(), { minimumFractionDigits: 0, maximumFractionDigits: 0 });

// Amounts arrive as decimal strings; the display rounds them, nothing is computed with floats
// that is ever paid.
export function formatUsdc(value) {
  return usdcFormat.format(Number(value));
}

export function formatArs(usdcAmount, rate) {
  // Display only: pesos = USDC × rate, rounded to the peso.
  return arsFormat.format(Number(usdcAmount) * Number(rate));
}

export function ageText(timestamp, now = Date.now()) {
  const minutes = Math.max(0, Math.floor((now - timestamp) / 60000));
  if (minutes < 1) return gettext("less than 1 min ago");
  if (minutes < 60) return interpolate(gettext("%(minutes)s min ago"), { minutes });
  const hours = Math.floor(minutes / 60);
  return interpolate(ngettext("%(hours)s hour ago", "%(hours)s hours ago", hours), { hours });
}

export function show(el, text) {
  if (!el) return;
  el.textContent = text;
  el.hidden = false;
}

export function shortAddress(a) {
  return a ? `${a.slice(0, 6)}…${a.slice(-6)}` : "";
}
