// WebAuthn ceremonies against /wallet/api/passkeys/…, with the PRF extension.
// What goes to the server is the attestation or assertion only: the PRF output stays here.

import { api } from "./api.js";
import { fromB64url, toB64url } from "./bytes.js";
import { prfInput } from "./keys.js";

function creationOptions(json, salt) {
  const o = json;
  return {
    ...o,
    challenge: fromB64url(o.challenge),
    user: { ...o.user, id: fromB64url(o.user.id) },
    excludeCredentials: (o.excludeCredentials || []).map((c) => ({ ...c, id: fromB64url(c.id) })),
    extensions: { prf: { eval: { first: salt } } },
  };
}

function requestOptions(json, salt) {
  const o = json;
  const out = {
    ...o,
    challenge: fromB64url(o.challenge),
    extensions: { prf: { eval: { first: salt } } },
  };
  if (o.allowCredentials && o.allowCredentials.length) {
    out.allowCredentials = o.allowCredentials.map((c) => ({ ...c, id: fromB64url(c.id) }));
  } else {
    delete out.allowCredentials;
  }
  return out;
}

// The credential as py_webauthn reads it. clientExtensionResults is sent EMPTY on purpose:
// it would carry the PRF output.
function attestationJSON(cred) {
  const r = cred.response;
  return {
    id: cred.id,
    rawId: toB64url(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment || undefined,
    clientExtensionResults: {},
    response: {
      clientDataJSON: toB64url(r.clientDataJSON),
      attestationObject: toB64url(r.attestationObject),
      transports: typeof r.getTransports === "function" ? r.getTransports() : [],
    },
  };
}

function assertionJSON(cred) {
  const r = cred.response;
  return {
    id: cred.id,
    rawId: toB64url(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment || undefined,
    clientExtensionResults: {},
    response: {
      clientDataJSON: toB64url(r.clientDataJSON),
      authenticatorData: toB64url(r.authenticatorData),
      signature: toB64url(r.signature),
      userHandle: r.userHandle ? toB64url(r.userHandle) : undefined,
    },
  };
}

function prfResult(cred) {
  const ext = typeof cred.getClientExtensionResults === "function" ? cred.getClientExtensionResults() : {};
  const prf = ext.prf || null;
  const first = prf && prf.results && prf.results.first;
  const bytes = first ? new Uint8Array(first) : null;
  return { enabled: prf ? prf.enabled : undefined, output: bytes && bytes.length === 32 ? bytes : null };
}

// Sign-up: a new passkey (resident, user verification required), PRF asked at create.
export async function register() {
  const begun = await api("POST", "/wallet/api/passkeys/register/begin", {});
  const cred = await navigator.credentials.create({
    publicKey: creationOptions(begun.options, await prfInput()),
  });
  const prf = prfResult(cred);
  const server = await api("POST", "/wallet/api/passkeys/register/finish", {
    credential: attestationJSON(cred),
  });
  return { server, prf };
}

// Sign-in (and "Activá tu billetera"): an assertion with PRF; ids limit it to given passkeys.
export async function authenticate(credentialIds) {
  const begun = await api("POST", "/wallet/api/passkeys/login/begin", {
    credential_ids: credentialIds || [],
  });
  const cred = await navigator.credentials.get({
    publicKey: requestOptions(begun.options, await prfInput()),
  });
  const prf = prfResult(cred);
  const server = await api("POST", "/wallet/api/passkeys/login/finish", {
    credential: assertionJSON(cred),
  });
  return { server, prf };
}
