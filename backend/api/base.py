"""The flask-smorest Api of the JSON API, whose HTTP errors use the project's one error body."""

from flask_smorest import Api

from backend.api.errors import handle_http_exception


class VillageApi(Api):
    def handle_http_exception(self, error):
        return handle_http_exception(error)


api = VillageApi()
