// Pagar: to a G/M address or a SEP-7 URI; what will be signed is shown first; she signs here and
// Sozu wraps it in a fee bump (/wallet/api/transactions).

import jsQR from "jsqr";
import { api } from "./lib/api.js";
import { gettext, interpolate } from "./lib/i18n.js";
import { localKeypair, localWallet } from "./lib/keys.js";
import { confirmAndPay } from "./lib/pay.js";
import { formatUsdc, registerServiceWorker, requireWallet, show } from "./lib/shell.js";
import { config, parsePayment, payError, sep10Token } from "./lib/stellar.js";

const $ = (id) => document.getElementById(id);
let pending = null;

function problem(text) {
  show($("pay-error"), text);
}

// A web+stellar: URI is checked by Sozu (decoded, its signature verified against the origin's
// key; a changed or forged request is refused); a plain address is checked here.
async function decode(cfg, text) {
  if (!text.trim().startsWith("web+stellar:")) return parsePayment(cfg, text);
  const keypair = await localKeypair();
  const token = await sep10Token(cfg, keypair, (await localWallet()).account);
  const found = await api("POST", "/wallet/api/sep7/check", { uri: text.trim() }, { token });
  if (found.asset_code !== cfg.usdc.code || found.asset_issuer !== cfg.usdc.issuer) {
    throw new Error(gettext("This payment request is not in USDC."));
  }
  return {
    destination: found.destination,
    amount: found.amount || "",
    memo: found.memo || "",
    memoType: found.memo_type || "",
    origin: found.verified ? found.origin_domain : "",
  };
}

async function review(ev) {
  ev.preventDefault();
  $("pay-error").hidden = true;
  $("pay-done").hidden = true;
  $("pay-review").hidden = true;
  pending = null;
  try {
    const parsed = await decode(config(), $("pay-to").value);
    const amount = (parsed.amount || $("pay-amount").value.trim()).replace(",", ".");
    if (!/^\d+(\.\d{1,7})?$/.test(amount) || Number(amount) <= 0) throw new Error(gettext("The amount is not valid."));
    const memo = parsed.memo || $("pay-memo").value.trim();
    pending = { ...parsed, amount, memo };
    $("review-destination").textContent = pending.destination;
    $("review-amount").textContent = `${formatUsdc(amount)} USDC`;
    $("review-memo").textContent = memo || gettext("(no memo)");
    const origin = $("review-origin");
    origin.textContent = parsed.origin ? interpolate(gettext("Request signed by %(origin)s"), { origin: parsed.origin }) : "";
    origin.hidden = !parsed.origin;
    $("pay-review").hidden = false;
  } catch (err) {
    pending = null;
    problem(err.message);
  }
}

async function confirm() {
  if (!pending) return;
  const button = $("pay-confirm");
  button.disabled = true;
  try {
    // Her fingerprint or screen lock confirms every payment (the passkey she signed up with).
    const result = await confirmAndPay(config(), pending);
    $("pay-review").hidden = true;
    show($("pay-done"), interpolate(gettext("Payment sent. Code: %(code)s…"), { code: result.hash.slice(0, 12) }));
    pending = null;
  } catch (err) {
    const cancelled = err && err.name === "NotAllowedError";
    problem(
      cancelled
        ? gettext("The fingerprint confirmation was cancelled: the payment was not sent.")
        : payError(err.code) || err.message || gettext("The payment could not be sent."),
    );
  } finally {
    button.disabled = false;
  }
}

// A QR photographed with the phone's camera (a file input: works on any phone, no live
// camera permission needed), read with jsQR.
async function scan(ev) {
  const file = ev.target.files && ev.target.files[0];
  if (!file) return;
  $("pay-error").hidden = true;
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, 1200 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    const ctx = canvas.getContext("2d");
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const found = jsQR(pixels.data, canvas.width, canvas.height);
    if (!found || !found.data) throw new Error(gettext("We found no QR code in the photo."));
    $("pay-to").value = found.data;
    $("pay-form").requestSubmit();
  } catch (err) {
    problem(err.message || gettext("We could not read the photo."));
  } finally {
    ev.target.value = "";
  }
}

async function main() {
  registerServiceWorker();
  const wallet = await requireWallet();
  if (!wallet) return;
  $("pay-form").addEventListener("submit", review);
  $("pay-scan").addEventListener("change", scan);
  $("pay-confirm").addEventListener("click", confirm);
  $("pay-cancel").addEventListener("click", () => {
    pending = null;
    $("pay-review").hidden = true;
  });
  const fromUri = new URLSearchParams(window.location.search).get("uri");
  if (fromUri) $("pay-to").value = fromUri;
  document.body.dataset.walletReady = "1";
}

main();
