// A minimal browser wallet on the official JavaScript SDK, driven by tests/localnet/test_browser.py.
// The page is served from another origin than the network, so every call is cross-origin (CORS).
"use strict";

(() => {
  const sdk = window.StellarSdk;
  const { Asset, BASE_FEE, Horizon, Keypair, Operation, TransactionBuilder } = sdk;

  let config = null;
  let server = null;
  let payer = null;
  let usdc = null;
  const streamed = [];
  const streamErrors = [];
  let closeStream = null;

  function log(line) {
    document.getElementById("log").textContent += `${line}\n`;
  }

  // Every await is bounded: a stuck request fails the test with its name instead of hanging it.
  function within(ms, label, promise) {
    let timer;
    const expired = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${label}`)), ms);
    });
    return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
  }

  function usdcBalance(account) {
    const line = account.balances.find(
      (b) => b.asset_code === usdc.getCode() && b.asset_issuer === usdc.getIssuer(),
    );
    return line ? line.balance : null;
  }

  async function usdcPayment(amount) {
    const account = await within(10000, "loadAccount (payer)", server.loadAccount(payer.publicKey()));
    const tx = new TransactionBuilder(account, {
      fee: BASE_FEE,
      networkPassphrase: config.passphrase,
    })
      // No memo: submitTransaction loads the destination first (SEP-29 memo-required check).
      .addOperation(Operation.payment({ destination: config.destination, asset: usdc, amount }))
      .setTimeout(60)
      .build();
    tx.sign(payer);
    return tx;
  }

  function describe(err) {
    return {
      name: err?.constructor?.name ?? null,
      badResponseError: err instanceof sdk.BadResponseError,
      transactionFailedError: sdk.TransactionFailedError
        ? err instanceof sdk.TransactionFailedError
        : null,
      status: err?.response?.status ?? null,
      resultCodes: err?.response?.data?.extras?.result_codes ?? null,
      message: String(err?.message ?? err),
    };
  }

  // Load the payer, pay the destination in USDC, then try a payment the payer cannot afford.
  async function payAndFail(cfg) {
    config = cfg;
    server = new Horizon.Server(cfg.horizonUrl, { allowHttp: true });
    payer = Keypair.fromSecret(cfg.payerSecret);
    usdc = new Asset(cfg.usdcCode, cfg.usdcIssuer);
    const out = { origin: window.location.origin };

    const account = await within(10000, "loadAccount", server.loadAccount(payer.publicKey()));
    out.load = {
      id: account.accountId(),
      sequenceType: typeof account.sequence,
      sequence: account.sequence,
      usdc: usdcBalance(account),
    };
    log(`loaded ${out.load.id}`);

    const paid = await within(20000, "submitTransaction", server.submitTransaction(await usdcPayment("5")));
    out.payment = { hash: paid.hash, successful: paid.successful, ledger: paid.ledger };
    log(`paid ${paid.hash}`);

    const after = await within(10000, "loadAccount (destination)", server.loadAccount(cfg.destination));
    out.destinationUsdc = usdcBalance(after);

    try {
      await within(20000, "submitTransaction (underfunded)", server.submitTransaction(await usdcPayment("1000000")));
      out.failure = null;
    } catch (err) {
      out.failure = describe(err);
      log(`refused: ${out.failure.message}`);
    }
    return out;
  }

  // Open a payments stream for the destination from now on (EventSource over fetch in the SDK).
  function openStream() {
    closeStream = server
      .payments()
      .forAccount(config.destination)
      .cursor("now")
      .stream({
        onmessage: (record) => {
          streamed.push(record);
          log(`streamed ${record.transaction_hash}`);
        },
        onerror: (error) => streamErrors.push(String(error?.message ?? error?.type ?? error)),
      });
    return true;
  }

  function received(hash) {
    return streamed.some((r) => r.transaction_hash === hash);
  }

  function streamSummary() {
    if (closeStream) {
      closeStream();
      closeStream = null;
    }
    return {
      records: streamed.map((r) => ({
        type: r.type,
        from: r.from,
        to: r.to,
        amount: r.amount,
        assetCode: r.asset_code ?? null,
        transactionHash: r.transaction_hash,
        hasTransactionLink: typeof r.transaction === "function",
      })),
      errors: streamErrors,
    };
  }

  window.wallet = { payAndFail, openStream, received, streamSummary };
})();
