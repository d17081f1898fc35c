"""Finpass recovery requests, admin side (SPEC §5.8 "Finpass requests", §3.8.3)."""

TEXTS: dict[str, str] = {
    "adm.fpr.btn.panel": "🔑 Finpass requests",
    "adm.fpr.title": "🔑 <b>Finpass recovery requests</b>: {total}",
    "adm.fpr.empty": "No open requests.",
    "adm.fpr.item": "#{id} · {user} · {age} · {status}",
    "adm.fpr.view": (
        "🔑 <b>Recovery request #{id}</b> — {status}\n"
        "User: {user}, id {user_id}\n"
        "Available: <code>{available}</code> USDT, earnings blocked: {blocked}\n"
        "Requested {age} ago\n"
        "User's note: {note}\n"
        "Handled by: {handler}"
    ),
    "adm.fpr.status.pending": "waiting",
    "adm.fpr.status.in_review": "in review",
    "adm.fpr.status.sent": "password sent",
    "adm.fpr.status.completed": "completed",
    "adm.fpr.status.rejected": "rejected",
    "adm.fpr.yes": "yes",
    "adm.fpr.no": "no",
    "adm.fpr.btn.take": "🙋 Take",
    "adm.fpr.btn.approve": "✅ Approve",
    "adm.fpr.btn.reject": "❌ Reject",
    "adm.fpr.btn.no_comment": "Reject without a comment",
    "adm.fpr.taken": "Request #{id} is yours now.",
    "adm.fpr.confirm_approve": (
        "Approve request #{id}? A new financial password is generated and sent once to the user; only its "
        "hash is stored. Earnings stay blocked until the user confirms it."
    ),
    "adm.fpr.approved": "✅ Request #{id} approved: the new password was sent to the user.",
    "adm.fpr.approved_undelivered": (
        "⚠️ Request #{id} approved, but the password could not be delivered (the user is unreachable). "
        "It is not kept anywhere: the user can press “I did not get it / lost it” under “Recover "
        "financial password”, and the request comes back to this queue to be approved again."
    ),
    "adm.fpr.comment_prompt": "Rejecting request #{id}: send a comment for the user (or reject without one).",
    "adm.fpr.comment_too_long": "Send the comment as text of at most 1000 characters (or reject without one).",
    "adm.fpr.rejected": "❌ Request #{id} rejected; the user was told.",
    "adm.fpr.refused.not_found": "Not found.",
    "adm.fpr.refused.not_open": "This request is no longer open.",
}
