// Sign-up and sign-in. Tier A: a 32-byte PRF result AND a backup-eligible passkey: her key is
// sealed under HKDF(PRF) and Sozu keeps only the ciphertext. Tier B: the key stays here.

import { api } from "./lib/api.js";
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
      ? "Se canceló o se venció el pedido de la huella. Probá de nuevo."
      : (err && err.message) || "Algo salió mal. Probá de nuevo.";
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
  show(status, tierA ? "¡Listo! Tu billetera está guardada con tu huella." : "¡Listo! Tu billetera quedó guardada en este teléfono.");
  await offerAccount(keypair);
}

const ROLES = {
  device: "este teléfono",
  sozu_recovery: "recuperación de Sozu",
  recovery_code: "tu código de recuperación",
};

function groups(text) {
  return text.match(/.{1,4}/g).join(" ");
}

// The sponsored account: built by Sozu (0 XLM, USDC trustline, recovery signers), shown decoded,
// signed here with her key, co-signed by the sponsor and submitted by Sozu.
async function offerAccount(keypair) {
  const cfg = config();
  let built;
  const recovery = Keypair.random();
  try {
    const token = await sep10Token(cfg, keypair);
    built = await api("POST", "/wallet/api/account", { recovery_code_signer: recovery.publicKey() }, { token });
  } catch (err) {
    window.location.assign("/wallet/");
    return;
  }
  const tx = TransactionBuilder.fromXDR(built.transaction, cfg.network_passphrase);
  const summary = built.summary;
  const mine = tx.operations.some((op) => op.destination === keypair.publicKey() || op.source === keypair.publicKey());
  if (summary.account !== keypair.publicKey() || !mine) {
    show(problem, "La cuenta que armó el servidor no es la tuya: no la firmamos.");
    return;
  }
  $("wallet-start").hidden = true;
  $("recovery-code").textContent = groups(recovery.secret());
  const list = $("account-summary");
  const items = [
    `Tu dirección: ${summary.account}`,
    `Saldo inicial: ${summary.starting_balance} XLM (Sozu paga la reserva)`,
    `Puede recibir ${summary.asset.code}`,
    ...summary.signers.map((s) => `Firma ${ROLES[s.role] || s.role}: peso ${s.weight}`),
    `Se necesita peso ${summary.thresholds.medium} para mover fondos`,
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
        // A fresh copy each time: a retry must not carry her signature twice.
        const signed = TransactionBuilder.fromXDR(built.transaction, cfg.network_passphrase);
        signed.sign(keypair);
        const token = await sep10Token(cfg, keypair);
        await api("POST", "/wallet/api/account/submit", { transaction: signed.toXDR() }, { token });
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
      show(status, "Recuperamos tu billetera.");
      window.location.assign("/wallet/");
      return;
    }
    busy(false);
    show(
      problem,
      "Tu clave quedó guardada en tu otro teléfono. Para recuperarla, tocá «Perdí mi teléfono» y usá tu código de recuperación.",
    );
  } catch (err) {
    fail(err);
  }
}

function copyLink() {
  const url = window.location.href;
  const done = () => show($("wallet-copied"), "Enlace copiado.");
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
