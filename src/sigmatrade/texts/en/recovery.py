"""Financial password recovery (en). Same keys and placeholders as ru (tested)."""

TEXTS: dict[str, str] = {
    "fp.btn.skip": "⏭ Skip the note",
    "fp.btn.confirm": "✅ Confirm the request",
    "fp.btn.confirm_new": "🔐 Confirm the new password",
    "fp.btn.again": "🔁 I did not get it / lost it",
    "fp.explain": (
        "🔑 <b>Financial password recovery</b>\n\n"
        "What happens next:\n"
        "• your earnings (rewards, referral commissions) and withdrawals are <b>blocked</b> "
        "until the recovery is completed;\n"
        "• an administrator reviews the request manually, usually within a few business days;\n"
        "• your identity may be checked, possibly by a video call outside the bot.\n\n"
        "You can type a short note for the administrator, or press “Skip the note”."
    ),
    "fp.confirm_screen": (
        "🔑 <b>Financial password recovery</b>\n\n"
        "Earnings and withdrawals will be blocked until the recovery is completed.{note}\n\n"
        "Send the request?"
    ),
    "fp.note_line": "\n\nYour note: <i>{note}</i>",
    "fp.note_unexpected": "✏️ Send the note as a text message, or press “Skip the note”.",
    "fp.note_command": "⚠️ Commands are not taken as a note. Type the note, press a button, or /cancel.",
    "fp.status.pending": "waiting for review",
    "fp.status.in_review": "under review",
    "fp.status.sent": "new password sent — waiting for your confirmation",
    "fp.existing": (
        "🔑 <b>Financial password recovery</b>\n\n"
        "Request <b>#{id}</b>: {status}.\n"
        "Earnings and withdrawals stay blocked until the recovery is completed."
    ),
    "fp.existing_sent_hint": (
        "\n\nPress “Confirm the new password” and type the password from the administrator's message. "
        "If it never arrived or you lost it, press “I did not get it / lost it”: the request goes back "
        "to the administrators, who will send a new one."
    ),
    "fp.asked_again": (
        "🔁 <b>Recovery request #{id} is back with the administrators.</b>\n\n"
        "They will send a new password to this chat; the one sent before stops working then. "
        "Earnings and withdrawals stay blocked until you confirm the new one."
    ),
    "fp.created": (
        "✅ <b>Recovery request #{id} sent.</b>\n\n"
        "Earnings and withdrawals are blocked until it is completed. "
        "You will get a message in this chat when an administrator decides."
    ),
    "fp.already": "ℹ️ You already have an open recovery request #{id} ({status}).",
    "fp.confirm_new_prompt": (
        "🔐 Type the new financial password from the administrator's message.\nAttempts left: {attempts}"
    ),
    "fp.confirm_new_unexpected": "🔐 Type the password as a text message, or press Cancel.",
    "fp.wrong": "❌ Wrong password. Attempts left: {attempts}",
    "fp.locked": "🔒 Too many wrong attempts. Try again in {minutes} min.",
    "fp.completed": (
        "✅ <b>New financial password confirmed.</b>\n\n"
        "Recovery request #{id} is completed — earnings and withdrawals are unblocked."
    ),
    "fp.not_waiting": "There is no new password waiting for confirmation.",
    "fp.user.approved": (
        "🔑 <b>Recovery request #{id} approved</b>\n\n"
        "Your new financial password: {password}\n\n"
        "It is shown <b>only once</b> — save it now and never share it. "
        "Then press the button below and type it: earnings are unblocked after the confirmation."
    ),
    "fp.user.rejected": "❌ <b>Recovery request #{id} was rejected.</b>\n\nContact support if you have questions.",
    "fp.user.rejected_comment": (
        "❌ <b>Recovery request #{id} was rejected.</b>\n\nComment: {comment}\n\nContact support if you have questions."
    ),
    "fp.admin.again": (
        "🔁 <b>Finpass recovery request #{id} is back in the queue</b>\nUser: {user} (<code>{tg}</code>)\n"
        "The password sent did not arrive or was lost: approve it again to send a new one."
    ),
    "fp.admin.new": (
        "🔑 <b>Finpass recovery request #{id}</b>\nUser: {user} (<code>{tg}</code>)\nNote: {note}"
    ),
}
