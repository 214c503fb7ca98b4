// The Stellar side in the browser, with @stellar/stellar-sdk: balances and payments read from
// Horizon, SEP-10 sign-in, SEP-7 pay URIs, and the payment she signs (Sozu pays the fee bump).

import {
  Asset,
  Horizon,
  Memo,
  MuxedAccount,
  Operation,
  StrKey,
  TransactionBuilder,
} from "@stellar/stellar-sdk";
import { api } from "./api.js";
import { gettext } from "./i18n.js";

export function config() {
  const node = document.getElementById("wallet-config");
  return JSON.parse(node.textContent);
}

export function horizon(cfg) {
  return new Horizon.Server(cfg.horizon_url, { allowHttp: cfg.horizon_url.startsWith("http:") });
}

export function usdc(cfg) {
  return new Asset(cfg.usdc.code, cfg.usdc.issuer);
}

// USDC balance as a string ("0" when the account or the trustline is not there yet).
export async function usdcBalance(cfg, account) {
  let record;
  try {
    record = await horizon(cfg).accounts().accountId(account).call();
  } catch (err) {
    if (err && err.response && err.response.status === 404) return { exists: false, usdc: "0" };
    throw err;
  }
  const line = (record.balances || []).find(
    (b) => b.asset_code === cfg.usdc.code && b.asset_issuer === cfg.usdc.issuer,
  );
  return { exists: true, usdc: line ? line.balance : "0", trustline: !!line };
}

// Payments of USDC of the configured issuer only: other assets and claimable balances are spam.
export async function usdcPayments(cfg, account) {
  let page;
  try {
    page = await horizon(cfg).payments().forAccount(account).order("desc").limit(50).call();
  } catch (err) {
    if (err && err.response && err.response.status === 404) return [];
    throw err;
  }
  return (page.records || [])
    .filter(
      (p) =>
        (p.type === "payment" || p.type === "path_payment_strict_receive" || p.type === "path_payment_strict_send") &&
        p.asset_code === cfg.usdc.code &&
        p.asset_issuer === cfg.usdc.issuer &&
        p.transaction_successful !== false,
    )
    .map((p) => ({
      id: p.id,
      incoming: p.to === account,
      amount: p.amount,
      counterparty: p.to === account ? p.from : p.to,
      at: p.created_at,
      hash: p.transaction_hash,
    }));
}

// SEP-10: a challenge from /auth, signed with her key, answered for a short-lived token.
// `account` is her G… address; `keypair` her device key (after a recovery, not the master key).
export async function sep10Token(cfg, keypair, account = keypair.publicKey()) {
  let cached = sessionStorage.getItem("sozu-sep10");
  if (cached) {
    cached = JSON.parse(cached);
    if (cached.account === account && cached.signer === keypair.publicKey() && cached.exp > Date.now() / 1000 + 30) {
      return cached.token;
    }
  }
  const challenge = await api("GET", `/auth?account=${encodeURIComponent(account)}`);
  const tx = TransactionBuilder.fromXDR(challenge.transaction, challenge.network_passphrase || cfg.network_passphrase);
  if (tx.source === account || !tx.operations.length || tx.operations[0].source !== account) {
    throw new Error(gettext("The sign-in challenge is not valid."));
  }
  tx.sign(keypair);
  const answered = await api("POST", "/auth", { transaction: tx.toXDR() });
  const payload = JSON.parse(atob(answered.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  sessionStorage.setItem(
    "sozu-sep10",
    JSON.stringify({ token: answered.token, account, signer: keypair.publicKey(), exp: payload.exp }),
  );
  return answered.token;
}

// --- SEP-7 ---------------------------------------------------------------------------------

export function payUri(cfg, account, amount) {
  const params = new URLSearchParams({
    destination: account,
    asset_code: cfg.usdc.code,
    asset_issuer: cfg.usdc.issuer,
  });
  if (amount) params.set("amount", amount);
  return `web+stellar:pay?${params.toString()}`;
}

export function validAddress(value) {
  if (StrKey.isValidEd25519PublicKey(value)) return true;
  if (value.startsWith("M")) {
    try {
      MuxedAccount.fromAddress(value, "0");
      return true;
    } catch (err) {
      return false;
    }
  }
  return false;
}

// A G/M address or a web+stellar:pay URI → {destination, amount, memo, memoType} or an Error.
export function parsePayment(cfg, input) {
  const text = (input || "").trim();
  if (!text) throw new Error(gettext("Enter an address or a payment code."));
  if (!text.startsWith("web+stellar:")) {
    if (!validAddress(text)) throw new Error(gettext("The address is not valid (it starts with G or M)."));
    return { destination: text, amount: "", memo: "", memoType: "", origin: "" };
  }
  throw new Error(gettext("This payment code is checked by Sozu."));
}

function memoFrom(memo, memoType) {
  if (!memo) return Memo.none();
  if (memoType === "MEMO_ID") return Memo.id(memo);
  if (memoType === "MEMO_HASH") return Memo.hash(memo);
  if (memoType && memoType !== "MEMO_TEXT") throw new Error(gettext("Unsupported memo type."));
  if (new TextEncoder().encode(memo).length > 28) throw new Error(gettext("The memo is longer than 28 bytes."));
  return Memo.text(memo);
}

// The inner transaction she signs; Sozu wraps it in a fee bump and pays the fee.
export async function buildPayment(cfg, keypair, account, { destination, amount, memo, memoType }) {
  if (!/^\d+(\.\d{1,7})?$/.test(amount) || Number(amount) <= 0) {
    throw new Error(gettext("The amount is not valid."));
  }
  const server = horizon(cfg);
  const source = await server.loadAccount(account);
  const tx = new TransactionBuilder(source, { fee: "100", networkPassphrase: cfg.network_passphrase })
    .addOperation(Operation.payment({ destination, asset: usdc(cfg), amount }))
    .addMemo(memoFrom(memo, memoType))
    .setTimeout(180)
    .build();
  try {
    await server.checkMemoRequired(tx);
  } catch (err) {
    if (err && err.name === "AccountRequiresMemoError") {
      throw new Error(gettext("That account requires a memo: ask the person you are paying for it."));
    }
    throw err;
  }
  tx.sign(keypair);
  return tx;
}

// The server's refusal codes of a payment, in her words ("" for a code not listed here).
export function payError(code) {
  const messages = {
    insufficient_balance: gettext("Your balance is not enough."),
    destination_missing: gettext("That account does not exist on the network."),
    no_trustline: gettext("That account cannot receive USDC."),
    memo_required: gettext("That account requires a memo."),
    operation_not_allowed: gettext("This operation is not allowed."),
    bad_sequence: gettext("Another operation got in the way: try again."),
    network_unavailable: gettext("Offline: try again in a while."),
  };
  return messages[code] || "";
}

