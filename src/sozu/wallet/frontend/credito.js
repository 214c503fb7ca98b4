// Mi crédito: her loans from /api/v1/wallet/loans (SEP-10 sign-in): the next cuota, what is
// overdue, the calendar, and one tap to pay the cuota to the loan's own muxed address (M…).
// Amounts arrive as decimal strings and are paid exactly as given; nothing is computed here.

import { api } from "./lib/api.js";
import { gettext, interpolate, locale, ngettext } from "./lib/i18n.js";
import { localKeypair, localWallet } from "./lib/keys.js";
import { confirmAndPay } from "./lib/pay.js";
import { ageText, formatUsdc, registerServiceWorker, requireWallet, show } from "./lib/shell.js";
import { config, payError, sep10Token } from "./lib/stellar.js";

const $ = (id) => document.getElementById(id);
const LAST = "sozu-last-loans";
const pesos = new Intl.NumberFormat(locale(), { minimumFractionDigits: 2, maximumFractionDigits: 2 });
let pending = null;

// "2026-05-04" is a calendar day, not an instant: built from its parts, never through UTC.
function day(iso, options = { weekday: "long", day: "numeric", month: "long" }) {
  const [y, m, d] = iso.split("-").map(Number);
  return new Intl.DateTimeFormat(locale(), options).format(new Date(y, m - 1, d));
}

function money(loan, value) {
  return loan.currency === "ARS" ? `$ ${pesos.format(Number(value))}` : `${formatUsdc(value)} USDC`;
}

function frequencyText(frequency) {
  return (
    {
      weekly: gettext("weekly"),
      biweekly: gettext("every two weeks"),
      monthly: gettext("monthly"),
    }[frequency] || frequency
  );
}

function cuotaItem(loan, cuota) {
  const li = document.createElement("li");
  li.className = `cuota ${cuota.status}`;
  const what = document.createElement("span");
  what.textContent = interpolate(gettext("Cuota %(number)s · %(date)s"), {
    number: cuota.number,
    date: day(cuota.due_date, { day: "numeric", month: "short", year: "numeric" }),
  });
  const amount = document.createElement("span");
  amount.className = "cuota-amount";
  amount.textContent = money(loan, cuota.status === "paid" ? cuota.paid : cuota.owed);
  const state = document.createElement("span");
  state.className = "cuota-state";
  if (cuota.status === "paid") {
    state.textContent = cuota.paid_on
      ? interpolate(gettext("Paid on %(date)s"), { date: day(cuota.paid_on, { day: "numeric", month: "short" }) })
      : gettext("Paid");
  } else if (cuota.status === "overdue") {
    state.textContent = interpolate(
      ngettext("Overdue: %(days)s day late", "Overdue: %(days)s days late", cuota.days_late),
      { days: cuota.days_late },
    );
  } else {
    state.textContent = gettext("Pending");
  }
  li.append(what, amount, state);
  return li;
}

function render(loans, schedules, cfg) {
  const box = $("loans");
  box.replaceChildren();
  $("loans-none").hidden = loans.length > 0;
  for (const loan of loans) {
    const card = $("loan-template").content.firstElementChild.cloneNode(true);
    card.dataset.loan = String(loan.id);
    const q = (sel) => card.querySelector(sel);
    q(".loan-title").textContent = interpolate(gettext("Loan %(reference)s"), { reference: loan.reference });
    q(".loan-summary").textContent = interpolate(
      gettext("%(organization)s · %(amount)s in %(cuotas)s %(frequency)s cuotas"),
      {
        organization: loan.organization,
        amount: money(loan, loan.amount),
        cuotas: loan.cuotas,
        frequency: frequencyText(loan.frequency),
      },
    );
    if (Number(loan.overdue) > 0) {
      show(
        q(".loan-overdue"),
        interpolate(
          ngettext(
            "You have %(amount)s overdue (%(days)s day late).",
            "You have %(amount)s overdue (%(days)s days late).",
            loan.days_past_due,
          ),
          { amount: money(loan, loan.overdue), days: loan.days_past_due },
        ),
      );
    }
    const next = loan.next_cuota;
    if (loan.status === "paid_off") {
      q(".loan-done").hidden = false;
    } else if (next) {
      q(".loan-next").hidden = false;
      q(".loan-next-label").textContent = interpolate(gettext("Next cuota: %(number)s of %(total)s"), {
        number: next.number,
        total: loan.cuotas,
      });
      q(".loan-next-amount").textContent = money(loan, next.owed);
      q(".loan-next-due").textContent =
        next.status === "overdue"
          ? interpolate(gettext("It was due on %(date)s"), { date: day(next.due_date) })
          : interpolate(gettext("Due on %(date)s"), { date: day(next.due_date) });
      if (loan.payment_destination) {
        const pay = q(".loan-pay");
        pay.textContent = interpolate(gettext("Pay cuota %(number)s"), { number: next.number });
        pay.hidden = false;
        pay.addEventListener("click", () => review(cfg, loan));
      } else if (loan.currency === "ARS") {
        q(".loan-pesos").hidden = false;
      }
    }
    q(".loan-outstanding").textContent = interpolate(gettext("Left to pay: %(amount)s"), {
      amount: money(loan, loan.outstanding),
    });
    const list = q(".cuotas");
    for (const cuota of schedules.get(loan.id) || []) list.append(cuotaItem(loan, cuota));
    q(".loan-calendar").hidden = list.children.length === 0;
    box.append(card);
  }
}

async function token(cfg) {
  const wallet = await localWallet();
  return sep10Token(cfg, await localKeypair(), wallet.account);
}

async function load(cfg) {
  const bearer = await token(cfg);
  const found = await api("GET", "/api/v1/wallet/loans", undefined, { token: bearer });
  const loans = found.results || [];
  const details = await Promise.all(
    loans.map((loan) => api("GET", `/api/v1/wallet/loans/${loan.id}`, undefined, { token: bearer })),
  );
  const schedules = details.map((d) => [d.id, d.schedule]);
  localStorage.setItem(LAST, JSON.stringify({ at: Date.now(), loans, schedules }));
  return { loans, schedules: new Map(schedules) };
}

// One tap: Sozu gives the exact request for the cuota (amount owed today, the loan's M…
// address, its memo); she sees it decoded before signing.
async function review(cfg, loan) {
  $("loans-error").hidden = true;
  $("cuota-done").hidden = true;
  try {
    const request = await api("GET", `/api/v1/wallet/loans/${loan.id}/payment-request`, undefined, {
      token: await token(cfg),
    });
    if (request.asset_code !== cfg.usdc.code || request.asset_issuer !== cfg.usdc.issuer) {
      throw new Error(gettext("This payment request is not in USDC."));
    }
    pending = { loan, request };
    $("cuota-review-loan").textContent = interpolate(gettext("%(reference)s · cuota %(number)s"), {
      reference: loan.reference,
      number: request.cuota,
    });
    $("cuota-review-destination").textContent = request.destination;
    $("cuota-review-amount").textContent = `${formatUsdc(request.amount)} USDC`;
    $("cuota-review-memo").textContent = request.memo;
    $("cuota-review").hidden = false;
    $("cuota-review").scrollIntoView({ block: "nearest" });
  } catch (err) {
    pending = null;
    show($("loans-error"), err.message || gettext("Could not prepare the payment."));
  }
}

async function confirm() {
  if (!pending) return;
  const button = $("cuota-confirm");
  button.disabled = true;
  try {
    const { request } = pending;
    const result = await confirmAndPay(config(), {
      destination: request.destination,
      amount: request.amount,
      memo: request.memo,
      memoType: "MEMO_TEXT",
    });
    $("cuota-review").hidden = true;
    show(
      $("cuota-done"),
      interpolate(gettext("Payment sent (%(hash)s…). Your organization will see it in a few minutes."), {
        hash: result.hash.slice(0, 12),
      }),
    );
    pending = null;
  } catch (err) {
    const cancelled = err && err.name === "NotAllowedError";
    show(
      $("loans-error"),
      cancelled
        ? gettext("You cancelled the confirmation with your fingerprint: the payment was not sent.")
        : payError(err.code) || err.message || gettext("The payment could not be sent."),
    );
  } finally {
    button.disabled = false;
  }
}

async function main() {
  registerServiceWorker();
  const wallet = await requireWallet();
  if (!wallet) return;
  const cfg = config();
  $("cuota-confirm").addEventListener("click", confirm);
  $("cuota-cancel").addEventListener("click", () => {
    pending = null;
    $("cuota-review").hidden = true;
  });
  try {
    const { loans, schedules } = await load(cfg);
    render(loans, schedules, cfg);
  } catch (err) {
    const last = JSON.parse(localStorage.getItem(LAST) || "null");
    if (last && err.code === "network_unavailable") {
      render(last.loans, new Map(last.schedules), cfg);
      for (const button of document.querySelectorAll(".loan-pay")) button.hidden = true;
      show($("loans-note"), interpolate(gettext("No connection: your loans as of %(age)s."), { age: ageText(last.at) }));
    } else {
      show($("loans-error"), err.message || gettext("Could not read your loans."));
    }
  } finally {
    $("loans-loading").hidden = true;
  }
  document.body.dataset.walletReady = "1";
}

main();
