"""Ledger rules as stellar-core applies them: atomicity, sponsorship, fee bumps, surge, auth."""

from __future__ import annotations

from stellar_sdk import (
    Asset,
    FeeBumpTransactionEnvelope,
    Keypair,
    TransactionBuilder,
    TransactionEnvelope,
)
from stellar_sdk import xdr as X

from sozu.localnet.closer import close_ledger
from sozu.localnet.network import Config, Network, Status
from sozu.localnet.tests.conftest import Ledger

XLM = 10_000_000


def test_a_failing_op_rolls_back_the_others_but_fee_and_sequence_are_spent(ledger: Ledger) -> None:
    alice, bob = ledger.fund("100"), ledger.fund("100", usdc="1")
    missing = Keypair.random().public_key
    te = (
        ledger.builder(alice)
        .append_payment_op(bob.public_key, Asset.native(), "10")
        .append_payment_op(bob.public_key, ledger.usdc, "1")  # alice has no USDC trustline
        .append_payment_op(missing, Asset.native(), "1")
        .build()
    )
    te.sign(alice)
    seq = ledger.seq(alice)

    rec = ledger.include(te)

    assert rec["successful"] is False
    # Core applies every op; later ones still report their own outcome.
    assert rec["_codes"] == {
        "transaction": "tx_failed",
        "operations": ["op_success", "op_src_no_trust", "op_no_destination"],
    }
    assert rec["fee_charged"] == "300"
    assert ledger.xlm(alice) == 100 * XLM - 300
    assert ledger.xlm(bob) == 100 * XLM
    assert ledger.seq(alice) == seq + 1
    result = X.TransactionResult.from_xdr(rec["result_xdr"])
    assert result.result.code == X.TransactionResultCode.txFAILED
    assert result.fee_charged.int64 == 300


def test_later_ops_see_the_effects_of_earlier_successful_ops(ledger: Ledger) -> None:
    alice = ledger.fund("100")
    newcomer = Keypair.random()
    te = (
        ledger.builder(alice)
        .append_create_account_op(newcomer.public_key, "5")
        .append_payment_op(newcomer.public_key, Asset.native(), "1")
        .build()
    )
    te.sign(alice)

    rec = ledger.include(te)

    assert rec["successful"] is True
    assert ledger.xlm(newcomer) == 6 * XLM


def test_an_open_sponsorship_fails_the_transaction(ledger: Ledger) -> None:
    sponsor = ledger.fund("100")
    sponsored = Keypair.random()
    te = (
        ledger.builder(sponsor)
        .append_begin_sponsoring_future_reserves_op(sponsored.public_key)
        .append_create_account_op(sponsored.public_key, "0")
        .build()
    )
    te.sign(sponsor)

    rec = ledger.include(te)

    assert rec["_codes"] == {"transaction": "tx_bad_sponsorship"}
    assert ledger.net.state.get(sponsored.public_key) is None


def test_sponsored_account_and_trustline_count_against_the_sponsor(ledger: Ledger) -> None:
    sponsor = ledger.fund("100")
    sponsored = Keypair.random()
    te = (
        ledger.builder(sponsor)
        .append_begin_sponsoring_future_reserves_op(sponsored.public_key)
        .append_create_account_op(sponsored.public_key, "0")
        .append_change_trust_op(ledger.usdc, source=sponsored.public_key)
        .append_end_sponsoring_future_reserves_op(source=sponsored.public_key)
        .build()
    )
    te.sign(sponsor)
    te.sign(sponsored)

    rec = ledger.include(te)

    assert rec["successful"] is True, rec["_codes"]
    s = ledger.net.state.get(sponsor.public_key)
    n = ledger.net.state.get(sponsored.public_key)
    assert s is not None and n is not None
    assert (s.num_sponsoring, n.num_sponsored, n.sponsor) == (3, 3, sponsor.public_key)
    assert n.trustlines[("USDC", ledger.net.keys.issuer.public_key)].sponsor == sponsor.public_key
    assert n.min_balance() == 0  # 2 base + 1 subentry, all paid by the sponsor
    assert s.min_balance() == 5 * 5_000_000


def test_a_fee_bump_charges_the_fee_account_for_inner_ops_plus_one(ledger: Ledger) -> None:
    payer, user, bob = ledger.fund("100"), ledger.fund("10"), ledger.fund("10")
    inner = (
        ledger.builder(user, base_fee=0)
        .append_payment_op(bob.public_key, Asset.native(), "1")
        .append_payment_op(bob.public_key, Asset.native(), "1")
        .build()
    )
    inner.sign(user)
    bump = TransactionBuilder.build_fee_bump_transaction(
        payer.public_key, 500, inner, ledger.net.config.passphrase
    )
    bump.sign(payer)

    rec = ledger.include(bump)

    assert rec["fee_charged"] == "300"
    assert rec["max_fee"] == "1500"
    assert ledger.xlm(payer) == 100 * XLM - 300
    assert ledger.xlm(user) == 8 * XLM
    result = X.TransactionResult.from_xdr(rec["result_xdr"])
    assert result.result.code == X.TransactionResultCode.txFEE_BUMP_INNER_SUCCESS
    pair = result.result.inner_result_pair
    assert pair is not None and pair.transaction_hash.hash.hex() == inner.hash_hex()


def test_surge_pricing_takes_the_best_bids_and_charges_the_lowest_included_rate(
    tmp_path: object,
) -> None:
    import asyncio
    from pathlib import Path

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    net = Network(Config(data_dir=Path(str(tmp_path)), max_ops_per_ledger=2))
    small = Ledger(net, loop)
    payers = [small.fund("100") for _ in range(3)]
    bids = [100, 300, 200]
    envs = []
    for kp, bid in zip(payers, bids, strict=True):
        te = small.builder(kp, base_fee=bid).append_bump_sequence_op(0).build()
        te.sign(kp)
        status, err, env = small.submit(te)
        assert status is Status.PENDING, err
        envs.append(env)

    close_ledger(net)

    charged = {}
    for env, bid in zip(envs, bids, strict=True):
        found = net.store.tx_by_hash(env.hash_hex)
        charged[bid] = found[0]["fee_charged"] if found else None
    assert charged == {300: "200", 200: "200", 100: None}  # the 100 bid waits in the queue
    assert net.last_surge_fee == 200
    assert net.header["base_fee"] == 100  # the header keeps the network's base fee
    close_ledger(net)
    assert net.store.tx_by_hash(envs[0].hash_hex) is not None
    net.store.close()
    loop.close()


def test_thresholds_decide_between_bad_auth_and_op_bad_auth(ledger: Ledger) -> None:
    alice, bob, cosigner = ledger.fund("100"), ledger.fund("100"), Keypair.random()
    te = (
        ledger.builder(alice)
        .append_ed25519_public_key_signer(cosigner.public_key, 1)
        .append_set_options_op(low_threshold=1, med_threshold=2, high_threshold=2)
        .build()
    )
    te.sign(alice)
    assert ledger.include(te)["successful"] is True

    pay = ledger.builder(alice).append_payment_op(bob.public_key, Asset.native(), "1").build()
    pay.sign(alice)
    status, err, _ = ledger.submit(pay)
    assert status is Status.ERROR and err is not None
    assert err.result_codes() == {"transaction": "tx_failed", "operations": ["op_bad_auth"]}

    pay.sign(cosigner)
    assert ledger.include(pay)["successful"] is True

    stranger = Keypair.random()
    extra = ledger.builder(alice).append_payment_op(bob.public_key, Asset.native(), "1").build()
    for kp in (alice, cosigner, stranger):
        extra.sign(kp)
    status, err, _ = ledger.submit(extra)
    assert err is not None and err.result_codes() == {"transaction": "tx_bad_auth_extra"}


def test_one_queued_transaction_per_source_account(ledger: Ledger) -> None:
    alice, bob = ledger.fund("100"), ledger.fund("100")
    b = ledger.builder(alice)
    first = b.append_payment_op(bob.public_key, Asset.native(), "1").build()
    second = b.append_payment_op(bob.public_key, Asset.native(), "1").build()
    first.sign(alice)
    second.sign(alice)

    assert ledger.submit(first)[0] is Status.PENDING
    assert ledger.submit(first)[0] is Status.DUPLICATE
    assert ledger.submit(second)[0] is Status.TRY_AGAIN_LATER
    close_ledger(ledger.net)
    assert ledger.submit(second)[0] is Status.PENDING


def test_state_and_history_survive_a_restart(ledger: Ledger) -> None:
    alice, bob = ledger.fund("100", usdc="5"), ledger.fund("100", usdc="1")
    te = ledger.builder(alice).append_payment_op(bob.public_key, ledger.usdc, "2").build()
    te.sign(alice)
    rec = ledger.include(te)
    data_dir = ledger.net.config.data_dir
    ledger.net.store.close()

    again = Network(Config(data_dir=data_dir))

    assert again.latest == ledger.net.latest
    assert again.header["hash"] == ledger.net.header["hash"]
    b = again.state.get(bob.public_key)
    assert (
        b is not None
        and b.trustlines[("USDC", ledger.net.keys.issuer.public_key)].balance == 3 * XLM
    )
    assert again.store.tx_by_hash(rec["hash"]) is not None
    again.store.close()


def test_a_fee_bump_replaces_a_queued_transaction_only_at_ten_times_its_fee(
    ledger: Ledger,
) -> None:
    user, payer, bob = ledger.fund("10"), ledger.fund("100"), ledger.fund("10")
    stuck = ledger.builder(user).append_payment_op(bob.public_key, Asset.native(), "1").build()
    stuck.sign(user)
    assert ledger.submit(stuck)[0] is Status.PENDING

    def bump(fee_rate: int) -> TransactionEnvelope | FeeBumpTransactionEnvelope:
        fb = TransactionBuilder.build_fee_bump_transaction(
            payer.public_key, fee_rate, stuck, ledger.net.config.passphrase
        )
        fb.sign(payer)
        return fb

    status, err, _ = ledger.submit(bump(500))  # 1,000 for 2 ops: 5x, not 10x
    assert status is Status.ERROR and err is not None
    assert err.result_codes() == {"transaction": "tx_insufficient_fee"}
    assert err.fee_charged == 2000

    rec = ledger.include(bump(1000))

    assert rec["successful"] is True and rec["fee_account"] == payer.public_key
    assert ledger.net.store.tx_by_hash(rec["hash"]) is not None
    assert ledger.xlm(user) == 9 * XLM  # the payer paid the fee, not the user
