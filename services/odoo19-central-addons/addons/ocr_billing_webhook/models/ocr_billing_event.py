# Part of odoo19-central-addons. License LGPL-3.
from odoo import fields, models


class OcrBillingEvent(models.Model):
    """One call of the OCR billing webhook, as received."""

    _name = 'ocr.billing.event'
    _description = 'OCR Billing Event'
    _order = 'received_at desc, id desc'
    _rec_name = 'event'

    event = fields.Char(
        required=True, index=True,
        help="Event type sent by the OCR service, e.g. document.processed.")
    document_id = fields.Char(
        string='Document ID', required=True, index=True,
        help="Identifier of the document in the OCR service.")
    payload = fields.Text(
        help="The JSON body as received (normalised).")
    remote_addr = fields.Char(
        string='Sender Address',
        help="Client address (X-Forwarded-For when behind the proxy).")
    received_at = fields.Datetime(
        required=True, default=fields.Datetime.now, index=True)
    state = fields.Selection(
        [('received', 'Received'),
         ('processed', 'Processed'),
         ('failed', 'Failed')],
        required=True, default='received', index=True)

    def action_mark_processed(self):
        self.write({'state': 'processed'})
        return True
