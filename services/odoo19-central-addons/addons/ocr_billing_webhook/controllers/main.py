# Part of odoo19-central-addons. License LGPL-3.
"""POST /ocr_billing/webhook: the OCR service reports billing events here.

Request:  Content-Type: application/json
          {"event": "document.processed", "document_id": "INV-2026-0042", ...}
Answers:  200 {"status": "received"}
          400 {"status": "error", "error": "..."}   malformed body
          401 {"status": "error", "error": "..."}   bad X-Webhook-Token
          413 {"status": "error", "error": "..."}   body too large
          503 {"status": "error", "error": "..."}   no database for the request
"""
import hmac
import json
import logging

from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
MAX_EVENT_LEN = 64
MAX_DOCUMENT_ID_LEN = 128
TOKEN_PARAM = 'ocr_billing_webhook.token'


def _error(status, message):
    return request.make_json_response(
        {'status': 'error', 'error': message}, status=status)


def _text(value, max_len):
    """A non-empty, bounded string from a JSON string or integer, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > max_len:
        return None
    return value


class OcrBillingWebhook(http.Controller):

    @http.route('/ocr_billing/webhook', type='http', auth='none', methods=['POST'], csrf=False, save_session=False)
    def ocr_billing_webhook(self, **kwargs):
        if not request.db:
            return _error(503, "no database selected for this request")

        httprequest = request.httprequest
        expected = request.env['ir.config_parameter'].sudo().get_param(
            TOKEN_PARAM)
        if expected:
            given = httprequest.headers.get('X-Webhook-Token', '')
            if not hmac.compare_digest(given.encode(), expected.encode()):
                _logger.warning("ocr_billing webhook: bad token from %s",
                                httprequest.remote_addr)
                return _error(401, "missing or wrong X-Webhook-Token")

        length = httprequest.content_length
        if length is not None and length > MAX_BODY_BYTES:
            return _error(413, "body larger than %d bytes" % MAX_BODY_BYTES)
        raw = httprequest.get_data()
        if len(raw) > MAX_BODY_BYTES:
            return _error(413, "body larger than %d bytes" % MAX_BODY_BYTES)
        try:
            data = json.loads(raw.decode('utf-8'))
        except (UnicodeDecodeError, ValueError):
            return _error(400, "body is not valid JSON")
        if not isinstance(data, dict):
            return _error(400, "body must be a JSON object")

        event = _text(data.get('event'), MAX_EVENT_LEN)
        if event is None:
            return _error(400, "'event' must be a non-empty string of at "
                               "most %d characters" % MAX_EVENT_LEN)
        document_id = _text(data.get('document_id'), MAX_DOCUMENT_ID_LEN)
        if document_id is None:
            return _error(400, "'document_id' must be a non-empty string or "
                               "integer of at most %d characters"
                          % MAX_DOCUMENT_ID_LEN)

        request.env['ocr.billing.event'].sudo().create({
            'event': event,
            'document_id': document_id,
            'payload': json.dumps(data, sort_keys=True, ensure_ascii=False),
            'remote_addr': httprequest.remote_addr,
        })
        _logger.info("ocr_billing webhook: %s for document %s",
                     event, document_id)
        return request.make_json_response({'status': 'received'})
