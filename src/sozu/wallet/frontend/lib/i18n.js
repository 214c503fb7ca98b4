// Messages in the page's language. The page loads Django's JavaScript catalog (jsi18n), which
// defines window.gettext, window.ngettext and window.interpolate; msgids are English, translated
// in the wallet app's djangojs catalog. Call sites write `gettext("…")` literally so
// `makemessages -d djangojs` finds them.

export function gettext(msgid) {
  return typeof window !== "undefined" && typeof window.gettext === "function" ? window.gettext(msgid) : msgid;
}

// ngettext("%(hours)s hour ago", "%(hours)s hours ago", hours): the form for `count`.
export function ngettext(singular, plural, count) {
  if (typeof window !== "undefined" && typeof window.ngettext === "function") {
    return window.ngettext(singular, plural, count);
  }
  return count === 1 ? singular : plural;
}

// interpolate(gettext("Paid %(amount)s USDC"), { amount: "10,00" })
export function interpolate(text, values) {
  return text.replace(/%\(([a-z_]+)\)s/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

// The locale for numbers and dates: the page's language (<html lang>), Argentina for Spanish.
export function locale() {
  const lang = (typeof document !== "undefined" && document.documentElement.lang) || "es";
  return lang.toLowerCase().startsWith("es") ? "es-AR" : lang;
}
