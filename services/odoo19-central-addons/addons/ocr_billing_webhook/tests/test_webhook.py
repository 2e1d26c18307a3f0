# Part of odoo19-central-addons. License LGPL-3.
import json

from odoo.tests import HttpCase, tagged

URL = '/ocr_billing/webhook'


@tagged('post_install', '-at_install')
class TestOcrBillingWebhook(HttpCase):

    def _post(self, body, headers=None):
        h = {'Content-Type': 'application/json'}
        h.update(headers or {})
        if not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        return self.url_open(URL, data=body, headers=h)

    def _events(self, document_id):
        return self.env['ocr.billing.event'].search(
            [('document_id', '=', document_id)])

    def test_valid_event_is_stored(self):
        res = self._post({'event': 'document.processed',
                          'document_id': 'INV-TEST-1', 'pages': 2})
        self.assertEqual(res.status_code, 200)
        self.assertEqual(res.json(), {'status': 'received'})
        event = self._events('INV-TEST-1')
        self.assertEqual(len(event), 1)
        self.assertEqual(event.event, 'document.processed')
        self.assertEqual(event.state, 'received')
        self.assertEqual(json.loads(event.payload)['pages'], 2)

    def test_integer_document_id(self):
        res = self._post({'event': 'document.processed', 'document_id': 42})
        self.assertEqual(res.status_code, 200)
        self.assertEqual(len(self._events('42')), 1)

    def test_invalid_bodies_are_refused(self):
        for body in ('not json', '[1, 2]', {'event': 'x'},
                     {'document_id': 'INV-TEST-2'},
                     {'event': '', 'document_id': 'INV-TEST-2'},
                     {'event': 'x', 'document_id': True}):
            with self.subTest(body=body):
                res = self._post(body)
                self.assertEqual(res.status_code, 400)
                self.assertEqual(res.json()['status'], 'error')
        self.assertFalse(self._events('INV-TEST-2'))

    def test_token_when_configured(self):
        self.env['ir.config_parameter'].sudo().set_param(
            'ocr_billing_webhook.token', 's3cret')
        body = {'event': 'document.processed', 'document_id': 'INV-TEST-3'}
        self.assertEqual(self._post(body).status_code, 401)
        self.assertEqual(self._post(
            body, {'X-Webhook-Token': 'wrong'}).status_code, 401)
        self.assertEqual(self._post(
            body, {'X-Webhook-Token': 's3cret'}).status_code, 200)
        self.assertEqual(len(self._events('INV-TEST-3')), 1)

    def test_get_is_not_allowed(self):
        res = self.url_open(URL)
        self.assertEqual(res.status_code, 405)
