"""Support screens (en). Same keys and placeholders as ru (tested)."""

TEXTS: dict[str, str] = {
    # ---- buttons ------------------------------------------------------------------------------
    "sup.btn.new": "✉️ New ticket",
    "sup.btn.my": "📨 My ticket #{id}",
    "sup.btn.history": "🗂 Closed tickets",
    "sup.btn.send": "📤 Send",
    "sup.btn.discard": "🗑 Discard",
    "sup.btn.add": "➕ Add message",
    "sup.btn.close": "✅ Close ticket",
    "sup.btn.view": "#{id} · {category}",
    # ---- categories and statuses --------------------------------------------------------------
    "sup.cat.payments": "💳 Payments and deposits",
    "sup.cat.withdrawals": "💸 Withdrawals",
    "sup.cat.finpass": "🔐 Financial password",
    "sup.cat.referrals": "👥 Referrals",
    "sup.cat.tech": "🛠 Technical problem",
    "sup.cat.other": "💬 Other",
    "sup.status.open": "🟡 open",
    "sup.status.in_progress": "🔵 in progress",
    "sup.status.answered": "🟢 answered",
    "sup.status.closed": "⚪️ closed",
    "sup.att.photo": "photo",
    "sup.att.video": "video",
    "sup.att.voice": "voice message",
    "sup.att.audio": "audio",
    "sup.att.document": "document",
    # ---- support home -------------------------------------------------------------------------
    "sup.title": "🛟 <b>Support</b>",
    "sup.no_active": (
        "You have no active ticket. Describe your question in a new ticket — an administrator will answer here."
    ),
    "sup.active": "Active ticket <b>#{id}</b> · {category}\nStatus: {status}\nCreated: {created}",
    "sup.email": "\n\nE-mail: {email}",
    # ---- composer -----------------------------------------------------------------------------
    "sup.choose_category": "✉️ <b>New ticket</b>\n\nChoose the topic of your question:",
    "sup.compose_prompt": (
        "✉️ <b>New ticket</b> · {category}\n\n"
        "Send your messages: text, photos, videos, voice messages, audio or documents. "
        "Up to {max_parts} messages, {max_atts} attachments, {max_text} characters per text.\n"
        "When you are done, press “Send”."
    ),
    "sup.followup_prompt": (
        "➕ <b>Ticket #{id}</b>\n\n"
        "Send what you want to add: text, photos, videos, voice messages, audio or documents. "
        "When you are done, press “Send”."
    ),
    "sup.part_added": (
        "✅ Added: {parts}/{max_parts} messages, {atts}/{max_atts} attachments.\nSend more or press “Send”."
    ),
    "sup.unsupported": (
        "⚠️ This kind of message cannot be attached. Send text, a photo, a video, a voice message, "
        "audio or a document."
    ),
    "sup.command": "⚠️ Commands are not added to the ticket. Press “Send” or “Discard” (or /cancel).",
    "sup.category_expected": "👆 Choose a topic with the buttons above, or press “Discard”.",
    "sup.created": "✅ <b>Ticket #{id} created.</b>\n\n{next}",
    "sup.next.assigned": "An administrator is already working on it — the answer will come to this chat.",
    "sup.next.open": ("Administrators will answer in this chat. You can add details in Support → My ticket."),
    "sup.followup_sent": "✅ Your message was added to ticket #{id}.",
    "sup.closed": "✅ Ticket #{id} is closed. Thank you!",
    "sup.discarded": "🗑 The draft was discarded.",
    # ---- refusals -----------------------------------------------------------------------------
    "sup.err.active_exists": "You already have an active ticket #{ticket_id}. Open it with “My ticket” in Support.",
    "sup.err.empty": "Add at least one message first.",
    "sup.err.too_many_parts": "⚠️ A ticket can hold at most {limit} messages. Press “Send”.",
    "sup.err.too_many_attachments": "⚠️ A ticket can hold at most {limit} attachments. This one was not added.",
    "sup.err.text_too_long": "⚠️ The text is too long ({length} characters, at most {limit}). Split it into parts.",
    "sup.err.caption_too_long": "⚠️ The caption is too long ({length} characters, at most {limit}). Shorten it.",
    "sup.err.not_active": "Ticket #{ticket_id} is already closed.",
    # ---- thread and history -------------------------------------------------------------------
    "sup.thread.header": "📨 <b>Ticket #{id}</b> · {category}\nStatus: {status}\nCreated: {created}",
    "sup.thread.user": "👤 <b>You</b> · {time}",
    "sup.thread.admin": "🛟 <b>Support</b> · {time}",
    "sup.thread.system": "ℹ️ <b>System</b> · {time}",
    "sup.thread.attachments": "📎 {items}",
    "sup.thread.earlier": "<i>… earlier messages: {n}</i>",
    "sup.history.title": "🗂 <b>Closed tickets</b> ({total})",
    "sup.history.empty": "No closed tickets yet.",
    "sup.history.line": "#{id} · {category} · closed {closed}",
    # ---- admins -------------------------------------------------------------------------------
    "sup.admin.new": (
        "🆕 <b>Support ticket #{id}</b>\nFrom: {user} (<code>{tg}</code>)\nTopic: {category}\n"
        "Attachments: {attachments}\n\n{preview}"
    ),
    "sup.admin.followup": (
        "💬 <b>New message in ticket #{id}</b>\nFrom: {user} (<code>{tg}</code>)\nTopic: {category}\n"
        "Attachments: {attachments}\n\n{preview}"
    ),
    "sup.auto_closed": (
        "⚪️ Ticket #{id} was closed automatically: no new messages for {days} days after the answer. "
        "Open a new ticket in Support if you still need help."
    ),
}
