// Mi código de recuperación: a new recovery code replaces the old one. The new key is made here
// (as at sign-up) and only its G key leaves the phone; she signs with her device key (20 = the
// threshold) one transaction that adds the new code at 10 and removes the old one, Sozu sponsors
// the new signer's reserve and pays the fee bump (/wallet/api/transactions).

import { Operation, TransactionBuilder } from "@stellar/stellar-sdk";
import { api } from "./lib/api.js";
import { gettext, interpolate } from "./lib/i18n.js";
import { localKeypair, localWallet, newKeypair } from "./lib/keys.js";
import { authenticate } from "./lib/passkey.js";
import { NEW_CODE_OFFER, registerServiceWorker, requireWallet, shortAddress, show } from "./lib/shell.js";
import { config, horizon, payError, sep10Token } from "./lib/stellar.js";

const $ = (id) => document.getElementById(id);
const CODE_WEIGHT = 10;
let pending = null;

function problem(text) {
  show($("code-problem"), text);
}

function groups(text) {
  return text.match(/.{1,4}/g).join(" ");
}

// Her recovery codes on the network: every signer that is not her device key, not her master
// key and not Sozu's recovery signer (from /wallet/api/config, as at sign-up).
function codeSigners(record, { account, device, sozuRecovery }) {
  return (record.signers || [])
    .filter((s) => s.type === "ed25519_public_key" && s.weight > 0 && s.weight <= CODE_WEIGHT)
    .map((s) => s.key)
    .filter((key) => key !== account && key !== device && key !== sozuRecovery);
}

async function prepare() {
  $("code-problem").hidden = true;
  $("code-new").disabled = true;
  try {
    const cfg = config();
    const wallet = await localWallet();
    const keypair = await localKeypair();
    const service = await api("GET", "/wallet/api/config");
    const source = await horizon(cfg).loadAccount(wallet.account);
    const old = codeSigners(source, {
      account: wallet.account,
      device: keypair.publicKey(),
      sozuRecovery: service.recovery_signer,
    });
    const code = newKeypair();
    const builder = new TransactionBuilder(source, { fee: "100", networkPassphrase: cfg.network_passphrase })
      .addOperation(Operation.beginSponsoringFutureReserves({ sponsoredId: wallet.account, source: service.sponsor }));
    for (const key of old) {
      builder.addOperation(Operation.setOptions({ signer: { ed25519PublicKey: key, weight: 0 }, source: wallet.account }));
    }
    const tx = builder
      .addOperation(
        Operation.setOptions({ signer: { ed25519PublicKey: code.publicKey(), weight: CODE_WEIGHT }, source: wallet.account }),
      )
      .addOperation(Operation.endSponsoringFutureReserves({ source: wallet.account }))
      .setTimeout(300)
      .build();
    // What she signs, decoded from the transaction itself.
    const items = [];
    for (const op of tx.operations) {
      if (op.type !== "setOptions" || !op.signer) continue;
      const key = op.signer.ed25519PublicKey;
      items.push(
        Number(op.signer.weight) > 0
          ? interpolate(gettext("Add your new code (%(key)s): weight %(weight)s"), {
              key: shortAddress(key),
              weight: op.signer.weight,
            })
          : interpolate(gettext("Remove your old code (%(key)s): it stops working"), { key: shortAddress(key) }),
      );
    }
    items.push(
      interpolate(gettext("Unchanged: this phone (weight 20), Sozu recovery (weight 10); weight %(weight)s is needed to move funds"), {
        weight: source.thresholds ? source.thresholds.med_threshold : 20,
      }),
      gettext("Sozu pays the cost."),
    );
    const list = $("code-changes");
    list.replaceChildren();
    for (const text of items) {
      const li = document.createElement("li");
      li.textContent = text;
      list.append(li);
    }
    pending = { tx, code, wallet, keypair, cfg };
    $("code-start").hidden = true;
    $("code-review").hidden = false;
  } catch (err) {
    problem((err && err.message) || gettext("Something went wrong. Try again."));
  } finally {
    $("code-new").disabled = false;
  }
}

async function confirm() {
  if (!pending) return;
  const button = $("code-confirm");
  button.disabled = true;
  try {
    const { tx, code, wallet, keypair, cfg } = pending;
    // Her fingerprint or screen lock confirms it, as for a payment.
    await authenticate([wallet.credentialId]);
    tx.sign(keypair);
    const token = await sep10Token(cfg, keypair, wallet.account);
    await api("POST", "/wallet/api/transactions", { transaction: tx.toXDR() }, { token });
    localStorage.removeItem(NEW_CODE_OFFER);
    $("code-review").hidden = true;
    $("code-secret").textContent = groups(code.secret());
    $("code-done").hidden = false;
    pending = null;
  } catch (err) {
    const cancelled = err && err.name === "NotAllowedError";
    problem(
      cancelled
        ? gettext("The fingerprint confirmation was cancelled: your code did not change.")
        : payError(err.code) || err.message || gettext("Something went wrong. Try again."),
    );
    if (!cancelled) {
      pending = null; // built again (a fresh sequence number) on the next tap
      $("code-review").hidden = true;
      $("code-start").hidden = false;
    }
  } finally {
    button.disabled = false;
  }
}

async function main() {
  registerServiceWorker();
  const wallet = await requireWallet();
  if (!wallet) return;
  $("code-new").addEventListener("click", prepare);
  $("code-confirm").addEventListener("click", confirm);
  $("code-cancel").addEventListener("click", () => {
    pending = null;
    $("code-review").hidden = true;
    $("code-start").hidden = false;
  });
  document.body.dataset.walletReady = "1";
}

main();
