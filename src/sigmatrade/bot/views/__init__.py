"""Screen renderers: data in, (text, keyboard) out. No I/O."""
