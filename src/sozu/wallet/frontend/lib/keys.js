// Her Stellar key on her phone. The secret is made here and never sent anywhere:
// - on this device it is kept encrypted under a non-extractable AES-GCM key in IndexedDB;
// - tier A also sends Sozu a copy encrypted under HKDF(PRF output): only her passkey opens it.

import { Keypair } from "@stellar/stellar-sdk";
import { get, set, del } from "idb-keyval";
import { fromB64url, toB64url, utf8 } from "./bytes.js";

const STORE_KEY = "sozu-wallet-v1";
const HKDF_INFO = utf8("sozu wallet key v1");

// The PRF input: the same for every ceremony, so the same passkey gives the same output.
export async function prfInput() {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", utf8("sozu/wallet/prf/v1")));
}

export function newKeypair() {
  return Keypair.random();
}

async function wrappingKey(prfOutput, salt) {
  const base = await crypto.subtle.importKey("raw", prfOutput, "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt, info: HKDF_INFO },
    base,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

// Tier A: {ciphertext, iv, salt} (base64url) of the raw seed, bound to the credential id.
export async function sealForServer(keypair, prfOutput, credentialId) {
  const salt = crypto.getRandomValues(new Uint8Array(32));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await wrappingKey(prfOutput, salt);
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: utf8(credentialId) },
    key,
    keypair.rawSecretKey(),
  );
  return { ciphertext: toB64url(sealed), iv: toB64url(iv), salt: toB64url(salt) };
}

export async function openFromServer(blob, prfOutput, credentialId) {
  const key = await wrappingKey(prfOutput, fromB64url(blob.salt));
  const seed = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromB64url(blob.iv), additionalData: utf8(credentialId) },
    key,
    fromB64url(blob.ciphertext),
  );
  return Keypair.fromRawEd25519Seed(new Uint8Array(seed));
}

// This device's copy: a fresh non-extractable key; IndexedDB keeps the CryptoKey object itself.
// `account` differs from the key's own address after a recovery (her new device key signs for
// her old account).
export async function keepOnDevice(keypair, { tier, credentialId, account = keypair.publicKey() }) {
  const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
    "encrypt",
    "decrypt",
  ]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, keypair.rawSecretKey());
  await set(STORE_KEY, {
    version: 1,
    account,
    tier,
    credentialId,
    key,
    iv,
    sealed: new Uint8Array(sealed),
    createdAt: Date.now(),
  });
  if (navigator.storage && typeof navigator.storage.persist === "function") {
    try {
      await navigator.storage.persist();
    } catch (err) {
      // best effort: the browser may refuse; the key still works
    }
  }
}

export async function localWallet() {
  const stored = await get(STORE_KEY);
  return stored && stored.version === 1 ? stored : null;
}

export async function localKeypair() {
  const stored = await localWallet();
  if (!stored) return null;
  const seed = await crypto.subtle.decrypt({ name: "AES-GCM", iv: stored.iv }, stored.key, stored.sealed);
  return Keypair.fromRawEd25519Seed(new Uint8Array(seed));
}

export async function forgetDevice() {
  await del(STORE_KEY);
}
