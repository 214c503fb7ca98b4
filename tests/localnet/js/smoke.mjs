// Drives the local network with the real @stellar/stellar-sdk and prints what it saw as JSON.
// Usage: SOZU_JS_DEPS=<dir with node_modules> node smoke.mjs <horizon-url> <passphrase> <payer-secret> <payee>
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(join(process.env.SOZU_JS_DEPS, "package.json"));
const sdk = require("@stellar/stellar-sdk");
const { Asset, BASE_FEE, Horizon, Keypair, Operation, TransactionBuilder } = sdk;

const [horizonUrl, passphrase, payerSecret, payee] = process.argv.slice(2);
const server = new Horizon.Server(horizonUrl, { allowHttp: true });
const payer = Keypair.fromSecret(payerSecret);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function payment(amount) {
  const account = await server.loadAccount(payer.publicKey());
  const tx = new TransactionBuilder(account, { fee: BASE_FEE, networkPassphrase: passphrase })
    .addOperation(Operation.payment({ destination: payee, asset: Asset.native(), amount }))
    .setTimeout(120)
    .build();
  tx.sign(payer);
  return tx;
}

function describe(err) {
  let resultType = null;
  if (typeof err.getTransactionResult === "function") {
    // js-stellar-sdk 17.2 decodes XDR unions to plain objects ({type: "txFailed", results});
    // earlier releases to accessor functions (result().switch().name).
    const result = err.getTransactionResult()?.result;
    resultType = typeof result === "function" ? result().switch().name : (result?.type ?? null);
  }
  return {
    name: err.constructor?.name,
    transactionFailedError: sdk.TransactionFailedError ? err instanceof sdk.TransactionFailedError : null,
    notFoundError: err instanceof sdk.NotFoundError,
    status: err.response?.status ?? null,
    resultCodes: err.response?.data?.extras?.result_codes ?? null,
    resultType,
    message: String(err.message ?? err),
  };
}

const out = {};

const account = await server.loadAccount(payer.publicKey());
out.load = { sequenceType: typeof account.sequence, sequence: account.sequence };
out.baseFee = await server.fetchBaseFee();

// Default submitTransaction: a memo-less payment makes the SDK load the payee for SEP-29.
const paid = await server.submitTransaction(await payment("5"));
out.payment = {
  hash: paid.hash,
  successful: paid.successful,
  ledger: paid.ledger,
  feeCharged: paid.fee_charged,
};

const page = await server.payments().forAccount(payee).order("desc").limit(5).call();
out.payments = page.records.map((r) => ({
  type: r.type,
  amount: r.amount,
  from: r.from,
  transactionHash: r.transaction_hash,
}));
// HAL: every _links entry becomes a method on the record.
const linked = await page.records[0].transaction();
out.linkedTransaction = { hash: linked.hash, ledgerAttr: linked.ledger_attr };

try {
  await server.submitTransaction(await payment("1000000"));
  out.failure = null;
} catch (err) {
  out.failure = describe(err);
}

try {
  await server.loadAccount(Keypair.random().publicKey());
  out.notFound = null;
} catch (err) {
  out.notFound = describe(err);
}

// Streaming: a payment made after the stream opened arrives as a parsed record.
const streamed = [];
const streamErrors = [];
const close = server
  .payments()
  .forAccount(payee)
  .cursor("now")
  .stream({
    onmessage: (record) => streamed.push(record),
    onerror: (error) => streamErrors.push(String(error?.message ?? error?.type ?? error)),
  });
await sleep(1500);
const live = await server.submitTransaction(await payment("2"));
const deadline = Date.now() + 15000;
while (!streamed.some((r) => r.transaction_hash === live.hash) && Date.now() < deadline) {
  await sleep(100);
}
close();
out.stream = {
  received: streamed.some((r) => r.transaction_hash === live.hash),
  records: streamed.length,
  errors: streamErrors,
};

console.log(JSON.stringify(out));
process.exit(0);
