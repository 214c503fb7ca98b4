// Recibir: her address and a QR of a SEP-7 web+stellar:pay URI (USDC, optional amount).

import QRCode from "qrcode";
import { gettext } from "./lib/i18n.js";
import { registerServiceWorker, requireWallet, show } from "./lib/shell.js";
import { config, payUri } from "./lib/stellar.js";

async function draw(cfg, account) {
  const amountInput = document.getElementById("receive-amount");
  const amount = amountInput.value.trim().replace(",", ".");
  const error = document.getElementById("receive-error");
  error.hidden = true;
  if (amount && !/^\d+(\.\d{1,7})?$/.test(amount)) {
    show(error, gettext("The amount is not valid."));
    return;
  }
  const uri = payUri(cfg, account, amount);
  document.getElementById("receive-uri").textContent = uri;
  const img = document.getElementById("receive-qr");
  img.src = await QRCode.toDataURL(uri, { errorCorrectionLevel: "M", margin: 2, width: 280 });
  img.dataset.uri = uri;
}

async function main() {
  registerServiceWorker();
  const wallet = await requireWallet();
  if (!wallet) return;
  const cfg = config();
  document.getElementById("receive-address").textContent = wallet.account;
  await draw(cfg, wallet.account);
  document.getElementById("receive-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    draw(cfg, wallet.account);
  });
  document.getElementById("receive-copy").addEventListener("click", () => {
    if (navigator.clipboard) navigator.clipboard.writeText(wallet.account).catch(() => {});
    show(document.getElementById("receive-copied"), gettext("Address copied."));
  });
  document.body.dataset.walletReady = "1";
}

main();
