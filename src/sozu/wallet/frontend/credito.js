// Mi crédito: a placeholder until the credit API exists.

import { registerServiceWorker, requireWallet } from "./lib/shell.js";

async function main() {
  registerServiceWorker();
  if (await requireWallet()) document.body.dataset.walletReady = "1";
}

main();
