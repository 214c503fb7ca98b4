// A payment she confirms and signs: her passkey (fingerprint or screen lock) confirms it, her
// key on this phone signs it, and Sozu wraps it in a fee bump (/wallet/api/transactions).

import { api } from "./api.js";
import { localKeypair, localWallet } from "./keys.js";
import { authenticate } from "./passkey.js";
import { buildPayment, sep10Token } from "./stellar.js";

// `payment`: {destination, amount, memo, memoType}; answers the server's {hash, …}.
export async function confirmAndPay(cfg, payment) {
  const wallet = await localWallet();
  await authenticate([wallet.credentialId]);
  const keypair = await localKeypair();
  const tx = await buildPayment(cfg, keypair, wallet.account, payment);
  const token = await sep10Token(cfg, keypair, wallet.account);
  return api("POST", "/wallet/api/transactions", { transaction: tx.toXDR() }, { token });
}
