// Sign-up and sign-in. Tier A: a 32-byte PRF result AND a backup-eligible passkey: her key is
// sealed under HKDF(PRF) and Sozu keeps only the ciphertext. Tier B: the key stays here.

import { api } from "./lib/api.js";
import { gettext, interpolate } from "./lib/i18n.js";
import {
  forgetDevice,
  keepOnDevice,
  localKeypair,
  localWallet,
  newKeypair,
  openFromServer,
  sealForServer,
} from "./lib/keys.js";
import { authenticate, register } from "./lib/passkey.js";
import { Keypair, TransactionBuilder } from "@stellar/stellar-sdk";
import { config, sep10Token } from "./lib/stellar.js";
import { registerServiceWorker, show } from "./lib/shell.js";
import { supported } from "./lib/support.js";

const $ = (id) => document.getElementById(id);
const status = $("wallet-status");
const problem = $("wallet-problem");

function busy(on) {
  for (const b of document.querySelectorAll("[data-wallet-action], #account-confirm")) b.disabled = on;
}

function fail(err) {
  busy(false);
  const text =
    err && err.name === "NotAllowedError"
      ? gettext("The fingerprint request was cancelled or expired. Try again.")
      : (err && err.message) || gettext("Something went wrong. Try again.");
  show(problem, text);
}

async function bindAccount(keypair) {
  const token = await sep10Token(config(), keypair);
  await api("PUT", "/wallet/api/passkeys/account", {}, { token });
}

async function finish(keypair, prfOutput, server) {
  const tierA = !!prfOutput && server.backup_eligible;
  if (tierA) {
    const blob = await sealForServer(keypair, prfOutput, server.credential_id);
    await api("PUT", "/wallet/api/keyblob", blob);
  } else {
    await api("POST", "/wallet/api/passkeys/tier-device", {});
  }
  await keepOnDevice(keypair, { tier: tierA ? "A" : "B", credentialId: server.credential_id });
  try {
    await bindAccount(keypair);
  } catch (err) {
    // the address is bound on the next sign-in; her key is safe already
  }
  document.body.dataset.walletTier = tierA ? "A" : "B";
  show(
    status,
    tierA
      ? gettext("Done! Your wallet is saved with your fingerprint.")
      : gettext("Done! Your wallet is saved on this phone."),
  );
  await offerAccount(keypair);
}

function roleName(role) {
  const names = {
    device: gettext("this phone"),
    sozu_recovery: gettext("Sozu recovery"),
    recovery_code: gettext("your recovery code"),
  };
  return names[role] || role;
}

function groups(text) {
  return text.match(/.{1,4}/g).join(" ");
}

// Refusals proving that the creation she has in front of her can never be included (another one
// replaced it, its time ran out, its sequence number was used): Sozu builds it again, it is
// checked again and she signs the new one. An unknown outcome is never rebuilt here: the server
// resubmits the envelope it stored.
const REBUILD = new Set(["wallet_tx_expired", "bad_sequence", "wallet_creation_unknown"]);

// What Sozu built must create her account, with her recovery code's key as a signer.
async function requestCreation(cfg, keypair, recovery) {
  const token = await sep10Token(cfg, keypair);
  const built = await api("POST", "/wallet/api/account", { recovery_code_signer: recovery.publicKey() }, { token });
  const tx = TransactionBuilder.fromXDR(built.transaction, cfg.network_passphrase);
  const mine = tx.operations.some((op) => op.destination === keypair.publicKey() || op.source === keypair.publicKey());
  const code = tx.operations.some(
    (op) => op.type === "setOptions" && op.signer && op.signer.ed25519PublicKey === recovery.publicKey(),
  );
  if (built.summary.account !== keypair.publicKey() || !mine || !code) {
    const err = new Error(gettext("The account the server built is not yours: we did not sign it."));
    err.notYours = true;
    throw err;
  }
  return built;
}

async function submitCreation(cfg, keypair, built) {
  // A fresh copy each time: a retry must not carry her signature twice.
  const signed = TransactionBuilder.fromXDR(built.transaction, cfg.network_passphrase);
  signed.sign(keypair);
  const token = await sep10Token(cfg, keypair);
  await api("POST", "/wallet/api/account/submit", { transaction: signed.toXDR() }, { token });
}

// The sponsored account: built by Sozu (0 XLM, USDC trustline, recovery signers), shown decoded,
// signed here with her key, co-signed by the sponsor and submitted by Sozu.
async function offerAccount(keypair) {
  const cfg = config();
  let built;
  const recovery = Keypair.random();
  try {
    built = await requestCreation(cfg, keypair, recovery);
  } catch (err) {
    if (err.notYours) {
      show(problem, err.message);
      return;
    }
    window.location.assign("/wallet/");
    return;
  }
  const summary = built.summary;
  $("wallet-start").hidden = true;
  $("recovery-code").textContent = groups(recovery.secret());
  const list = $("account-summary");
  const items = [
    interpolate(gettext("Your address: %(account)s"), { account: summary.account }),
    interpolate(gettext("Starting balance: %(balance)s XLM (Sozu pays the reserve)"), {
      balance: summary.starting_balance,
    }),
    interpolate(gettext("Can receive %(asset)s"), { asset: summary.asset.code }),
    ...summary.signers.map((s) =>
      interpolate(gettext("Signer %(role)s: weight %(weight)s"), { role: roleName(s.role), weight: s.weight }),
    ),
    interpolate(gettext("Weight %(weight)s is needed to move funds"), { weight: summary.thresholds.medium }),
  ];
  for (const text of items) {
    const li = document.createElement("li");
    li.textContent = text;
    list.append(li);
  }
  busy(false);
  $("wallet-account").hidden = false;
  $("account-confirm").addEventListener(
    "click",
    async () => {
      busy(true);
      try {
        try {
          await submitCreation(cfg, keypair, built);
        } catch (err) {
          if (!REBUILD.has(err.code)) throw err;
          built = await requestCreation(cfg, keypair, recovery);
          await submitCreation(cfg, keypair, built);
        }
        window.location.assign("/wallet/");
      } catch (err) {
        fail(err);
      }
    },
  );
}

async function signUp() {
  problem.hidden = true;
  busy(true);
  try {
    await forgetDevice();
    const { server, prf } = await register();
    const keypair = newKeypair();
    if (prf.output || !server.backup_eligible || prf.enabled !== true) {
      await finish(keypair, prf.output, server);
      return;
    }
    // PRF was not evaluated at create: a second tap runs get() with PRF.
    busy(false);
    $("wallet-signup").hidden = true;
    const activate = $("wallet-activate");
    activate.hidden = false;
    activate.querySelector("button").addEventListener(
      "click",
      async () => {
        busy(true);
        try {
          const second = await authenticate([server.credential_id]);
          activate.hidden = true;
          await finish(keypair, second.prf.output, second.server);
        } catch (err) {
          fail(err); // the button stays: she can tap again
        }
      },
    );
  } catch (err) {
    fail(err);
  }
}

async function signIn() {
  problem.hidden = true;
  busy(true);
  try {
    const { server, prf } = await authenticate([]);
    const local = await localWallet();
    if (local && local.credentialId === server.credential_id) {
      window.location.assign("/wallet/");
      return;
    }
    if (server.has_keyblob && prf.output) {
      const blob = await api("GET", "/wallet/api/keyblob");
      const keypair = await openFromServer(blob, prf.output, server.credential_id);
      await keepOnDevice(keypair, {
        tier: "A",
        credentialId: server.credential_id,
        account: server.account || keypair.publicKey(),
      });
      document.body.dataset.walletTier = "A";
      show(status, gettext("We restored your wallet."));
      window.location.assign("/wallet/");
      return;
    }
    busy(false);
    show(
      problem,
      gettext(
        "Your key was kept on your other phone. To recover it, tap “I lost my phone” and use your recovery code.",
      ),
    );
  } catch (err) {
    fail(err);
  }
}

function copyLink() {
  const url = window.location.href;
  const done = () => show($("wallet-copied"), gettext("Link copied."));
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(url).then(done, () => show($("wallet-copied"), url));
  } else {
    show($("wallet-copied"), url);
  }
}

registerServiceWorker();
if (!supported()) {
  $("wallet-unsupported").hidden = false;
  $("wallet-start").hidden = true;
  $("wallet-copy-link").addEventListener("click", copyLink);
} else {
  $("wallet-signup").querySelector("button").addEventListener("click", signUp);
  $("wallet-signin").addEventListener("click", signIn);
  // From Saldo, when the sponsored account could not be made at sign-up: try again.
  if (new URLSearchParams(window.location.search).get("activar")) {
    localWallet().then(async (wallet) => {
      if (wallet && wallet.account) await offerAccount(await localKeypair());
    });
  }
}
document.body.dataset.walletReady = "1";
