"""DingTalk: API client, emulator, QR-code login source, directory sync and push-back (protocol layer)."""
