"""Clients of outside services, built from configuration and shared within a process."""

from flask import current_app

from backend.adapters.wechat import WeChatClient


def get_wechat_client() -> WeChatClient:
    """The WeChat client for this app; one per process so its access-token cache is shared."""
    config = current_app.config
    key = (config["WECHAT_APP_ID"], config["WECHAT_API_BASE"])
    clients = current_app.extensions.setdefault("wechat_clients", {})
    if key not in clients:
        clients[key] = WeChatClient(config["WECHAT_APP_ID"], config["WECHAT_APP_SECRET"], base_url=key[1])
    return clients[key]
