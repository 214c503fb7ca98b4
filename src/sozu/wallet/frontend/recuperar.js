// Recovery on a new phone (tier B, or a tier-A passkey that did not sync): her recovery code,
// a code sent by SMS to the phone her NGO has, the NGO's confirmation; then the recovery code's
// key and Sozu's recovery signer add her new device key. Her recovery code never leaves here:
// only its G key and a signature by it are sent.

import { Keypair, TransactionBuilder } from "@stellar/stellar-sdk";
import { api } from "./lib/api.js";
import { gettext, interpolate } from "./lib/i18n.js";
import { keepOnDevice } from "./lib/keys.js";
import { authenticate, register } from "./lib/passkey.js";
import { sealForServer } from "./lib/keys.js";
import { NEW_CODE_OFFER, registerServiceWorker, show } from "./lib/shell.js";
import { config, horizon, sep10Token } from "./lib/stellar.js";
import { supported } from "./lib/support.js";

const $ = (id) => document.getElementById(id);
const state = {};

function step(id) {
  for (const s of document.querySelectorAll("[data-recover-step]")) s.hidden = s.id !== id;
  $("recover-problem").hidden = true;
}

function fail(err) {
  const text =
    err && err.name === "NotAllowedError"
      ? gettext("The fingerprint request was cancelled or expired. Try again.")
      : (err && err.message) || gettext("Something went wrong. Try again.");
  show($("recover-problem"), text);
}

function b64(bytes) {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}

async function start(ev) {
  ev.preventDefault();
  try {
    const cfg = config();
    let codeKey;
    try {
      codeKey = Keypair.fromSecret($("recover-code").value.replace(/\s+/g, "").toUpperCase());
    } catch (err) {
      throw new Error(gettext("The recovery code is not valid: check it."));
    }
    const page = await horizon(cfg).accounts().forSigner(codeKey.publicKey()).call();
    const found = (page.records || []).filter((a) => a.id !== codeKey.publicKey());
    if (found.length !== 1) {
      // A code replaced by a new one is no longer a signer anywhere.
      throw new Error(gettext("This code does not open any wallet. If you made a new code, use the new one."));
    }
    const account = found[0].id;
    const device = Keypair.random();
    const proof = codeKey.sign(new TextEncoder().encode(`sozu-recovery:${account}:${device.publicKey()}`));
    const started = await api("POST", "/wallet/api/recovery", {
      account,
      new_device_key: device.publicKey(),
      recovery_code_key: codeKey.publicKey(),
      proof: b64(new Uint8Array(proof)),
    });
    Object.assign(state, { cfg, codeKey, account, device, handle: started.handle });
    step("recover-step-sms");
  } catch (err) {
    fail(err);
  }
}

async function checkSms(ev) {
  ev.preventDefault();
  try {
    const code = $("recover-sms").value.replace(/\s+/g, "");
    await api("POST", `/wallet/api/recovery/${state.handle}/code`, { code });
    step("recover-step-staff");
  } catch (err) {
    fail(err);
  }
}

async function confirmed() {
  try {
    const status = await api("GET", `/wallet/api/recovery/${state.handle}`);
    if (status.status !== "ready") {
      show($("recover-problem"), gettext("Your organization has not confirmed yet. Try again in a while."));
      return;
    }
    const built = await api("GET", `/wallet/api/recovery/${state.handle}/transaction`);
    const tx = TransactionBuilder.fromXDR(built.transaction, state.cfg.network_passphrase);
    const adds = tx.operations.some(
      (op) => op.type === "setOptions" && op.signer && op.signer.ed25519PublicKey === state.device.publicKey(),
    );
    if (!adds) throw new Error(gettext("The operation the server built does not add your phone: we did not sign it."));
    state.tx = tx;
    $("recover-summary").textContent = interpolate(gettext("Your account %(account)s will be signed with this phone from now on."), {
      account: state.account,
    });
    step("recover-step-sign");
  } catch (err) {
    fail(err);
  }
}

async function finish() {
  $("recover-sign").disabled = true;
  try {
    state.tx.sign(state.codeKey);
    await api("POST", `/wallet/api/recovery/${state.handle}/submit`, { transaction: state.tx.toXDR() });
    // A passkey for this phone; the new device key is kept as at sign-up.
    let { server, prf } = await register();
    if (!prf.output && server.backup_eligible && prf.enabled === true) {
      // PRF not evaluated at create: the same second tap as at sign-up.
      step("recover-step-activate");
      await new Promise((resolve) => $("recover-activate").addEventListener("click", resolve, { once: true }));
      ({ server, prf } = await authenticate([server.credential_id]));
    }
    const tierA = !!prf.output && server.backup_eligible;
    if (tierA) {
      await api("PUT", "/wallet/api/keyblob", await sealForServer(state.device, prf.output, server.credential_id));
    } else {
      await api("POST", "/wallet/api/passkeys/tier-device", {});
    }
    await keepOnDevice(state.device, {
      tier: tierA ? "A" : "B",
      credentialId: server.credential_id,
      account: state.account,
    });
    const token = await sep10Token(state.cfg, state.device, state.account);
    await api("PUT", "/wallet/api/passkeys/account", {}, { token });
    // The code she used is still a signer: Saldo offers to replace it.
    localStorage.setItem(NEW_CODE_OFFER, state.account);
    window.location.assign("/wallet/");
  } catch (err) {
    $("recover-sign").disabled = false;
    fail(err);
  }
}

registerServiceWorker();
if (!supported()) {
  show($("recover-problem"), gettext("Open this link in Chrome."));
  $("recover-step-code").hidden = true;
} else {
  $("recover-step-code").addEventListener("submit", start);
  $("recover-step-sms").addEventListener("submit", checkSms);
  $("recover-confirmed").addEventListener("click", confirmed);
  $("recover-sign").addEventListener("click", finish);
}
document.body.dataset.walletReady = "1";
