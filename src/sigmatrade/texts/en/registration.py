"""Registration, verification and contacts (en). Same keys and placeholders as ru (tested)."""

TEXTS: dict[str, str] = {
    # ---- buttons ------------------------------------------------------------------------------
    "reg.btn.continue": "✅ Continue",
    "reg.btn.reenter": "✏️ Re-enter",
    "reg.btn.verify_later": "✖️ Cancel (verify later)",
    "reg.btn.add_contacts": "📇 Add contacts",
    "reg.btn.skip": "⏭ Skip",
    # ---- start --------------------------------------------------------------------------------
    "reg.already_registered": "ℹ️ You are already registered.",
    # ---- wallet -------------------------------------------------------------------------------
    "reg.wallet_prompt": (
        "📝 <b>Registration</b>\n\n"
        "Send the address of your own wallet on <b>BNB Smart Chain (BEP-20)</b>: "
        "<code>0x…</code>, 42 characters.\n\n"
        "This wallet is used for everything: deposits must be sent <b>from</b> it and payouts are sent "
        "<b>to</b> it. You cannot change it yourself later, so use a wallet you control "
        "(not an exchange address)."
    ),
    "reg.err.format": (
        "❌ This is not a BSC address. Expected: <code>0x</code> followed by 40 hexadecimal characters "
        "(0–9, a–f), 42 characters in total, without spaces."
    ),
    "reg.err.checksum": (
        "❌ The address mixes upper- and lower-case letters, but its checksum (EIP-55) does not match — "
        "probably a typo. Copy the address from your wallet again."
    ),
    "reg.err.zero": "❌ The zero address is not a wallet. Send the address of your own wallet.",
    "reg.err.contract": "❌ This is the USDT token contract, not a wallet. Send the address of your own wallet.",
    "reg.err.system": (
        "❌ This address belongs to SigmaTrade and cannot be registered. Send the address of your own wallet."
    ),
    "reg.err.taken": "❌ This wallet is already registered. Each wallet can be registered only once.",
    "reg.err.wallet_blacklisted": "⛔️ Registration with this wallet is not possible.",
    "reg.err.retry": "Send another address or press Cancel.",
    "reg.case_warning": (
        "⚠️ <b>Check the address</b>\n\n"
        "You entered:\n{entered}\n\n"
        "Checksum form (EIP-55) that will be stored:\n{checksum}\n\n"
        "Both denote the same wallet. Press Continue if it is yours, or Re-enter to type it again."
    ),
    # ---- registration transaction ---------------------------------------------------------------
    "reg.err.conflict": (
        "⚠️ This account or this wallet has just been registered (perhaps by a second tap). "
        "Nothing was created twice — open the menu."
    ),
    "reg.err.cycle": (
        "❌ Registration with this invite link is not possible: it would create a referral loop. "
        "Nothing was created."
    ),
    "reg.err.no_code": "⚠️ The registration could not be completed right now. Nothing was created — please try again.",
    "reg.registered": (
        "✅ <b>Registration complete!</b>\n\n"
        "Wallet: {wallet}\n\n"
        "🔐 Your financial password:\n{finpass}\n\n"
        "⚠️ It is shown <b>only once</b> — save it now in a safe place. It is required for withdrawals "
        "and nobody (support included) can show it again.\n\n"
        "Next step: verification — type this password back to confirm that you saved it.{referral}"
    ),
    "reg.referral_valid": "\n\n🤝 Your referrer: {name}.",
    "reg.referral_invalid": "\n\nℹ️ The invite link is not valid — you are registered without a referrer.",
    # ---- verification ---------------------------------------------------------------------------
    "reg.verify_prompt": (
        "🔐 <b>Verification</b>\n\n"
        "Type your financial password (12 characters) in a message. "
        "The message is deleted right after reading.\n"
        "Attempts left: {attempts}"
    ),
    "reg.btn.reissue": "🔁 I don't have the password",
    "reg.reissued": (
        "🔐 <b>Your new financial password:</b>\n{finpass}\n\n"
        "The one shown before no longer works. ⚠️ This one is shown <b>only once</b> — save it now in a "
        "safe place; it is required for withdrawals.\n\n"
        "Then press “Verify password” and type it back."
    ),
    "reg.verify_wrong": "❌ Wrong financial password. Attempts left: {attempts}.\nType it again or press Cancel.",
    "reg.verify_locked": "🔒 Too many wrong attempts. Verification is locked — try again in {wait}.",
    "reg.verify_format": (
        "❌ A financial password is 12 letters and digits without spaces. This was not counted as an attempt "
        "— type it again or press Cancel."
    ),
    "reg.notify.new_referral": (
        "🤝 <b>New referral</b>\n\n{name} has just registered with your invite link. "
        "You will be notified when they verify the account."
    ),
    "reg.not_verified_yet": "Verify your financial password first.",
    "reg.already_verified": "✅ Your account is already verified.",
    "reg.verified": (
        "🎉 <b>Verification complete!</b>\n\n"
        "Deposits and withdrawals are now available to you.\n\n"
        "You may leave a phone number and/or an e-mail so that support can reach you "
        "(optional, stored encrypted)."
    ),
    "reg.notify.referral_verified": (
        "🎉 <b>New verified referral</b>\n\n"
        "{name} joined with your link and verified the account.\n"
        "You earn {r1}% / {r2}% / {r3}% of the deposits of your referrals at levels 1 / 2 / 3."
    ),
    # ---- contacts ---------------------------------------------------------------------------------
    "reg.contacts_prompt": (
        "📇 <b>Contacts</b>\n\n"
        "Send your phone and/or e-mail in one message, separated by a space:\n"
        "• phone in international format: <code>+</code> and 8–15 digits, e.g. <code>+491511234567</code>;\n"
        "• e-mail: <code>name@example.com</code>.\n\n"
        "They are stored encrypted and can be changed later in Settings."
    ),
    "reg.contacts.err.empty": "❌ The message is empty. Send a phone and/or an e-mail.",
    "reg.contacts.err.too_long": "❌ The message is too long. Send only a phone and/or an e-mail.",
    "reg.contacts.err.phone": (
        "❌ «{token}» is not a valid phone number. Use the international format: <code>+</code> and "
        "8–15 digits without spaces, e.g. <code>+491511234567</code>."
    ),
    "reg.contacts.err.email": "❌ «{token}» is not a valid e-mail address. Expected: <code>name@example.com</code>.",
    "reg.contacts.err.unknown": "❌ «{token}» is neither a phone number nor an e-mail address.",
    "reg.contacts.err.two_phones": "❌ Only one phone number, please.",
    "reg.contacts.err.two_emails": "❌ Only one e-mail address, please.",
    "reg.contacts.err.retry": "Send them again or press Cancel.",
    "reg.contacts_saved": "✅ Contacts saved: {contacts}",
    "reg.contacts.phone": "phone {phone}",
    "reg.contacts.email": "e-mail {email}",
    "reg.contacts.none": "not set",
    "reg.finished": (
        "🚀 <b>Welcome aboard!</b>\n\n"
        "Your personal referral link:\n{link}\n"
        "Share it: you earn {r1}% / {r2}% / {r3}% of the deposits of your referrals at levels 1 / 2 / 3.\n\n"
        "<b>Next steps</b>\n"
        "1. Read the Instructions.\n"
        "2. Open Deposits and activate level 1.\n"
        "3. Send USDT from your registered wallet."
    ),
    # ---- unexpected input ---------------------------------------------------------------------------
    "reg.unexpected.wallet": (
        "✏️ I am waiting for your wallet address as text (<code>0x…</code>, 42 characters), or press Cancel."
    ),
    "reg.unexpected.case": "☝️ Please press Continue or Re-enter under the address above, or Cancel.",
    "reg.unexpected.verify": "🔐 I am waiting for your financial password as a text message, or press Cancel.",
    "reg.unexpected.contacts": "📇 I am waiting for your phone and/or e-mail as text, or press Cancel.",
}
