"""Payout sender notifications (SPEC §3.7 pipeline, §4.6)."""

TEXTS: dict[str, str] = {
    "po.confirmed": (
        "✅ <b>Payout #{id} completed</b>\n"
        "Amount: <code>{amount}</code> USDT, fee: <code>{fee}</code> USDT\n"
        "Sent: <code>{net}</code> USDT to <code>{address}</code>\n"
        "{link}"
    ),
    "po.tx_label": "view transaction in explorer",
    "po.alert.low_balance_recovered": (
        "✅ <b>Payout wallet balance recovered</b>\n"
        "Wallet: <code>{address}</code>\n"
        "USDT: <code>{usdt}</code>, BNB: <code>{bnb}</code>"
    ),
    "po.alert.low_balance": (
        "⚠️ <b>Payout wallet balance is low</b>\n"
        "Wallet: <code>{address}</code>\n"
        "USDT: <code>{usdt}</code>, BNB: <code>{bnb}</code>\n"
        "Approved payouts waiting: <code>{waiting}</code> USDT"
    ),
    "po.alert.dlq": (
        "🚨 <b>Payout #{id} moved to the dead-letter queue</b>\n"
        "User: <code>{user}</code>, amount: <code>{amount}</code> USDT\n"
        "Attempts: {attempts}, error kind: {kind}\n"
        "Last error: {error}"
    ),
    "po.alert.nonce_conflict": (
        "🚨 <b>Nonce conflict on payout #{id}</b>\n"
        "Nonce {nonce} of wallet <code>{address}</code> was used by a transaction that is not ours. "
        "The payout is dead-lettered and will not be resent automatically: check the wallet's history "
        "in the explorer before resolving it.\n"
        "User: <code>{user}</code>, amount: <code>{amount}</code> USDT"
    ),
    "po.alert.stuck_replaced": (
        "⚠️ <b>Payout #{id} stuck</b>\n"
        "Nonce {nonce} of wallet <code>{address}</code> not mined for {minutes} min; "
        "replaced with gas price {gwei} gwei (cap {cap} gwei).\n"
        "Amount: <code>{amount}</code> USDT"
    ),
    "po.alert.foreign": (
        "🛑 <b>Payouts stopped: the payout wallet sent transactions the books never signed</b>\n"
        "Wallet <code>{address}</code>: the chain counts {chain} transactions, the books signed {books}. "
        "A manual transfer, the key used elsewhere, or a database restored from an older backup (a payout "
        "already paid would be paid again). Nothing more is signed from this wallet: its payouts go to the DLQ "
        "unsigned. Check its transactions in the explorer (<code>sigmatrade ledger reconcile</code> "
        "lists the transfers the books lack); on the DLQ desk resolve each payout one of them paid as paid "
        "(its link); then <code>sigmatrade wallet accept-nonce {address} --yes</code> and retry the others."
    ),
    "po.alert.undecided": (
        "⚠️ <b>Payout #{id}: the RPC endpoints do not settle it</b>\n"
        "For {minutes} min the endpoints have not all answered, or disagree, about its transactions "
        "(step: {step}; {view}). Nothing is decided until they agree: check BSC_RPC_URLS (remove a dead "
        "endpoint) and the wallet <code>{address}</code> in the explorer.\n"
        "Amount: <code>{amount}</code> USDT"
    ),
    "po.alert.stuck_capped": (
        "🚨 <b>Payout #{id} stuck at the gas price cap</b>\n"
        "Nonce {nonce} of wallet <code>{address}</code> not mined for {minutes} min and the gas price "
        "cap ({cap} gwei) allows no replacement: later payouts wait behind it. Raise "
        "PAYOUT_MAX_GAS_PRICE_GWEI or check the network.\n"
        "Amount: <code>{amount}</code> USDT"
    ),
    "po.alert.open_nonce": (
        "🚨 <b>Payout #{id} was settled by an earlier transaction</b>\n"
        "Its newer transaction at nonce {nonce} of wallet <code>{address}</code> is not mined: cancel "
        "that nonce now (0 BNB to the wallet itself, higher gas price) or the user is paid twice.\n"
        "Amount: <code>{amount}</code> USDT"
    ),
}
