"""Clients of outside services, built from configuration and shared within a process."""

from flask import current_app

from backend.adapters.wechat import WeChatClient
from backend.settings import current_settings


def get_wechat_client() -> WeChatClient:
    """The WeChat client for this app, one per process, sharing its access token with every other process."""
    settings = current_settings()
    key = (settings.wechat_app_id, settings.wechat_api_base)
    clients = current_app.extensions.setdefault("wechat_clients", {})
    if key not in clients:
        # The access token is shared through the store the app registered (the database), not per process.
        store = current_app.extensions.get("wechat_token_store")
        clients[key] = WeChatClient(
            settings.wechat_app_id, settings.wechat_app_secret, base_url=key[1], token_store=store
        )
    return clients[key]
