// Messages in the page's language. The page loads Django's JavaScript catalog (jsi18n), which
// defines window.gettext and window.interpolate; msgids are English, translated in the wallet
// app's djangojs catalog. Call sites write `gettext("…")` literally so `makemessages -d djangojs`
// finds them.

export function gettext(msgid) {
  return typeof window !== "undefined" && typeof window.gettext === "function" ? window.gettext(msgid) : msgid;
}

// interpolate(gettext("Paid %(amount)s USDC"), { amount: "10,00" })
export function interpolate(text, values) {
  return text.replace(/%\(([a-z_]+)\)s/g, (whole, name) => (name in values ? String(values[name]) : whole));
}
