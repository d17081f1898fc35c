"""Admin screens. Pure: data in, ``(Safe text, InlineKeyboardMarkup)`` out."""
