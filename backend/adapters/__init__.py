"""Adapters to the outside world: WeChat, file storage, media, QR codes, roster sheets, ID cards, PII crypto."""
