"""The outbox handler of "wechat.subscribe": one `subscribeMessage.send` per message, errors sorted for retrying."""

from backend.adapters.clients import get_wechat_client
from backend.adapters.wechat import (
    WeChatBusy,
    WeChatError,
    WeChatRateLimited,
    WeChatTokenInvalid,
    WeChatUnavailable,
)
from backend.services.outbox import Delivery, PermanentDeliveryError, RetryableDeliveryError

# Worth another try later: no answer, WeChat busy or rate-limited, a token still refused after one refresh (40001).
RETRYABLE = (WeChatUnavailable, WeChatBusy, WeChatRateLimited, WeChatTokenInvalid)


def send_subscribe_message(delivery: Delivery) -> None:
    """Send the message's one subscribe message; 43101 (no grant left, user refused) and bad data are permanent."""
    payload = delivery.payload
    try:
        get_wechat_client().send_subscribe_message(
            payload["openid"], payload["template_id"], payload["data"], page=payload.get("page")
        )
    except RETRYABLE as error:
        raise RetryableDeliveryError(str(error)) from None
    except WeChatError as error:
        raise PermanentDeliveryError(str(error)) from None
