// What this browser can do, by feature detection; in-app browsers are recognised (they break
// passkeys even when the API object exists), but no capability is ever inferred from the UA.

const IN_APP = /\b(FBAN|FBAV|FB_IAB|Instagram|WhatsApp|Line\/|MicroMessenger|Snapchat)\b/i;

export function inAppBrowser() {
  return IN_APP.test(navigator.userAgent || "");
}

export function webauthnAvailable() {
  return (
    window.isSecureContext === true &&
    typeof window.PublicKeyCredential === "function" &&
    !!navigator.credentials &&
    typeof navigator.credentials.create === "function" &&
    !!(window.crypto && window.crypto.subtle) &&
    typeof indexedDB !== "undefined"
  );
}

export async function platformAuthenticator() {
  try {
    return await PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable();
  } catch (err) {
    return false;
  }
}

export function supported() {
  return webauthnAvailable() && !inAppBrowser();
}
